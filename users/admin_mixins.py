from users.visibility import visible_to


class VisibilityAdminMixin:
    """Admin lists, change pages and exports show only what the visibility policy allows."""

    def get_queryset(self, request):
        return visible_to(request.user, super().get_queryset(request))

    def has_delete_permission(self, request, obj=None):
        return False  # customer records are archived, never deleted
