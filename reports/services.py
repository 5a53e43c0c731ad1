"""Reports' writes: the dashboard figures shared by everyone who sees every account, counted ahead."""

from django.db.models import Q
from django.utils import timezone

from accounts.models import Account
from users.models import User
from users.roles import Role
from users.visibility import figures_audience, rule_for
from visits.selectors import coverage_page

from .selectors.dashboard import dashboard_summary


def company_figures_refresh() -> str:
    """Count again what everyone who sees every account shares — the dashboard summary and this
    month's coverage — as one of them would see it (an active user who sees every account and is
    not an account manager, whose summary would add the overdue count), so that none of them waits
    for a pass over every account when they open the page. The beat runs this every minute; the
    entries live two minutes, so a reader never falls between two runs."""
    rule_roles = [str(role) for role in rule_for(Account).all_roles]
    reader = (
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name__in=rule_roles))
        .exclude(groups__name=Role.MANAGER.value)
        .distinct()
        .order_by("pk")
        .first()
    )
    if reader is None or figures_audience(reader, Account) != "all":
        return "nobody sees every account"
    summary, _as_of = dashboard_summary(user=reader, refresh=True, keep_for=2)
    coverage_page(user=reader, month=timezone.localdate().replace(day=1), refresh=True, keep_for=2)
    return f"{summary.get('accounts', 0)} accounts"
