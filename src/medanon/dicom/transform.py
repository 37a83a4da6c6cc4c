"""Transform one dataset: the pure heart of medanon.

``deidentify(dataset, ruleset, key, plan)`` reads nothing and writes nothing: it takes a
header dataset and returns a new one, so the same call serves the folder runner, a
process pool, a Dask worker and the network node alike. Elements the rules keep as they
are stay raw (never decoded and re-encoded), which is most of a CT header and most of
the speed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence
from pydicom.tag import BaseTag

from medanon.custody.keys import SecretKey
from medanon.dicom import markers
from medanon.dicom.backend.actions import apply_raw, raw_values
from medanon.dicom.backend.datasets import new_dataset
from medanon.dicom.backend.peek import patient_name_text, peek_text
from medanon.dicom.backend.sequences import decode_sequence
from medanon.dicom.burned_in import burned_in_reason, is_encapsulated_document
from medanon.dicom.clean import IdentifyingTerms, identifying_terms
from medanon.dicom.dates import date_offset_days, shift_da_range, shift_dt
from medanon.dicom.dummies import dummy_value
from medanon.dicom.plan import (
    EMPTY_PLAN,
    NOT_PLANNED_REASON,
    PATIENT_AGE,
    SUPPRESSED_REASON,
    CollectionPlan,
    age_in_later_study,
    study_key,
)
from medanon.dicom.private import private_rules
from medanon.dicom.pseudonyms import (
    patient_identity,
    patient_pseudonym,
    value_hash,
    value_pseudonym,
)
from medanon.dicom.review import ReviewItem
from medanon.dicom.safety_net import (
    COLLECTED_VRS,
    HIDING_ACTIONS,
    SEARCHED_VRS,
    SafetyNet,
    apply_net,
    collect_sequence,
    element_values,
)
from medanon.dicom.uids import remap_uid
from medanon.errors import DeidentificationError
from medanon.pixels.step import PixelPlan, plan_pixels
from medanon.profile.model import Action, Mode, Option, Rule, Ruleset

PATIENT_ID = 0x00100020
PATIENT_NAME = 0x00100010
OVERLAY_DATA_ELEMENT = 0x3000
TEXT_VRS = frozenset({"LO", "SH", "ST", "LT", "UT", "UC", "CS", "AE", "UR"})
FREE_TEXT_VRS = frozenset({"LO", "SH", "ST", "LT", "UT", "UC"})
OPAQUE_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})
TEXT_DUMMY_VRS = frozenset({"AE", "AS", "CS", "DA", "DS", "DT", "IS", "TM", "LO", "SH", "ST", "LT",
                            "UT", "UC"})
DATE_VRS = frozenset({"DA", "DT"})
# Text VRs pydicom splits into values at backslashes (ST, LT and UT are single values).
MULTI_TEXT_VRS = frozenset({"LO", "SH", "UC"})
DUMMY_CODE_VALUE = "ANONYMIZED"
DUMMY_CODING_SCHEME = "99MEDANON"




@dataclass(frozen=True)
class Transformed:
    """The output of :func:`deidentify`."""

    dataset: Dataset
    patient_pseudonym: str
    review: tuple[ReviewItem, ...]
    # One label ("(gggg,eeee) Keyword") per value the safety net cleaned; never a value.
    net_hits: tuple[str, ...] = ()
    # What the pixel step must do (medanon.dicom.pixel_steps); None keeps the pixels as
    # they are, copied without decoding.
    pixel_plan: PixelPlan | None = None
    # The values the safety net searched for (never written anywhere): the pixel step
    # blanks a line of burned-in text that reads as one of them.
    identifying_values: frozenset[str] = frozenset()


@dataclass
class _Context:
    ruleset: Ruleset
    key: SecretKey
    identity: str
    pseudonym: str
    original_patient_name: str
    offset_days: int
    source: Dataset
    review: list[ReviewItem]
    # What unnamed free text gets inside a sequence whose own action was D or C: the
    # sequence's structure survives, its free text is dummied or cleaned.
    text_policy: Action | None = None
    encoding: tuple[bool | None, bool | None] = (None, None)
    _terms: list[IdentifyingTerms] = field(default_factory=list)
    # Every output level with the tags of its text elements, for the safety net (shared
    # by the contexts of nested sequences, like ``review``).
    text_elements: list[tuple[Dataset, list[tuple[int, DataElement | RawDataElement]]]] = \
        field(default_factory=list)
    # The input's identifying values, collected on the way (None: the caller gave them).
    found_values: list[str] | None = None

    @property
    def terms(self) -> IdentifyingTerms:
        """The dataset's identifying values, collected on first use (most files need none)."""
        if not self._terms:
            self._terms.append(identifying_terms(self.source))
        return self._terms[0]


