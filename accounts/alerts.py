""" "What's wrong with this account": the alerts at the top of the 360° page.

Each app that knows about a kind of trouble (open feedback here; later open service requests,
overdue payments, the next planned contact) registers one source in its AppConfig.ready:

    register_account_alerts(
        key="contracts.overdue",
        order=30,
        alerts=lambda *, user, account: [
            AccountAlert(level="danger", icon="cash-coin", count=2, url=...,
                         text=ngettext("%(n)s overdue payment", "%(n)s overdue payments", 2) % {"n": 2}),
        ],
        visible=lambda user: has_role(user, Role.ADMIN, Role.FINANCE, ...),
    )

The 360° page runs no source itself: its header holds one placeholder that htmx fills from
`accounts:alerts` (/accounts/<pk>/alerts/) as soon as the page loads. That view checks that the
user may see the account (404 otherwise) and asks each source the user may see (one or two
queries each). So the page's own query count does not grow as apps add sources, and the strip
appears above the fold at once. A source returns [] when all is well; the strip then says so.
"""

from collections.abc import Callable
from dataclasses import dataclass

from core.registry import Registry

LEVELS = ("danger", "warning", "info")


@dataclass(frozen=True)
class AccountAlert:
    level: str  # "danger", "warning" or "info": the order they are shown in
    icon: str  # a Bootstrap icon name
    text: str  # translated, with the count in it: "2 open feedback items (1 unhappy)"
    url: str = ""  # the rows behind the count
    count: int | None = None


@dataclass(frozen=True)
class AlertSource:
    key: str
    order: int
    alerts: Callable[..., list[AccountAlert]]  # (*, user, account) -> [AccountAlert]
    visible: Callable  # (user) -> bool


SOURCES: Registry[AlertSource] = Registry("account alert source")


def register_account_alerts(*, key: str, order: int, alerts: Callable, visible: Callable = lambda user: True):
    return SOURCES.add(key, AlertSource(key=key, order=order, alerts=alerts, visible=visible))


def account_alerts(*, user, account) -> list[AccountAlert]:
    """Every alert about this account the user may see: most serious first, then source order."""
    found = []
    for source in sorted(SOURCES, key=lambda s: (s.order, s.key)):
        if source.visible(user):
            found.extend(source.alerts(user=user, account=account))
    return sorted(found, key=lambda a: LEVELS.index(a.level) if a.level in LEVELS else len(LEVELS))
