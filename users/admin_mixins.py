from users.visibility import visible_to


class VisibilityAdminMixin:
    """Admin lists, change pages and exports show only what the visibility policy allows."""

    def get_queryset(self, request):
        return visible_to(request.user, super().get_queryset(request))

    def has_delete_permission(self, request, obj=None):
        return False  # customer records are archived, never deleted


class ReadOnlyInlineMixin:
    """An inline that shows rows and links to their own admin page, where the service saves them:
    a formset would write the rows itself, around every rule."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ServiceAdminMixin:
    """Admin writes go through the services (`save_model` calls `<entity>_<verb>`); a service's
    ValidationError (a rule, a stale version) rolls the whole save back and comes back as a message
    on the same page instead of a server error.

    `service_readonly_on_change` names the fields that only a service may change after creation;
    `expected_version` carries the version the user opened, so a stale save is refused."""

    service_readonly_on_change: tuple[str, ...] = ()

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += [f for f in self.service_readonly_on_change if f not in fields]
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        from django import forms

        if obj is not None and hasattr(obj, "version"):
            version = forms.IntegerField(widget=forms.HiddenInput, initial=obj.version, required=False)
            kwargs["form"] = type("VersionedAdminForm", (kwargs.get("form", self.form),), {"expected_version": version})
        return super().get_form(request, obj, change=change, **kwargs)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        from django.contrib import messages
        from django.core.exceptions import ValidationError
        from django.http import HttpResponseRedirect

        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:  # raised by a service inside the admin's transaction: nothing saved
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    @staticmethod
    def expected_version(form):
        return form.cleaned_data.get("expected_version")
