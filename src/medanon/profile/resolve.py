"""Turn a Table E.1-1 row and a set of options into one :class:`Rule`.

PS3.15 leaves some choices to the implementation; medanon makes them here, once,
without any knowledge of IOD modules, so that Type 1 and Type 2 attributes stay
present and valid whatever IOD a file belongs to:

* **Options.** A chosen option's cell replaces the Basic Profile action. When
  several chosen options have a cell for the same row, K (retain) beats C
  (clean): the user asked to retain. Among equal codes the first option in
  :class:`Option` order names the origin. "retain-longitudinal-full-dates" and
  "retain-longitudinal-modified-dates" exclude each other.
* **C under modified dates** becomes :attr:`Action.SHIFT_DATE` on DA, DT and TM
  attributes. Three rows carry that C on another VR (Certified Timestamp and
  Frame Origin Timestamp, OB; Timezone Offset From UTC, SH): no date can be
  shifted there, so the option contributes nothing and the Basic Profile action
  stays. Any other C is :attr:`Action.CLEAN`, origin ``option:<name>:C``. (Should a
  date row ever carry both a modified-dates C and another C, the shift wins.)
* **Compound codes** on non-sequence attributes: X/Z → EMPTY, X/D, Z/D and
  X/Z/D → DUMMY (the least destructive choice that keeps a Type 1/2 attribute
  valid), X/Z/U* → REMAP_UID on UI and EMPTY otherwise. When the row is not in
  any standard composite IOD (stdCompIOD "N") a compound containing X is REMOVE,
  since no IOD can require it.
* **Sequences** (VR SQ): X/Z/U* → REMAP_UID, meaning "keep the sequence, recurse,
  remap the UIDs inside"; Z → EMPTY, an empty sequence; X/Z, D, Z/D, X/D and
  X/Z/D → DUMMY (Z itself allows "a non-zero length value that may be a dummy",
  and an empty sequence is invalid where the attribute is Type 3 with 1-n items),
  which the transform carries out as "the same structure, nothing identifying":
  a code sequence (Institution Code Sequence, Person Identification
  Code Sequence) gets one dummy code item, any other sequence (Content Sequence,
  Verifying Observer Sequence) keeps its items with every rule applied inside and
  every unnamed free-text value replaced by a dummy. Emptying them instead would
  break Type 1 sequences such as an SR document's Content Sequence.
* **Patient's Name and Patient ID** become :attr:`Action.PSEUDONYM` (origin
  ``basic:<code>+pseudonym``): records of one patient must stay linkable, so
  they get a keyed pseudonym rather than a dummy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from medanon.errors import ConfigurationError
from medanon.profile.model import Action, Option, Rule
from medanon.profile.table import TableEntry

#: One line per option for ``medanon profiles`` and the documentation.
OPTION_SUMMARIES: Mapping[Option, str] = {
    Option.RETAIN_SAFE_PRIVATE: "keep the private attributes PS3.15 Table E.3.10-1 lists as safe",
    Option.RETAIN_UIDS: "keep the original UIDs instead of remapping them",
    Option.RETAIN_DEVICE_IDENTITY: "keep device serial numbers, names and calibration details",
    Option.RETAIN_INSTITUTION_IDENTITY: "keep the institution name, address and department",
    Option.RETAIN_PATIENT_CHARACTERISTICS: "keep age, sex, size, weight and similar traits",
    Option.RETAIN_LONGITUDINAL_FULL_DATES: "keep every date and time unchanged",
    Option.RETAIN_LONGITUDINAL_MODIFIED_DATES: "shift each patient's dates by one keyed offset",
    Option.CLEAN_DESCRIPTORS: "keep descriptions and comments, cleaned of identifying text",
    Option.CLEAN_STRUCTURED_CONTENT: "keep structured report content, cleaned of identifiers",
    Option.CLEAN_GRAPHICS: "keep overlays, curves and annotations, cleaned of identifiers",
}

#: Attributes that get a keyed pseudonym instead of their Basic Profile action.
PSEUDONYM_TAGS: frozenset[int] = frozenset({0x00100010, 0x00100020})  # PatientName, PatientID

#: The VRs a date shift can act on.
DATE_VRS: frozenset[str] = frozenset({"DA", "DT", "TM"})

_EXCLUSIVE = (Option.RETAIN_LONGITUDINAL_FULL_DATES, Option.RETAIN_LONGITUDINAL_MODIFIED_DATES)


def check_options(options: Iterable[Option]) -> frozenset[Option]:
    """Return ``options`` as a frozenset, refusing combinations PS3.15 makes contradictory."""
    chosen = frozenset(options)
    if all(option in chosen for option in _EXCLUSIVE):
        raise ConfigurationError(
            f"options {_EXCLUSIVE[0].value} and {_EXCLUSIVE[1].value} exclude each other: "
            "choose one"
        )
    return chosen


def parse_options(names: Iterable[str]) -> frozenset[Option]:
    """Options from their names, with one error listing the valid names for any unknown one."""
    chosen: set[Option] = set()
    valid = [option.value for option in Option]
    for name in names:
        if name not in valid:
            raise ConfigurationError(
                f"unknown option {name!r}; valid options: {', '.join(valid)}"
            )
        chosen.add(Option(name))
    return check_options(chosen)


def basic_rule(entry: TableEntry) -> Rule:
    """The Basic Profile decision for a row, before any option."""
    code = entry.basic
    origin = f"basic:{code}"
    if entry.tag in PSEUDONYM_TAGS:
        return Rule(Action.PSEUDONYM, f"{origin}+pseudonym")
    if "/" in code and "X" in code and not entry.std_comp_iod:
        return Rule(Action.REMOVE, origin)
    if code == "X":
        return Rule(Action.REMOVE, origin)
    if code == "U":
        return Rule(Action.REMAP_UID, origin)
    if code == "X/Z/U*":
        if entry.is_sequence or entry.vr == "UI":
            return Rule(Action.REMAP_UID, origin)
        return Rule(Action.EMPTY, origin)
    if code == "X/Z" and entry.is_sequence:
        # Z allows "a non-zero length value that may be a dummy value" (PS3.15 E.1.1):
        # an empty sequence is invalid where the attribute is Type 3 with 1-n items.
        return Rule(Action.DUMMY, origin)
    if code in ("Z", "X/Z"):
        return Rule(Action.EMPTY, origin)
    # D, X/D, Z/D, X/Z/D: a dummy value, or for a sequence its dummied structure.
    return Rule(Action.DUMMY, origin)


def resolve(entry: TableEntry, options: Iterable[Option] = ()) -> Rule:
    """The rule for a row under the chosen options (see the module docstring for the rules)."""
    chosen = check_options(options)
    cells = [(option, code) for option, code in entry.option_cells if option in chosen]
    if entry.vr not in DATE_VRS:
        # C under modified dates means "shift the date": nothing to shift on another VR.
        cells = [
            (option, code)
            for option, code in cells
            if not (option is Option.RETAIN_LONGITUDINAL_MODIFIED_DATES and code == "C")
        ]
    for option, code in cells:
        if code == "K":
            return Rule(Action.KEEP, f"option:{option.value}:K")
    for option, _code in cells:
        if option is Option.RETAIN_LONGITUDINAL_MODIFIED_DATES:
            return Rule(Action.SHIFT_DATE, f"option:{option.value}:C")
    if cells:
        option = cells[0][0]
        return Rule(Action.CLEAN, f"option:{option.value}:C")
    return basic_rule(entry)
