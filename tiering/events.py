"""The tiering app's timeline events (docs/decisions.md "Timeline events").

`register_event_kinds()` (called once from TieringConfig.ready) declares the kinds; below it, one
function per event that the pin services call. The recompute writes the same kinds in bulk with
INSERT ... SELECT (`tiering.recompute`), with the same subjects and data.
"""

from django.utils.translation import gettext_lazy as _

from accounts.timeline import record_event, register_event_kind

from .reasons import describe_event, describe_override_end_event, describe_override_event

TIER_CHANGED = "tier.changed"  # subject: the TierChange
TIER_OVERRIDE_SET = "tier.override_set"  # subject: the TierOverride
TIER_OVERRIDE_ENDED = "tier.override_ended"  # subject: the TierOverride


def register_event_kinds() -> None:
    register_event_kind(
        TIER_CHANGED, label=_("Tier changed"), icon="bar-chart-steps", describe=describe_event, category="tiers"
    )
    register_event_kind(
        TIER_OVERRIDE_SET, label=_("Tier pinned"), icon="pin-angle", describe=describe_override_event, category="tiers"
    )
    register_event_kind(
        TIER_OVERRIDE_ENDED,
        label=_("Tier pin ended"),
        icon="pin",
        describe=describe_override_end_event,
        category="tiers",
    )


# --- one function per event ---------------------------------------------------------------------


def tier_changed_event(*, change):
    """A tier change by hand (a pin set or ended); the recompute writes its own in bulk."""
    return record_event(
        account=change.account,
        kind=TIER_CHANGED,
        subject=change,
        actor=change.actor,
        occurred_at=change.at,
        data=change.details,
    )


def tier_override_set_event(*, override, actor):
    return record_event(
        account=override.account,
        kind=TIER_OVERRIDE_SET,
        subject=override,
        actor=actor,
        data={"tier": override.tier, "ends_on": override.ends_on.isoformat(), "reason": override.reason},
    )


def tier_override_ended_event(*, override, actor, reason: str = ""):
    return record_event(
        account=override.account,
        kind=TIER_OVERRIDE_ENDED,
        subject=override,
        actor=actor,
        # no reason given: stored empty and worded in the reader's language when shown
        data={"tier": override.tier, "reason": reason},
    )
