"""Events: the one seam where progress, custody, the report and a site's own code hook in.

In pynetdicom's shape (``pynetdicom/events.py``), so that nothing needs a side door into
the workers:

* **Notifications** say what happened (a file was recorded, the run started or ended, a
  progress tick). Any number of handlers may be bound; they run in the order bound. A
  failing handler is logged (event name, handler name and exception type: never the
  exception's message, which could quote a value) and the run goes on. Only medanon's own
  *essential* handlers (the audit log, the report's counts) may stop a run: an audit
  entry missing for a recorded file would break custody, so their errors propagate.
  Essential handlers run before all others, whenever they were bound, so a site's
  handler never sees a file before its audit entry and its count exist.
* **Interventions** ask for a decision. Each has exactly one handler; binding another
  replaces it, and an unbound intervention uses its documented safe default.

Every event is triggered in the coordinating process, in the order the manifest records
files, so handlers see the same sequence with one worker, a pool or a cluster. An
:class:`Event` carries what happened, never a value of a file: a
:class:`~medanon.runner.outcome.FileOutcome` names its input by the keyed hash of its
relative path, and counts are counts.

Bind handlers with ``handlers=[(EVT_FILE_DONE, handler), (EVT_PROGRESS, handler, args)]``;
each is called as ``handler(event, *args)``.
"""

from __future__ import annotations

import logging
import pickle
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from medanon.errors import ConfigurationError

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

    from medanon.dicom.plan import CollectionPlan
    from medanon.runner.outcome import FileOutcome
    from medanon.runner.report import SessionStats

LOGGER = logging.getLogger("medanon.events")


class NotificationEvent(NamedTuple):
    """Something happened: many handlers, none of which can change the run."""

    name: str
    description: str
    is_intervention: bool = False
    is_notification: bool = True


class InterventionEvent(NamedTuple):
    """A decision is needed: one handler, or the safe default when none is bound."""

    name: str
    description: str
    is_intervention: bool = True
    is_notification: bool = False


EventType = NotificationEvent | InterventionEvent

EVT_RUN_STARTED = NotificationEvent("EVT_RUN_STARTED", "A run's session started")
EVT_RUN_FINISHED = NotificationEvent(
    "EVT_RUN_FINISHED", "A run's session finished; ``counts`` are the whole run's")
EVT_FILE_DONE = NotificationEvent(
    "EVT_FILE_DONE", "An input's outcome was recorded (any status), in manifest order")
EVT_FILE_FAILED = NotificationEvent(
    "EVT_FILE_FAILED", "An input was recorded failed (after EVT_FILE_DONE)")
EVT_FILE_WITHHELD = NotificationEvent(
    "EVT_FILE_WITHHELD", "An input was recorded withheld (after EVT_FILE_DONE)")
EVT_PROGRESS = NotificationEvent(
    "EVT_PROGRESS", "The session's counts changed (``outcome`` is None for skipped files)")
EVT_INSTANCE_RECEIVED = NotificationEvent(
    "EVT_INSTANCE_RECEIVED", "The node queued a received instance durably (or a duplicate)")
EVT_INSTANCE_FORWARDED = NotificationEvent(
    "EVT_INSTANCE_FORWARDED", "The node's destination confirmed an instance")
EVT_INSTANCE_QUARANTINED = NotificationEvent(
    "EVT_INSTANCE_QUARANTINED", "The node kept an instance back, with the reason")
EVT_PLAN_LOOKUP = InterventionEvent(
    "EVT_PLAN_LOOKUP", "Which collection plan the run applies; default: the plan given")
EVT_WITHHOLD_LOOKUP = InterventionEvent(
    "EVT_WITHHOLD_LOOKUP",
    "Which site rule withholds instances beyond medanon's own; default: none")

Handler = Callable[..., Any]
#: A site's withhold rule: called with an instance's original header, True withholds it.
WithholdRule = Callable[["Dataset"], bool]
HandlerBinding = tuple[EventType, Handler] | tuple[EventType, Handler, Sequence[Any]]


@dataclass(frozen=True)
class Event:
    """One triggered event: its type, when, and what happened (never a file's value).

    ``instance`` is the node's keyed name of a received instance (None in a folder run);
    ``duplicate``, ``destination``, ``output`` and ``reason`` describe the node's
    instance events (a destination is an AE title and address, a reason a sentence).
    """

    event: EventType
    timestamp: float = field(default_factory=time.time)
    outcome: FileOutcome | None = None
    stats: SessionStats | None = None
    counts: dict[str, int] | None = None
    plan: CollectionPlan | None = None
    instance: str | None = None
    duplicate: bool = False
    destination: str | None = None
    output: str | None = None
    reason: str | None = None