def deidentify(dataset: Dataset, ruleset: Ruleset, key: SecretKey,
               plan: CollectionPlan = EMPTY_PLAN, *, has_pixel_data: bool | None = None,
               identifying_values: Iterable[str] | None = None) -> Transformed:
    """De-identify one dataset and return a new one; the input is left unchanged.

    Parameters
    ----------
    dataset
        The header (and possibly pixel data) of one instance, file meta not included.
    ruleset, key, plan
        What to do, the secret behind pseudonyms/UIDs/date offsets, and per-collection
        decisions.
    has_pixel_data
        Whether the file holds pixel data; pass it when the dataset was read without.
    identifying_values
        The values the safety net searches the output for; None collects this file's own
        (a collection scan may pass the values of the whole collection).

    Raises
    ------
    DeidentificationError
        When the dataset cannot be fully de-identified (an unparseable date under date
        shifting, suspected burned-in text, ...). The caller must withhold the file.
    """
    if has_pixel_data is None:
        has_pixel_data = any(t in dataset for t in (0x7FE00010, 0x7FE00008, 0x7FE00009))
    # Pixels the pixel step will clean need not be withheld; the plan raises when they
    # must be searched and no OCR engine is installed.
    pixel_plan = plan_pixels(dataset, ruleset.pixels, has_pixel_data,
                             clean_graphics=Option.CLEAN_GRAPHICS in ruleset.options)
    reason = burned_in_reason(dataset, has_pixel_data) if pixel_plan is None else None
    sop_class = peek_text(dataset, "SOPClassUID")
    if reason and (not ruleset.allow_unchecked_burned_in or is_encapsulated_document(sop_class)):
        raise DeidentificationError(reason)

    identity = patient_identity(dataset)
    pseudonym, offset_days = _patient_keys(key.material, identity)
    if plan.closed and pseudonym not in plan.patient_values:
        raise DeidentificationError(SUPPRESSED_REASON if pseudonym in plan.suppressed
                                    else NOT_PLANNED_REASON)
    ctx = _Context(
        ruleset=ruleset,
        key=key,
        identity=identity,
        pseudonym=pseudonym,
        original_patient_name=patient_name_text(dataset),
        offset_days=offset_days,
        source=dataset,
        review=[],
        encoding=dataset.original_encoding,
        found_values=[] if identifying_values is None else None,
    )
    out = _transform_level(dataset, ctx)
    values = ctx.found_values if ctx.found_values is not None else identifying_values or ()
    net = SafetyNet.of(values)
    net_hits = [hit for level, texts in ctx.text_elements
                for hit in apply_net(level, texts, net)]
    for tag, value in _planned_values(plan, pseudonym, dataset, key).items():
        if value is None:
            out.pop(tag, None)
        else:
            out[tag] = DataElement(tag, dictionary_VR(tag), value)
    markers.mark(out, dataset, ruleset.options, ruleset.mode)
    if plan.method:
        markers.add_method(out, plan.method)
    return Transformed(dataset=out, patient_pseudonym=pseudonym, review=tuple(ctx.review),
                       net_hits=tuple(net_hits), pixel_plan=pixel_plan,
                       identifying_values=frozenset(values) if pixel_plan else frozenset())


def _planned_values(plan: CollectionPlan, pseudonym: str, dataset: Dataset, key: SecretKey
                    ) -> Mapping[int, str | None]:
    """The plan's values for this file: its patient's, PatientAge moved on to its study."""
    values = plan.patient_values.get(pseudonym, {})
    age = values.get(PATIENT_AGE)
    if not age or not plan.study_years:
        return values
    years = plan.study_years.get(study_key(key, peek_text(dataset, "StudyInstanceUID")))
    if not years:
        return values
    moved = age_in_later_study(age, years)
    return {**values, PATIENT_AGE: moved} if moved else values


