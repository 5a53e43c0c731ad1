from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TieringConfig(AppConfig):
    name = "tiering"
    verbose_name = _("Tiering")
    admin_order = 20
    admin_model_order = ("TierPolicy", "TierBenefit", "TierOverride", "TierChange", "RecomputeJob")

    def ready(self):
        from django.db.models.signals import post_migrate

        from accounts.alerts import register_account_alerts
        from accounts.panels import register_account_panel
        from core.demo import register_demo_step
        from core.navigation import register_nav_item
        from users.permissions import has_crm_perm
        from users.roles import Role
        from users.visibility import VisibilityRule, has_role, register_visibility

        from .demo import seed_tiers
        from .events import register_event_kinds
        from .selectors import account_tier_alerts, account_tier_summary
        from .views import PIN_PERM

        readers = frozenset({Role.ADMIN, Role.DIRECTOR, Role.SERVICE, Role.FINANCE})
        per_account = VisibilityRule(owner_path="account__owner", team_path="account__team", all_roles=readers)
        for label in ("TierChange", "TierOverride", "AccountScore"):
            register_visibility(f"tiering.{label}", per_account)

        # the data migration makes the benefits and the first policy; a flushed database
        # (transactional tests) gets them back after its post_migrate, as the role groups do
        post_migrate.connect(ensure_default_benefits_and_policy, sender=self)
        register_event_kinds()
        register_nav_item(
            order=30,
            label=_("Tiers"),
            url_name="tiering:overview",
            icon="bar-chart-steps",
            visible=lambda user: has_role(user, *Role),
        )
        register_account_alerts(key="tiering.tier", order=20, alerts=account_tier_alerts)
        register_demo_step(name="tiering", order=30, run=seed_tiers)
        register_account_panel(
            key="tiering.tier",
            order=10,
            title=_("Tier"),
            template="tiering/includes/account_tier_card.html",
            context=lambda *, user, account: {
                **account_tier_summary(user=user, account=account),
                "can_manage": has_crm_perm(user, PIN_PERM),
            },
            visible=lambda user: has_role(user, *Role),
        )


#: tier, respond h, resolve h, visit every d, callback every d, served by (as migration 0002 made them)
DEFAULT_BENEFITS = [
    ("vip", 2, 24, 30, 14, "Dedicated account manager and senior engineer; director sponsor"),
    ("regular", 8, 72, 90, 30, "Account manager; service desk priority queue"),
    ("small", 24, 120, 180, 90, "Service desk; account manager on request"),
]


def ensure_default_benefits_and_policy(sender=None, using="default", **kwargs):
    """Make the default benefits and policy when they are missing; rows already there are kept."""
    from .models import TierBenefit, TierPolicy

    for tier, respond, resolve, visit, callback, served_by in DEFAULT_BENEFITS:
        TierBenefit.objects.using(using).get_or_create(
            tier=tier,
            defaults={
                "response_hours": respond,
                "resolution_hours": resolve,
                "visit_cadence_days": visit,
                "callback_cadence_days": callback,
                "served_by": served_by,
            },
        )
    if not TierPolicy.objects.using(using).exists():
        TierPolicy.objects.using(using).create(
            version=1, is_active=True, note="Defaults (80/20: top 20% VIP, next 30% regular)"
        )