def _default_plan(event: Event) -> CollectionPlan | None:
    """The safe default of EVT_PLAN_LOOKUP: the plan the caller passed, unchanged."""
    return event.plan


def _no_site_rule(event: Event) -> WithholdRule | None:
    """The safe default of EVT_WITHHOLD_LOOKUP: no rule beyond medanon's own."""
    return None


DEFAULT_INTERVENTIONS: dict[InterventionEvent, Handler] = {
    EVT_PLAN_LOOKUP: _default_plan,
    EVT_WITHHOLD_LOOKUP: _no_site_rule,
}


def plan_lookup(hub: EventHub, plan: CollectionPlan) -> CollectionPlan:
    """The collection plan a run applies: the EVT_PLAN_LOOKUP intervention's answer."""
    from medanon.dicom.plan import CollectionPlan

    chosen = hub.intervene(EVT_PLAN_LOOKUP, plan=plan)
    if not isinstance(chosen, CollectionPlan):
        raise ConfigurationError("the handler bound to EVT_PLAN_LOOKUP returned no "
                                 "CollectionPlan")
    return chosen


def withhold_rule(hub: EventHub, *, workers: int = 1) -> WithholdRule | None:
    """The site's withhold rule, as the EVT_WITHHOLD_LOOKUP intervention answers.

    The rule can only add to what medanon withholds: the core asks it before the header
    rules, and an instance it names is withheld whatever the recipe says; an instance it
    lets through still goes through every one of medanon's own checks. It runs where the
    instance is de-identified (a worker process, a cluster node), so for more than one
    worker it must be picklable: a function defined at module level, or an instance of
    a module-level class.
    """
    rule = hub.intervene(EVT_WITHHOLD_LOOKUP)
    if rule is None:
        return None
    if not callable(rule):
        raise ConfigurationError("the handler bound to EVT_WITHHOLD_LOOKUP returned "
                                 "something that is not callable (a rule, or None)")
    if workers != 1:
        try:
            pickle.dumps(rule)
        except Exception:
            raise ConfigurationError(
                "the rule from EVT_WITHHOLD_LOOKUP cannot be sent to worker processes: "
                "define it at module level (or run with one worker)") from None
    return cast(WithholdRule, rule)


def handler_name(handler: Handler) -> str:
    """A handler's qualified name, for a log line (code, not data)."""
    return str(getattr(handler, "__qualname__", type(handler).__name__))


class EventHub:
    """The handlers bound for one run or one node session, and the trigger."""

    def __init__(self, handlers: Iterable[HandlerBinding] = ()) -> None:
        self._notify: dict[NotificationEvent, list[tuple[Handler, tuple[Any, ...], bool]]] = {}
        self._intervene: dict[InterventionEvent, tuple[Handler, tuple[Any, ...]]] = {}
        for binding in handlers:
            self.bind(*binding)

    def bind(self, event: EventType, handler: Handler, args: Sequence[Any] = (), *,
             essential: bool = False) -> None:
        """Bind ``handler`` to ``event``; for an intervention this replaces its handler.

        ``essential`` (medanon's own custody and report handlers): the handler's errors
        stop the run instead of being logged, and it runs before every handler that is
        not essential.
        """
        if not callable(handler):
            raise ConfigurationError(f"the handler bound to {event.name} is not callable")
        if isinstance(event, InterventionEvent):
            self._intervene[event] = (handler, tuple(args))
        elif isinstance(event, NotificationEvent):
            bound = self._notify.setdefault(event, [])
            position = sum(1 for *_, first in bound if first) if essential else len(bound)
            bound.insert(position, (handler, tuple(args), essential))
        else:
            raise ConfigurationError("handlers are bound to an EVT_... event of medanon.events")

    def has_handlers(self, event: NotificationEvent) -> bool:
        """True when triggering ``event`` would call anything (skip building the Event)."""
        return event in self._notify

    def notify(self, event: NotificationEvent, **attrs: Any) -> None:
        """Call every handler bound to ``event``; a failing one is logged, not raised."""
        bound = self._notify.get(event)
        if not bound:
            return
        evt = Event(event, **attrs)
        for handler, args, essential in bound:
            if essential:
                handler(evt, *args)
                continue
            try:
                handler(evt, *args)
            except Exception as exc:  # a site's handler must not stop a night's run
                LOGGER.error("a handler bound to %s failed (%s raised %s); the run goes on",
                             event.name, handler_name(handler), type(exc).__name__)

    def intervene(self, event: InterventionEvent, **attrs: Any) -> Any:
        """The decision of the one handler bound to ``event``, or of its safe default.

        Its errors propagate: there is no safe answer to give in a handler's place.
        """
        handler, args = self._intervene.get(event, (DEFAULT_INTERVENTIONS[event], ()))
        return handler(Event(event, **attrs), *args)
