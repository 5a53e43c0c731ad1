from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TieringConfig(AppConfig):
    name = "tiering"
    verbose_name = _("Tiering")

    def ready(self):
        from accounts.panels import register_account_panel
        from accounts.timeline import register_event_kind
        from core.demo import register_demo_step
        from core.navigation import register_nav_item
        from users.permissions import has_crm_perm
        from users.roles import Role
        from users.visibility import VisibilityRule, has_role, register_visibility

        from .demo import seed_tiers
        from .reasons import describe_event, describe_override_end_event, describe_override_event
        from .selectors import account_tier_summary
        from .views import PIN_PERM

        readers = frozenset({Role.ADMIN, Role.DIRECTOR, Role.SERVICE, Role.FINANCE})
        per_account = VisibilityRule(owner_path="account__owner", team_path="account__team", all_roles=readers)
        for label in ("TierChange", "TierOverride", "AccountScore"):
            register_visibility(f"tiering.{label}", per_account)

        register_event_kind(
            "tier.changed",
            label=_("Tier changed"),
            icon="bar-chart-steps",
            describe=describe_event,
            category="tiers",
        )
        register_event_kind(
            "tier.override_set",
            label=_("Tier pinned"),
            icon="pin-angle",
            describe=describe_override_event,
            category="tiers",
        )
        register_event_kind(
            "tier.override_ended",
            label=_("Tier pin ended"),
            icon="pin",
            describe=describe_override_end_event,
            category="tiers",
        )
        register_nav_item(
            order=30,
            label=_("Tiers"),
            url_name="tiering:overview",
            icon="bar-chart-steps",
            visible=lambda user: has_role(user, *Role),
        )
        register_demo_step(name="tiering", order=30, run=seed_tiers)
        register_account_panel(
            order=10,
            template="tiering/includes/account_tier_card.html",
            context=lambda *, user, account: {
                **account_tier_summary(user=user, account=account),
                "can_manage": has_crm_perm(user, PIN_PERM),
            },
        )
