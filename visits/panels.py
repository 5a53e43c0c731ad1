"""What visits adds to the account 360° page: the activity composer across the top and the
visits card (both loaded by htmx through accounts.panels)."""

from users.permissions import has_crm_perm

from .selectors import account_activity_summary

COMPOSE_PERMS = ("visits.add_callback", "visits.add_visit", "visits.add_note")


def can_compose(user) -> bool:
    return any(has_crm_perm(user, perm) for perm in COMPOSE_PERMS)


def composer_context(*, user, account) -> dict:
    """No query: the composer's first form is loaded by htmx when the panel shows."""
    from .views import composer_modes

    modes = composer_modes(user) if not account.is_archived else []
    return {"account": account, "modes": modes, "first_mode": modes[0][0] if modes else ""}


def activity_card_context(*, user, account) -> dict:
    context = account_activity_summary(user=user, account=account)
    context.update(
        {
            "can_plan": has_crm_perm(user, "visits.add_visit") and not account.is_archived,
            "can_follow_up": has_crm_perm(user, "visits.add_followup") and not account.is_archived,
        }
    )
    return context