@lru_cache(maxsize=256)
def _patient_keys(material: bytes, identity: str) -> tuple[str, int]:
    """A patient's pseudonym and date offset, cached: a patient's files come together."""
    key = SecretKey(material)
    return patient_pseudonym(key, identity), date_offset_days(key, identity)


def _vr_of(element: DataElement | RawDataElement) -> str:
    vr = element.VR
    if vr is None:
        try:
            vr = dictionary_VR(element.tag)
        except KeyError:
            vr = "UN"
    return str(vr)


def _transform_level(dataset: Dataset, ctx: _Context) -> Dataset:
    elements: dict[BaseTag, DataElement | RawDataElement] = {}
    private = private_rules(dataset, ctx.ruleset)
    rule_for = ctx.ruleset.rule_for
    # VRs whose unnamed elements are simply kept here (see _unnamed_rule): most of them.
    kept_unnamed = _KEPT_UNNAMED_VRS if ctx.ruleset.mode is Mode.BLACKLIST \
        and ctx.text_policy is None else _NO_VRS
    has_overlays = False
    # The text elements of this level, for the safety net once all values are known.
    texts: list[tuple[int, DataElement | RawDataElement]] = []
    found = ctx.found_values
    for tag, raw in dataset.items():  # stored elements as they are: raw ones stay raw
        group = tag >> 16
        if not tag & 0xFFFF:
            continue  # group lengths are retired and would be wrong after any change
        named = True  # the rule is the profile's or the recipe's, not a default for the unnamed
        if group & 1:
            rule: Rule | None = private.get(int(tag))
            if rule is None:
                if found is not None and raw.VR in _NOTED_PRIVATE_VRS:
                    _note_values(dataset, raw, int(tag), _REMOVE, found, ctx.ruleset)
                continue
        else:
            has_overlays = has_overlays or 0x6000 <= group <= 0x601F
            rule = rule_for(int(tag))  # a plain int: pydicom's tag type compares in Python
            if rule is None:
                if raw.VR in kept_unnamed:
                    elements[tag] = raw  # what _unnamed_rule and KEEP come to, without the calls
                    if raw.VR in SEARCHED_VRS:
                        texts.append((int(tag), raw))
                    continue
                rule = _unnamed_rule(raw, dataset, ctx)
                if rule is None:  # removed unnamed (whitelist): only a sequence's inside counts
                    if found is not None and _vr_of(raw) == "SQ":
                        _note_values(dataset, raw, int(tag), _REMOVE, found, ctx.ruleset)
                    continue
                named = False
        action = rule.action
        if action is _KEEP and raw.VR not in _NOT_PLAIN_KEEP:
            elements[tag] = raw  # the common case, copied byte for byte
            if raw.VR in SEARCHED_VRS:
                texts.append((int(tag), raw))
            continue
        if found is not None and named and action in HIDING_ACTIONS:
            if raw.VR in COLLECTED_VRS:
                found.extend(element_values(dataset, raw, int(tag)))
            elif raw.VR in _NOTED_VRS:  # a sequence, or a VR to look up first
                _note_values(dataset, raw, int(tag), action, found, ctx.ruleset)
        if action is _REMOVE:
            continue
        new = _apply(rule, raw, dataset, ctx)
        if new is not None:
            elements[tag] = new
            if (new.VR or _vr_of(new)) in SEARCHED_VRS:
                texts.append((int(tag), new))
    # The output keeps the input's encoding, so that untouched raw elements are written
    # back byte for byte instead of being decoded and re-encoded.
    implicit, little = dataset.original_encoding
    if implicit is None or little is None:
        implicit, little = ctx.encoding
    out = new_dataset(elements, implicit_vr=implicit, little_endian=little,
                      character_set=dataset.original_character_set)
    if has_overlays:
        _drop_orphaned_overlays(dataset, out)
        texts = [(tag, element) for tag, element in texts if tag in out]
    if texts:
        ctx.text_elements.append((out, texts))
    return out


