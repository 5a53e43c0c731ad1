"""The account timeline: one table of events (AccountEvent) that every app writes to.

An app declares its event kinds here in AppConfig.ready (or an imported module) with a
label, an icon and a function that turns the event's stored `data` into a sentence in the
reader's language; its services call `record_event` inside their transaction.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone


@dataclass(frozen=True)
class EventKind:
    kind: str
    label: str  # lazy translation
    icon: str  # bootstrap-icons name
    describe: Callable[[dict], str]
    category: str = "account"  # visits, callbacks, requests, contracts, payments, tiers ...


_KINDS: dict[str, EventKind] = {}


def register_event_kind(kind: str, *, label, icon: str, describe: Callable[[dict], str], category: str = "account"):
    _KINDS[kind] = EventKind(kind=kind, label=label, icon=icon, describe=describe, category=category)


def event_kinds() -> dict[str, EventKind]:
    return dict(_KINDS)


def record_event(*, account, kind: str, data: dict | None = None, actor=None, occurred_at=None, link: str = ""):
    from .models import AccountEvent

    if kind not in _KINDS:
        raise ValueError(f"Unknown timeline event kind {kind!r}; register it first.")
    return AccountEvent.objects.create(
        account=account,
        kind=kind,
        data=data or {},
        actor=actor,
        occurred_at=occurred_at or timezone.now(),
        link=link,
    )


def render_event(event) -> dict:
    """What a template needs for one timeline row."""
    spec = _KINDS.get(event.kind)
    return {
        "when": event.occurred_at,
        "kind": event.kind,
        "label": spec.label if spec else event.kind,
        "icon": spec.icon if spec else "dot",
        "category": spec.category if spec else "account",
        "text": spec.describe(event.data) if spec else "",
        "actor": event.actor,
        "link": event.link,
    }
