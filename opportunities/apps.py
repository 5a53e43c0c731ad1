from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpportunitiesConfig(AppConfig):
    name = "opportunities"
    verbose_name = _("Opportunities and quotes")

    def ready(self):
        from django.db.models.signals import post_migrate

        from accounts.panels import register_account_panel
        from core.demo import register_demo_step
        from core.navigation import register_nav_item
        from users.permissions import has_crm_perm
        from users.visibility import VisibilityRule, register_visibility

        from . import events
        from .demo import seed_opportunities
        from .selectors import account_opportunity_summary

        # the account's manager (and their team leader) sees its opportunities; directors and admins all
        register_visibility(
            "opportunities.Opportunity", VisibilityRule(owner_path="account__owner", team_path="account__team")
        )
        child = VisibilityRule(owner_path="opportunity__account__owner", team_path="opportunity__account__team")
        for label in ("OpportunityContact", "StageChange", "Quote"):
            register_visibility(f"opportunities.{label}", child)
        register_visibility(
            "opportunities.QuoteLine",
            VisibilityRule(
                owner_path="quote__opportunity__account__owner", team_path="quote__opportunity__account__team"
            ),
        )

        # the data migration makes the default stages; a flushed database (transactional tests)
        # gets them back after its post_migrate, as the role groups do
        post_migrate.connect(ensure_default_stages, sender=self)
        events.register_kinds()
        register_nav_item(
            order=35,
            label=_("Pipeline"),
            url_name="opportunities:board",
            icon="kanban",
            visible=lambda user: has_crm_perm(user, "opportunities.view_opportunity"),
        )
        register_demo_step(name="opportunities", order=50, run=seed_opportunities)
        register_account_panel(
            key="opportunities.opportunities",
            order=15,
            title=_("Opportunities"),
            template="opportunities/includes/account_panel.html",
            context=lambda *, user, account: {
                **account_opportunity_summary(user=user, account=account),
                "can_add": has_crm_perm(user, "opportunities.add_opportunity"),
            },
            visible=lambda user: has_crm_perm(user, "opportunities.view_opportunity"),
            column="main",
        )


def ensure_default_stages(sender=None, using="default", **kwargs):
    """Create the buying process's default stages when there are no stages at all."""
    from .models import DEFAULT_STAGES, Stage

    if Stage.objects.using(using).exists():
        return
    Stage.objects.using(using).bulk_create(
        Stage(code=code, name=name, order=(index + 1) * 10, probability=probability, outcome=outcome)
        for index, (code, name, probability, outcome) in enumerate(DEFAULT_STAGES)
    )