# The VRs whose elements can hold values the safety net collects (None: look it up).
_NOTED_VRS = frozenset({"SQ", None})
_NOTED_PRIVATE_VRS = frozenset({"PN", "SQ", None})


def _note_values(dataset: Dataset, raw: DataElement | RawDataElement, tag: int,
                 action: Action, found: list[str], ruleset: Ruleset) -> None:
    """Collect the identifying values of an element its rule hides, for the safety net.

    A sequence that the transform recurses into is collected item by item as it goes; one
    it removes, empties or replaces by a dummy is collected here, whole.
    """
    if _vr_of(raw) != "SQ":
        found.extend(element_values(dataset, raw, tag))
    elif not _recursed(action, tag):
        collect_sequence(dataset, raw, ruleset, found)


def _recursed(action: Action, tag: int) -> bool:
    """Whether :func:`_apply` transforms the items of a sequence with this action."""
    return action not in (Action.REMOVE, Action.EMPTY) and not (
        action is Action.DUMMY and _is_code_sequence(tag))


# KEEP on these needs more than a copy (a sequence is recursed, a person name is checked;
# an element without a known VR is looked up first).
_NOT_PLAIN_KEEP = frozenset({"SQ", "PN", None})
_KEEP, _REMOVE = Action.KEEP, Action.REMOVE  # module globals: no enum attribute lookups
_KEEP_UNNAMED = Rule(Action.KEEP, "blacklist:unnamed")
# In blacklist mode and outside D/C sequences, an unnamed element of these VRs gets
# _KEEP_UNNAMED and is copied as it is: not PN or UI (safety nets), not SQ (recursed),
# and not an unknown VR (looked up first).
_KEPT_UNNAMED_VRS = frozenset({"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO",
                               "LT", "OB", "OD", "OF", "OL", "OV", "OW", "SH", "SL", "SS", "ST",
                               "SV", "TM", "UC", "UL", "UN", "UR", "US", "UT", "UV"})
_NO_VRS: frozenset[str] = frozenset()
_PN_SAFETY_NET = Rule(Action.PSEUDONYM, "safety-net:person-name")
_UID_SAFETY_NET = Rule(Action.REMAP_UID, "safety-net:uid")
_POLICY_RULES = {Action.DUMMY: Rule(Action.DUMMY, "sequence:D"),
                 Action.CLEAN: Rule(Action.CLEAN, "sequence:C")}


def _unnamed_rule(raw: DataElement | RawDataElement, dataset: Dataset, ctx: _Context
                  ) -> Rule | None:
    """The rule for an attribute neither the profile nor the recipe names."""
    vr = _vr_of(raw)
    if ctx.ruleset.mode is Mode.WHITELIST:
        element = dataset[raw.tag]
        ctx.review.append(ReviewItem(
            tag=int(raw.tag), keyword=keyword_for_tag(raw.tag) or "", vr=vr,
            value_digest=ctx.key.digest("review", repr(element.value)).hex()[:16]))
        return None
    if vr == "PN":
        return _PN_SAFETY_NET
    if ctx.text_policy is not None and vr in FREE_TEXT_VRS:
        return _POLICY_RULES[ctx.text_policy]
    if vr == "UI" and Option.RETAIN_UIDS not in ctx.ruleset.options:
        return _UID_SAFETY_NET
    return _KEEP_UNNAMED


