"""The account timeline: one table of events (AccountEvent) that every app writes to.

How an app adds events (DESIGN.md "Events", docs/decisions.md "Timeline events"):

1. In `AppConfig.ready` it registers each kind once, with a label, an icon, a function that
   turns the event's stored `data` into a sentence in the reader's language, and optionally a
   function that builds the link of the event when shown (from `event.subject_id`):

       register_event_kind("contract.activated", label=_("Contract activated"), icon="file-check",
                           category="contracts", describe=describe_activated,
                           link=lambda event: reverse("contracts:detail", args=[event.subject_id]))

2. Its `events.py` has one function per event, called by its services inside their transaction
   (Saleor's order/events.py):

       def contract_activated_event(*, contract, actor):
           return record_event(account=contract.account, kind="contract.activated",
                               subject=contract, actor=actor, data={"number": contract.number})

An event stores what it is about (`subject_type` "contracts.contract", `subject_id` 12), so
`events_about(contract)` is one indexed query; no URL is stored.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from core.registry import Registry


@dataclass(frozen=True)
class EventKind:
    kind: str
    label: str  # lazy translation
    icon: str  # bootstrap-icons name
    describe: Callable[[dict], str]
    category: str = "account"  # visits, callbacks, requests, contracts, payments, tiers ...
    link: Callable | None = None  # (event) -> URL of its subject, built when shown


EVENT_KINDS: Registry[EventKind] = Registry("timeline event kind")


def register_event_kind(
    kind: str,
    *,
    label,
    icon: str,
    describe: Callable[[dict], str],
    category: str = "account",
    link: Callable | None = None,
) -> EventKind:
    return EVENT_KINDS.add(
        kind, EventKind(kind=kind, label=label, icon=icon, describe=describe, category=category, link=link)
    )


def event_kinds() -> dict[str, EventKind]:
    return EVENT_KINDS.as_dict()


def subject_type_of(obj_or_model) -> str:
    """ "<app_label>.<model_name>" of a model instance or class, as `AccountEvent.subject_type` stores it."""
    meta = obj_or_model._meta
    return f"{meta.app_label}.{meta.model_name}"


def record_event(*, account, kind: str, subject=None, data: dict | None = None, actor=None, occurred_at=None):
    """Write one timeline row. `subject` is the model instance the event is about (saved), or None."""
    from .models import AccountEvent

    if kind not in EVENT_KINDS:
        raise ValueError(f"Unknown timeline event kind {kind!r}; register it first.")
    if subject is not None and subject.pk is None:
        raise ValueError("The subject of a timeline event must be saved first.")
    return AccountEvent.objects.create(
        account=account,
        kind=kind,
        data=data or {},
        actor=actor,
        occurred_at=occurred_at or timezone.now(),
        subject_type=subject_type_of(subject) if subject is not None else "",
        subject_id=subject.pk if subject is not None else None,
    )


def events_about(subject):
    """The timeline rows whose subject is this object (newest first), e.g. a contract's history."""
    from .models import AccountEvent

    return AccountEvent.objects.filter(subject_type=subject_type_of(subject), subject_id=subject.pk)


def event_link(event) -> str:
    """The URL of the event's subject, built by its kind's `link` function ("" when none)."""
    spec = EVENT_KINDS.get(event.kind)
    if spec is None or spec.link is None or event.subject_id is None:
        return ""
    return spec.link(event) or ""


def render_event(event) -> dict:
    """What a template needs for one timeline row."""
    spec = EVENT_KINDS.get(event.kind)
    return {
        "when": event.occurred_at,
        "kind": event.kind,
        "label": spec.label if spec else event.kind,
        "icon": spec.icon if spec else "dot",
        "category": spec.category if spec else "account",
        "text": spec.describe(event.data) if spec else "",
        "actor": event.actor,
        "link": event_link(event),
    }
