"""Cards that higher apps add to the account 360° page (accounts cannot import them).

An app registers, in AppConfig.ready, a template and a function that builds its context:
`register_account_panel(order=10, column="side", template="tiering/includes/account_tier_card.html",
context=lambda *, user, account: {...})`. Each context function should cost at most a query or two.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class AccountPanel:
    order: int
    column: str  # "top" (above the cards, full width), "main" (wide) or "side"
    template: str
    context: Callable[..., dict]


_PANELS: list[AccountPanel] = []


def register_account_panel(*, order: int, template: str, context: Callable[..., dict], column: str = "side"):
    _PANELS.append(AccountPanel(order=order, column=column, template=template, context=context))


def panels_for(*, user, account) -> dict[str, list[dict]]:
    columns: dict[str, list[dict]] = {"top": [], "main": [], "side": []}
    for panel in sorted(_PANELS, key=lambda p: p.order):
        columns[panel.column].append({"template": panel.template, "context": panel.context(user=user, account=account)})
    return columns