def _apply(rule: Rule, raw: DataElement | RawDataElement, dataset: Dataset, ctx: _Context
           ) -> DataElement | RawDataElement | None:
    action = rule.action
    if action is Action.REMOVE:
        return None
    vr = _vr_of(raw)
    if (action is Action.KEEP and vr not in ("SQ", "PN")) or (
            action is Action.SHIFT_DATE and vr == "TM"):
        return raw  # untouched (whole-day shifts leave times as they are): copied byte for byte
    if isinstance(raw, RawDataElement) and vr != "SQ":
        fast = apply_raw(action, raw, vr, _new_values, ctx)
        if fast is not None:
            return fast
    element = (vr == "SQ" and isinstance(raw, RawDataElement) and decode_sequence(raw, dataset)
               ) or dataset[raw.tag]
    tag, vr = element.tag, element.VR
    if vr == "SQ":
        if action is Action.EMPTY:
            return DataElement(tag, vr, Sequence())
        if action is Action.DUMMY and _is_code_sequence(tag):
            return DataElement(tag, vr, Sequence([_dummy_code_item()]))
        inner = _inner_context(ctx, action, tag)
        return DataElement(tag, vr, Sequence([_transform_level(item, inner)
                                              for item in element.value]))
    if action is Action.KEEP or element.is_empty:
        return element  # an explicitly kept person name, or nothing to hide
    if action is Action.EMPTY:
        return DataElement(tag, vr, None)
    if action is Action.REPLACE:
        return DataElement(tag, vr, rule.value)
    if action is Action.CLEAN and vr in OPAQUE_VRS and not _is_graphics(tag):
        return None  # opaque bytes (a maker note, device settings) cannot be cleaned: removed
    handler = _HANDLERS[action]
    new = _map_values(element.value, lambda v: handler(v, vr, tag, ctx))
    as_raw = raw_values(raw, vr, new if isinstance(new, list) else [new])
    return as_raw if as_raw is not None else DataElement(tag, vr, new)


def _new_values(action: Action, vr: str, tag: BaseTag, parts: list[str], ctx: _Context
                ) -> list[str] | None:
    """What the plain-ASCII values of a raw element become, for the raw actions.

    None for an action the raw path does not do (it then takes the general path).
    """
    if vr == "PN":
        if action not in _PN_PSEUDONYM_ACTIONS:
            return None
        # Family name component only, with its delimiter (as _pseudonym writes it).
        return [_text_pseudonym(part, vr, int(tag), ctx) + "^" for part in parts]
    if action is Action.REMAP_UID and vr == "UI":
        return [remap_uid(ctx.key, part) for part in parts]
    if action is Action.SHIFT_DATE and vr == "DA":
        return [shift_da_range(part, ctx.offset_days) for part in parts]
    if action is Action.SHIFT_DATE and vr == "DT":
        return [shift_dt(part, ctx.offset_days) for part in parts]
    if action is Action.DUMMY and vr not in ("UI", "PN") and vr in TEXT_DUMMY_VRS:
        return [str(dummy_value(vr)) for _part in parts]
    if action is Action.PSEUDONYM and vr in MULTI_TEXT_VRS:
        # Each value as pydicom decodes it (trailing padding dropped), as _pseudonym gets it.
        return [_text_pseudonym(part.rstrip("\x00 "), vr, int(tag), ctx) for part in parts]
    if action is Action.HASH and vr in MULTI_TEXT_VRS:
        return [value_hash(ctx.key, part.rstrip("\x00 "), vr) for part in parts]
    return None


# What each of these does to a person name: its keyed pseudonym (see _pseudonym).
_PN_PSEUDONYM_ACTIONS = frozenset({Action.PSEUDONYM, Action.DUMMY, Action.REMAP_UID,
                                   Action.CLEAN})


def _inner_context(ctx: _Context, action: Action, tag: int) -> _Context:
    """The context for the items of a sequence: D and C reach the free text inside.

    Items of a code sequence hold coded vocabulary (code value, scheme, meaning), not
    free text, so there the policy stops.
    """
    policy: Action | None
    if _is_code_sequence(tag):
        policy = None
    elif action in (Action.DUMMY, Action.CLEAN):
        policy = action
    else:
        policy = ctx.text_policy
    return ctx if policy is ctx.text_policy else replace(ctx, text_policy=policy)


def _is_graphics(tag: int) -> bool:
    """Overlay (60xx) and curve (50xx) groups: their binary data is the graphic itself."""
    return (tag >> 16) & 0xFF00 in (0x5000, 0x6000)


@lru_cache(maxsize=1024)
def _is_code_sequence(tag: int) -> bool:
    """Cached: every file asks it for the same few sequences."""
    return (keyword_for_tag(tag) or "").endswith("CodeSequence")


def _dummy_code_item() -> Dataset:
    """D on a code sequence: one code that says nothing (a private coding scheme of medanon)."""
    item = Dataset()
    item.CodeValue = DUMMY_CODE_VALUE
    item.CodingSchemeDesignator = DUMMY_CODING_SCHEME
    item.CodeMeaning = "Anonymized"
    return item


