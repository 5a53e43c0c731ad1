"""What visits adds to the account 360° page: the activity composer on top and the contact card."""

from users.permissions import has_crm_perm

from .selectors import account_activity_summary


def composer_context(*, user, account) -> dict:
    """No query: the composer's first form is loaded by htmx when the page shows."""
    from .views import composer_modes

    modes = composer_modes(user) if not account.is_archived else []
    return {"account": account, "modes": modes, "first_mode": modes[0][0] if modes else ""}


def activity_card_placeholder(*, user, account) -> dict:
    """No query: the card itself is loaded by htmx when it scrolls into view."""
    return {"account": account, "hidden": not has_crm_perm(user, "visits.view_visit")}


def activity_card_context(*, user, account) -> dict:
    if not has_crm_perm(user, "visits.view_visit"):
        return {"hidden": True}
    context = account_activity_summary(user=user, account=account)
    context.update(
        {
            "can_plan": has_crm_perm(user, "visits.add_visit") and not account.is_archived,
            "can_follow_up": has_crm_perm(user, "visits.add_followup") and not account.is_archived,
        }
    )
    return context
