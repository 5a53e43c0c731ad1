"""Cards that higher apps add to the account 360° page (accounts cannot import them).

An app registers each panel once, in its AppConfig.ready:

    register_account_panel(
        key="contracts.open",                      # unique; also in the panel's URL
        order=30,                                  # position in its column
        title=_("Contracts"),                      # shown while the panel loads
        template="contracts/includes/account_contracts_panel.html",   # gets `account` and `ctx`
        context=lambda *, user, account: contracts_for_account(user=user, account=account),
        visible=lambda user: has_role(user, Role.ADMIN, Role.FINANCE, ...),   # who may see it
        column="side",                             # "top" (across the page), "main" (wide) or "side"
    )

The 360° page itself runs no panel code: it renders one placeholder per panel the user may see,
and each placeholder loads its panel through htmx when it scrolls into view
(`hx-trigger="revealed"`) from one URL, `accounts:panel` (/accounts/<pk>/panels/<key>/). That view
checks that the user may see the account (404 otherwise) and the panel (`visible`, 404 otherwise),
then calls `context(user=..., account=...)`. So the page's query count does not grow with the
number of panels, and a slow panel does not hold the page up.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.http import Http404

from core.registry import Registry

COLUMNS = ("top", "main", "side")  # top: across the page, above the cards (the activity composer)


@dataclass(frozen=True)
class AccountPanel:
    key: str
    order: int
    title: str  # lazy translation
    template: str
    context: Callable[..., dict]  # (*, user, account) -> dict
    visible: Callable  # (user) -> bool; must not query per account (it runs on the 360° page)
    column: str = "side"


PANELS: Registry[AccountPanel] = Registry("account panel")


def register_account_panel(
    *,
    key: str,
    order: int,
    title,
    template: str,
    context: Callable[..., dict],
    visible: Callable,
    column: str = "side",
) -> AccountPanel:
    if column not in COLUMNS:
        raise ImproperlyConfigured(f"Account panel {key!r}: column must be one of {COLUMNS}, not {column!r}.")
    panel = AccountPanel(
        key=key, order=order, title=title, template=template, context=context, visible=visible, column=column
    )
    return PANELS.add(key, panel)


def panels_for(*, user) -> dict[str, list[AccountPanel]]:
    """The panels this user may see, per column, in order (for the placeholders; no panel code runs)."""
    columns: dict[str, list[AccountPanel]] = {column: [] for column in COLUMNS}
    for panel in sorted(PANELS, key=lambda p: (p.order, p.key)):
        if panel.visible(user):
            columns[panel.column].append(panel)
    return columns


def panel_get_for_user(*, user, key: str) -> AccountPanel:
    """The panel `key` if this user may see it; Http404 otherwise (unknown or not for them)."""
    panel = PANELS.get(key)
    if panel is None or not panel.visible(user):
        raise Http404("No such panel.")
    return panel
