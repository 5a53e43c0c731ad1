"""Dashboard figures, read across apps through their selectors (all visibility-scoped)."""

import datetime

from django.utils import timezone

from accounts.models import Account
from accounts.selectors import account_list, accounts_summary, feedback_list
from core.cache import cached_figures
from core.models import Heartbeat
from users.roles import Role
from users.visibility import figures_audience, has_role, manager_scope, sees_all
from visits.selectors import overdue_q

from .common import local_midnight

# the beat stamps its heartbeat every minute: three missed beats mean trouble
HEARTBEAT_STALE_AFTER = datetime.timedelta(minutes=3)


def heartbeat_state(heartbeat: Heartbeat | None, *, now: datetime.datetime | None = None) -> str:
    """ "waiting" before the first beat (a fresh start is not an alarm), "ok", or "stale"."""
    if heartbeat is None:
        return "waiting"
    now = now or timezone.now()
    return "stale" if now - heartbeat.last_run_at > HEARTBEAT_STALE_AFTER else "ok"


def dashboard_data(*, user, with_heartbeat: bool = False, refresh: bool = False) -> dict:
    """`with_heartbeat`: the caller may see the beat's health (the view asks the role table).
    The summary adds up every visible account: it is kept a minute (`refresh` recomputes), one
    entry for all who see every account."""
    heartbeat = Heartbeat.objects.filter(name="beat").first() if with_heartbeat else None
    summary, as_of = dashboard_summary(user=user, refresh=refresh)
    return {
        "summary": summary,
        "figures_as_of": as_of,
        # "My accounts" only where the figure is the user's own book; the others see everyone's
        "sees_all_accounts": sees_all(user, Account),
        # a team leader's figures are their team's accounts, not only their own
        "leads_team": not sees_all(user, Account) and bool(manager_scope(user)[1]),
        "top_accounts": list(account_list(user=user, sort="-revenue")[:10]),
        "unhappy_feedback": list(feedback_list(user=user).filter(satisfaction__lte=2).exclude(status="done")[:8]),
        "heartbeat": heartbeat,
        "heartbeat_state": heartbeat_state(heartbeat) if with_heartbeat else None,
    }


def dashboard_summary(*, user, refresh: bool = False, keep_for: float = 1) -> tuple[dict, datetime.datetime]:
    """The summary of the accounts the user sees and when it was counted, kept a minute: one entry
    for all who see every account (`users.visibility.figures_audience`), one per manager else."""
    today = timezone.localdate()
    # the account manager's board reads the overdue count (12 ms more at a million accounts: only for them)
    manager = has_role(user, Role.MANAGER)
    return cached_figures(
        f"summary:{figures_audience(user, Account)}:{'manager' if manager else 'plain'}:{today}",
        lambda: accounts_summary(
            user=user,
            contacted_since=local_midnight(today.replace(day=1)),
            also_count={"overdue": overdue_q(today=today)} if manager else None,
        ),
        refresh=refresh,
        keep_for=keep_for,
    )
