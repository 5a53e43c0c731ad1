"""Action permissions for CRM pages, decided from the role table without a database query.

The role groups hold exactly the permissions `users.roles.ROLE_GRANTS` declares (synced after
every migrate), so asking the table gives the same answer as `user.has_perm` for role holders,
without the two permission queries per request. Django admin still uses `has_perm`.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from .roles import granted_actions
from .visibility import roles_of


def has_crm_perm(user, perm: str) -> bool:
    """`perm` is "app_label.action_model", e.g. "accounts.change_account"."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    app_label, codename = perm.split(".", 1)
    action, model = codename.split("_", 1)
    return any(action in granted_actions(role, app_label, model) for role in roles_of(user))


def crm_permission_required(perm: str):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not has_crm_perm(request.user, perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class CrmModelPermission(BasePermission):
    """The one DRF permission class: the model permission a method needs, read from the role
    table (`has_crm_perm`) instead of two permission queries per request.

    Reads need the view permission too (a role without it sees nothing); DELETE archives, so it
    needs the change permission. Views set `crm_model` ("app_label.model") when their queryset
    is not the model's."""

    actions = {
        "GET": "view",
        "HEAD": "view",
        "OPTIONS": "",  # metadata only, as DRF's model permissions allow
        "POST": "add",
        "PUT": "change",
        "PATCH": "change",
        "DELETE": "change",
    }

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        label = getattr(view, "crm_model", None)
        if label is None:
            queryset = getattr(view, "queryset", None)
            if queryset is None:
                queryset = view.get_queryset()
            label = queryset.model._meta.label_lower
        app_label, model = label.split(".")
        action = self.actions.get(request.method)
        if action is None:
            return False
        return action == "" or has_crm_perm(user, f"{app_label}.{action}_{model}")
