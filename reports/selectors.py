"""Dashboard figures, read across apps through their selectors (all visibility-scoped)."""

from accounts.selectors import account_list, accounts_summary, feedback_list
from core.models import Heartbeat


def dashboard_data(*, user) -> dict:
    return {
        "summary": accounts_summary(user=user),
        "top_accounts": list(account_list(user=user, sort="-revenue")[:10]),
        "unhappy_feedback": list(feedback_list(user=user).filter(satisfaction__lte=2).exclude(status="done")[:8]),
        "heartbeat": Heartbeat.objects.filter(name="beat").first() if user.is_staff else None,
    }
