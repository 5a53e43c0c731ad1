from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("Contracts and payments")

    def ready(self):
        from accounts.alerts import register_account_alerts
        from accounts.panels import register_account_panel
        from core.demo import register_demo_step
        from core.navigation import register_nav_item
        from users.permissions import has_crm_perm
        from users.roles import Role
        from users.visibility import VisibilityRule, has_role, register_visibility

        from . import events
        from .demo import seed_contracts
        from .selectors import account_contract_alerts, account_contract_summary

        # finance sees all contracts and payments; account managers those of their accounts
        readers = frozenset({Role.ADMIN, Role.DIRECTOR, Role.FINANCE})
        register_visibility(
            "contracts.Contract",
            VisibilityRule(owner_path="account__owner", team_path="account__team", all_roles=readers),
        )
        register_visibility(
            "contracts.Payment",
            VisibilityRule(owner_path="account__owner", team_path="account__team", all_roles=readers),
        )
        child = VisibilityRule(
            owner_path="contract__account__owner", team_path="contract__account__team", all_roles=readers
        )
        for label in ("Installment", "Amendment", "ContractDocument", "ApprovalStep"):
            register_visibility(f"contracts.{label}", child)
        register_visibility(
            "contracts.Allocation",
            VisibilityRule(
                owner_path="installment__contract__account__owner",
                team_path="installment__contract__account__team",
                all_roles=readers,
            ),
        )

        events.register_kinds()
        contract_roles = (Role.ADMIN, Role.DIRECTOR, Role.MANAGER, Role.FINANCE)
        register_nav_item(
            order=40,
            label=_("Contracts"),
            url_name="contracts:list",
            icon="file-earmark-text",
            visible=lambda user: has_role(user, *contract_roles),
        )
        register_nav_item(
            order=41,
            label=_("Approvals"),
            url_name="contracts:approvals",
            icon="check2-square",
            visible=lambda user: has_role(user, Role.ADMIN, Role.DIRECTOR, Role.FINANCE),
        )
        register_nav_item(
            order=42,
            label=_("Receivables"),
            url_name="contracts:receivables",
            icon="cash-stack",
            visible=lambda user: has_role(user, Role.ADMIN, Role.DIRECTOR, Role.FINANCE),
        )
        register_demo_step(name="contracts", order=40, run=seed_contracts)
        register_account_alerts(
            key="contracts.due",
            order=30,
            alerts=account_contract_alerts,
            visible=lambda user: has_crm_perm(user, "contracts.view_contract"),
        )
        register_account_panel(
            key="contracts.contracts",
            order=20,
            title=_("Contracts and balance"),
            template="contracts/includes/account_contracts_panel.html",
            context=lambda *, user, account: {
                **account_contract_summary(user=user, account=account),
                "can_add": has_crm_perm(user, "contracts.add_contract"),
            },
            visible=lambda user: has_crm_perm(user, "contracts.view_contract"),
            column="main",
        )
