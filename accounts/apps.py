from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Key accounts")
    # the admin menu (core/admin_site.py): CRM apps first, in the order of their work
    admin_order = 10
    admin_model_order = ("Account", "Contact", "Feedback", "Transaction", "CompetitorPresence", "Competitor")

    def ready(self):
        from core.demo import register_demo_step
        from core.navigation import register_nav_item
        from core.search import register_search_provider
        from users.roles import Role
        from users.visibility import VisibilityRule, has_role, register_visibility

        from .demo import seed_accounts
        from .events import register_event_kinds
        from .imports import register as register_importers

        register_event_kinds()
        readers = frozenset({Role.ADMIN, Role.DIRECTOR, Role.SERVICE, Role.FINANCE})
        account_rule = VisibilityRule(owner_path="owner", team_path="team", all_roles=readers)
        child_rule = VisibilityRule(owner_path="account__owner", team_path="account__team", all_roles=readers)
        register_visibility("accounts.Account", account_rule)
        for label in ("Contact", "Transaction", "Feedback", "CompetitorPresence", "AccountEvent", "AccountSearch"):
            register_visibility(f"accounts.{label}", child_rule)

        register_nav_item(
            order=20,
            label=_("Accounts"),
            url_name="accounts:list",
            icon="building",
            visible=lambda user: has_role(user, *Role),
        )
        register_demo_step(name="accounts", order=20, run=seed_accounts)
        register_importers()
        from .alerts import register_account_alerts
        from .selectors import account_feedback_alerts, account_quick_search

        register_search_provider(key="accounts", order=20, search=account_quick_search)
        register_account_alerts(key="accounts.feedback", order=10, alerts=account_feedback_alerts)