def _map_values(value: Any, fn: Callable[[Any], Any]) -> Any:
    if isinstance(value, (MultiValue, list, tuple)):
        return [fn(v) for v in value]
    return fn(value)


def _dummy(value: Any, vr: str, tag: int, ctx: _Context) -> Any:
    if vr == "UI":
        return remap_uid(ctx.key, str(value))
    if vr == "PN":
        return _pseudonym(value, vr, tag, ctx)
    return dummy_value(vr)


def _remap(value: Any, vr: str, tag: int, ctx: _Context) -> Any:
    if vr == "UI":
        return remap_uid(ctx.key, str(value))
    return _dummy(value, vr, tag, ctx)


def _pseudonym(value: Any, vr: str, tag: int, ctx: _Context) -> Any:
    if vr == "PN":
        # Family name component only, with its delimiter: "MA4K7Q...^" is the current PN
        # form (a bare word reads as the retired form to validators).
        return _text_pseudonym(str(value), vr, tag, ctx) + "^"
    if vr in TEXT_VRS:
        return _text_pseudonym(str(value), vr, tag, ctx)
    if vr == "UI":
        return remap_uid(ctx.key, str(value))
    return dummy_value(vr)


def _text_pseudonym(text: str, vr: str, tag: int, ctx: _Context) -> str:
    if tag == PATIENT_ID:
        identity = "id:" + text
        return ctx.pseudonym if identity == ctx.identity else patient_pseudonym(ctx.key, identity)
    if tag == PATIENT_NAME:
        if text == ctx.original_patient_name:
            return ctx.pseudonym
        return patient_pseudonym(ctx.key, f"name:{text}|")
    return _value_pseudonym(ctx.key.material, tag, text, vr)


@lru_cache(maxsize=1024)
def _value_pseudonym(material: bytes, tag: int, text: str, vr: str) -> str:
    """A value pseudonym, cached: staff names and the like recur in every file of a study."""
    return value_pseudonym(SecretKey(material), keyword_for_tag(tag) or f"{tag:08X}", text, vr)


def _hash(value: Any, vr: str, tag: int, ctx: _Context) -> Any:
    if vr in TEXT_VRS or vr == "PN":
        return value_hash(ctx.key, str(value), vr)
    return _pseudonym(value, vr, tag, ctx)


def _shift(value: Any, vr: str, tag: int, ctx: _Context) -> Any:
    text = str(value)
    if vr == "DA":
        return shift_da_range(text, ctx.offset_days)
    if vr == "DT":
        return shift_dt(text, ctx.offset_days)
    if vr == "TM":
        return value  # whole-day offsets leave the time of day as it was
    return _clean(value, vr, tag, ctx)


def _clean(value: Any, vr: str, tag: int, ctx: _Context) -> Any:
    if vr in DATE_VRS or vr == "TM":
        if Option.RETAIN_LONGITUDINAL_FULL_DATES in ctx.ruleset.options:
            return value
        return _shift(value, vr, tag, ctx)
    if vr == "PN":
        return _pseudonym(value, vr, tag, ctx)
    if vr == "UI":
        return remap_uid(ctx.key, str(value))
    if vr in TEXT_VRS:
        text = str(value)
        cleaned = ctx.terms.scrub(text)
        if vr == "CS" and cleaned != text:
            return dummy_value(vr)  # a code string cannot hold the redaction mark
        return cleaned
    return value  # numbers, binary graphics data: nothing to clean


_HANDLERS: dict[Action, Callable[[Any, str, int, _Context], Any]] = {
    Action.DUMMY: _dummy,
    Action.REMAP_UID: _remap,
    Action.PSEUDONYM: _pseudonym,
    Action.HASH: _hash,
    Action.SHIFT_DATE: _shift,
    Action.CLEAN: _clean,
}


def _drop_orphaned_overlays(source: Dataset, out: Dataset) -> None:
    """Remove an overlay group whose Overlay Data was removed: the rest describes nothing."""
    for group in range(0x6000, 0x6020, 2):
        data_tag = (group << 16) | OVERLAY_DATA_ELEMENT
        if data_tag in source and data_tag not in out:
            for tag in [t for t in out.keys() if t >> 16 == group]:
                del out[tag]
