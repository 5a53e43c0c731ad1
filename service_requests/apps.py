from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceRequestsConfig(AppConfig):
    name = "service_requests"
    verbose_name = _("Service requests")

    def ready(self):
        from accounts.alerts import register_account_alerts
        from accounts.panels import register_account_panel
        from core.demo import register_demo_step
        from core.navigation import register_nav_item
        from users.permissions import has_crm_perm
        from users.roles import Role
        from users.visibility import VisibilityRule, register_visibility

        from . import events
        from .demo import seed_service_requests
        from .selectors import account_request_alerts
        from .views import account_panel_context

        # customer service sees every request; account managers those of their accounts
        readers = frozenset({Role.ADMIN, Role.DIRECTOR, Role.SERVICE})
        register_visibility(
            "service_requests.ServiceRequest",
            VisibilityRule(owner_path="account__owner", team_path="account__team", all_roles=readers),
        )
        nested = VisibilityRule(
            owner_path="request__account__owner", team_path="request__account__team", all_roles=readers
        )
        for model in ("Comment", "Attachment", "Escalation"):
            register_visibility(f"service_requests.{model}", nested)
        events.register_kinds()
        can_view = lambda user: has_crm_perm(user, "service_requests.view_servicerequest")  # noqa: E731
        register_nav_item(
            order=45, label=_("Requests"), url_name="service_requests:list", icon="life-preserver", visible=can_view
        )
        register_account_alerts(key="service_requests.open", order=15, alerts=account_request_alerts, visible=can_view)
        register_account_panel(
            key="service_requests.open",
            order=15,
            title=_("Service requests"),
            template="service_requests/includes/account_requests_panel.html",
            context=account_panel_context,
            visible=can_view,
            column="side",
        )
        register_demo_step(name="service_requests", order=45, run=seed_service_requests)
