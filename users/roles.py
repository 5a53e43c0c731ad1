"""The five roles. Each is a Django group; its model permissions are declared here once.

The data migration creates the groups; `sync_role_permissions` (run after every migrate)
grants each group the permissions this table names, so apps added later are covered.
"""

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class Role(TextChoices):
    ADMIN = "Administrator", _("Administrator")
    DIRECTOR = "Sales director", _("Sales director")
    MANAGER = "Account manager", _("Account manager")
    SERVICE = "Customer service", _("Customer service")
    FINANCE = "Finance", _("Finance")


CRM_APPS = [
    "accounts",
    "tiering",
    "visits",
    "service_requests",
    "contracts",
    "opportunities",
    "reminders",
    "reports",
]
ALL = ("view", "add", "change", "delete")
READ = ("view",)
WRITE = ("view", "add", "change")

# reminders: everyone reads and marks their own reminders and chooses their channels; the rules
# are directors' (admin); webhooks (integrations' addresses and secrets) are administrators' only
REMINDERS_ADMIN_ONLY = {
    f"reminders.{model}": () for model in ("webhookendpoint", "webhookdelivery", "outboundevent", "cursor")
}
REMINDERS_RULES_READ = {"reminders.rule": READ}

# role -> {app_label or "app_label.model": actions}; the most specific key wins
ROLE_GRANTS: dict[str, dict[str, tuple[str, ...]]] = {
    Role.ADMIN: dict.fromkeys([*CRM_APPS, "users", "core", "django_celery_beat", "authtoken", "auth"], ALL),
    Role.DIRECTOR: {
        **dict.fromkeys(CRM_APPS, WRITE),
        "users": READ,
        "tiering.tierpolicy": WRITE,
        # the discount limit that needs a director's approval is the administrators' to set
        "opportunities.quotesettings": READ,
        "core": READ,
        **REMINDERS_ADMIN_ONLY,
    },
    Role.MANAGER: {
        "accounts": WRITE,
        # revenue is written by finance and integrations (a manager's own push would move their
        # accounts to VIP at the next recompute); the competitor list is directors' master data,
        # managers record a competitor's presence at their accounts
        "accounts.transaction": READ,
        "accounts.competitor": READ,
        "tiering": READ,
        "visits": WRITE,
        "opportunities": WRITE,
        "opportunities.stage": READ,  # the buying process's stages are directors' master data
        "opportunities.quotesettings": READ,
        "service_requests": WRITE,
        # contracts of their accounts: draft, submit, amend, schedule, documents; payments read-only
        "contracts": READ,
        "contracts.contract": WRITE,
        "contracts.contractdocument": WRITE,
        "contracts.amendment": ("view", "add"),
        "contracts.installment": ALL,
        "reminders": WRITE,
        **REMINDERS_RULES_READ,
        **REMINDERS_ADMIN_ONLY,
        "reports": READ,
        "users": READ,
    },
    Role.SERVICE: {
        "accounts": READ,
        "accounts.feedback": WRITE,
        "tiering": READ,
        # customer service reads visits and logs callbacks, notes and follow-ups
        "visits": READ,
        "visits.callback": WRITE,
        "visits.note": WRITE,
        "visits.followup": WRITE,
        "service_requests": WRITE,
        "reminders": WRITE,
        **REMINDERS_RULES_READ,
        **REMINDERS_ADMIN_ONLY,
        "reports": READ,
        "users": READ,
    },
    Role.FINANCE: {
        "accounts": READ,
        "accounts.transaction": WRITE,
        "tiering": READ,
        "contracts": WRITE,
        "contracts.installment": ALL,
        "contracts.approvalrule": READ,
        "reminders": WRITE,
        **REMINDERS_RULES_READ,
        **REMINDERS_ADMIN_ONLY,
        "reports": READ,
        "users": READ,
    },
}

# roles whose members may open Django admin
STAFF_ROLES = {Role.ADMIN, Role.DIRECTOR, Role.FINANCE}


def granted_actions(role: str, app_label: str, model: str) -> tuple[str, ...]:
    grants = ROLE_GRANTS.get(role, {})
    return grants.get(f"{app_label}.{model}", grants.get(app_label, ()))


def sync_role_permissions(sender=None, using="default", **kwargs):
    """Make every role group hold exactly the permissions ROLE_GRANTS gives it."""
    from django.contrib.auth.models import Group, Permission

    perms = list(Permission.objects.using(using).select_related("content_type"))
    for role in Role:
        group, _created = Group.objects.using(using).get_or_create(name=role.value)
        wanted = [
            p
            for p in perms
            if p.codename.split("_", 1)[0] in granted_actions(role, p.content_type.app_label, p.content_type.model)
        ]
        group.permissions.set(wanted)
