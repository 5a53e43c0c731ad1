"""Action permissions for CRM pages, decided from the role table without a database query.

The role groups hold exactly the permissions `users.roles.ROLE_GRANTS` declares (synced after
every migrate), so asking the table gives the same answer as `user.has_perm` for role holders,
without the two permission queries per request. Django admin still uses `has_perm`.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

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
    """The one page decorator: anonymous callers go to sign-in, a role without `perm` gets 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_crm_perm(request.user, perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# --- the one DRF permission class --------------------------------------------------------------

# DELETE archives customer records (nothing is deleted), so it needs "change"
METHOD_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "change",
}


class CrmModelPermission(BasePermission):
    """The API's one permission class: the role table decides, per model and method.

    GET needs `view`, POST `add`, PUT/PATCH/DELETE `change`, on the view's model. A view whose
    action is not a plain model write names its permissions instead: `required_perms =
    ["tiering.add_recomputejob"]`, or a dict per method.

    On a detail route the write permission is checked on the object, after the visibility-scoped
    lookup: another manager's object answers 404 for every method, never 403 — the answer does not
    tell whether the record exists. (A custom detail action must call `get_object()`, as DRF's do.)
    """

    def has_permission(self, request, view):
        user = request.user
        if not getattr(user, "is_authenticated", False):
            return False
        required = self._required(request, view)
        if required is not None:
            return all(has_crm_perm(user, perm) for perm in required)
        if self._is_detail(view) and request.method not in SAFE_METHODS:
            return all(has_crm_perm(user, p) for p in self._model_perms(view, "GET"))  # writes: on the object
        return all(has_crm_perm(user, p) for p in self._model_perms(view, request.method))

    def has_object_permission(self, request, view, obj):
        if self._required(request, view) is not None:
            return True
        return all(has_crm_perm(request.user, p) for p in self._model_perms(view, request.method))

    @staticmethod
    def _required(request, view) -> list[str] | None:
        required = getattr(view, "required_perms", None)
        if isinstance(required, dict):
            return required.get(request.method, required.get("*"))
        return required

    @staticmethod
    def _is_detail(view) -> bool:
        lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", None)
        return bool(lookup and lookup in getattr(view, "kwargs", {}))

    @staticmethod
    def _model_perms(view, method: str) -> list[str]:
        """Views set `crm_model` ("app_label.model") when their queryset is not the model's."""
        label = getattr(view, "crm_model", None)
        if label is None:
            queryset = getattr(view, "queryset", None)
            if queryset is None:
                queryset = view.get_queryset()
            label = queryset.model._meta.label_lower
        app_label, model = label.split(".")
        action = METHOD_ACTIONS.get(method, "change")  # any other method is a write
        return [f"{app_label}.{action}_{model}"]
