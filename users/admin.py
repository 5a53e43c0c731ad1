import datetime

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework.authtoken.admin import TokenAdmin as DrfTokenAdmin
from rest_framework.authtoken.models import Token, TokenProxy
from simple_history.admin import SimpleHistoryAdmin

from .models import Department, Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin, SimpleHistoryAdmin):
    list_display = (
        "username",
        "full_name",
        "email",
        "department",
        "title",
        "role_names",
        "is_active",
        "is_service_account",
    )
    list_filter = ("is_active", "is_staff", "is_service_account", "groups", "department")
    search_fields = ("username", "full_name", "email", "phone")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            _("Organisation"),
            {"fields": ("full_name", "phone", "department", "title", "is_service_account")},
        ),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (
            _("Organisation"),
            {
                "fields": (
                    "full_name",
                    "email",
                    "department",
                    "title",
                    "groups",
                    "is_service_account",
                )
            },
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("department").prefetch_related("groups")

    @admin.display(description=_("roles"))
    def role_names(self, obj):
        return ", ".join(g.name for g in obj.groups.all())


@admin.register(Department)
class DepartmentAdmin(SimpleHistoryAdmin):
    list_display = ("name", "code", "parent", "email")
    search_fields = ("name", "code")
    list_filter = ("parent",)


@admin.register(Team)
class TeamAdmin(SimpleHistoryAdmin):
    list_display = ("name", "department", "leader", "member_count")
    search_fields = ("name", "leader__username", "leader__full_name")
    list_filter = ("department",)
    filter_horizontal = ("members",)
    autocomplete_fields = ("leader",)

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).select_related("department", "leader").annotate(n_members=Count("members"))

    @admin.display(description=_("members"), ordering="n_members")
    def member_count(self, obj):
        return obj.n_members


# --- API tokens: administrators rotate and expire them ------------------------------------------

admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class TokenAdmin(DrfTokenAdmin):
    """A token works for API_TOKEN_TTL_DAYS after it was made or last rotated."""

    list_display = ("key", "user", "created", "expires")
    actions = ["rotate", "expire"]

    @admin.display(description=_("expires"))
    def expires(self, obj):
        return obj.created + datetime.timedelta(days=settings.TOKEN_TTL_DAYS)

    @admin.action(description=_("Rotate: give each selected user a new token (the old one stops working)"))
    def rotate(self, request, queryset):
        for token in queryset.select_related("user"):
            user = token.user
            token.delete()
            new = Token.objects.create(user=user)
            message = _("New token for %(user)s: %(key)s") % {"user": user.username, "key": new.key}
            self.message_user(request, message, messages.SUCCESS)

    @admin.action(description=_("Expire now: the selected tokens stop working"))
    def expire(self, request, queryset):
        count = queryset.count()
        queryset.delete()
        self.message_user(
            request, ngettext("%(n)d token expired.", "%(n)d tokens expired.", count) % {"n": count}, messages.SUCCESS
        )
