from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("Visits and callbacks")

    def ready(self):
        from accounts.alerts import register_account_alerts
        from accounts.panels import register_account_panel
        from core.demo import register_demo_step
        from core.navigation import register_nav_item
        from users.permissions import has_crm_perm
        from users.roles import Role
        from users.visibility import VisibilityRule, has_role, register_visibility

        from . import events, selectors
        from .demo import seed_visits
        from .panels import activity_card_context, can_compose, composer_context

        readers = frozenset({Role.ADMIN, Role.DIRECTOR, Role.SERVICE})
        rule = VisibilityRule(owner_path="account__owner", team_path="account__team", all_roles=readers)
        for label in ("Visit", "Callback", "Note", "FollowUp"):
            register_visibility(f"visits.{label}", rule)

        events.register_kinds()
        register_nav_item(
            order=40,
            label=_("Visits"),
            url_name="visits:home",
            icon="calendar-week",
            visible=lambda user: has_role(user, Role.ADMIN, Role.DIRECTOR, Role.MANAGER, Role.SERVICE),
        )
        register_demo_step(name="visits", order=40, run=seed_visits)
        register_account_alerts(
            key="visits.next",
            order=40,
            alerts=lambda *, user, account: selectors.account_visit_alerts(user=user, account=account),
            visible=lambda user: has_crm_perm(user, "visits.view_visit"),
        )
        register_account_panel(
            key="visits.composer",
            order=1,
            column="top",
            title=_("Log activity"),
            template="visits/includes/composer.html",
            context=composer_context,
            visible=can_compose,
        )
        register_account_panel(
            key="visits.activity",
            order=20,
            title=_("Visits and follow-ups"),
            template="visits/includes/account_card.html",
            context=activity_card_context,
            visible=lambda user: has_crm_perm(user, "visits.view_visit"),
        )
