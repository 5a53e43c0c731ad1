from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Contact
from core.forms import BootstrapFormMixin, score_field
from users.models import Department

from .models import ServiceRequest
from .selectors import assignable_users

CHANGE_FIELDS = [
    "change_kind",
    "new_name",
    "new_holder",
    "new_address",
    "new_region",
    "suspend_from",
    "suspend_until",
    "new_capacity",
]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RequestForm(BootstrapFormMixin, forms.ModelForm):
    """Intake and edit. `account` is fixed by the view (looked up first)."""

    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.all(),
        required=False,
        help_text=_("Route it now, or leave it for dispatch (within 24 hours)."),
    )
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=assignable_users(), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    change_category = ServiceRequest.Category.CHANGE  # the category whose fields change_fields are

    class Meta:
        model = ServiceRequest
        fields = [
            "contact",
            "channel",
            "category",
            "priority",
            "subject",
            "description",
            "external_ref",
            *CHANGE_FIELDS,
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "suspend_from": DATE,
            "suspend_until": DATE,
        }

    def __init__(self, *args, account, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = Contact.objects.filter(account=account, is_archived=False).order_by(
            "-is_primary", "name"
        )
        if editing:
            del self.fields["department"], self.fields["assignee"]

    def intake_fields(self):
        return [field for field in self.visible_fields() if field.name not in CHANGE_FIELDS]

    def change_fields(self):
        """Shown apart, and on a page with scripts only while the category is a change request."""
        return [self[name] for name in CHANGE_FIELDS]


class AssignForm(BootstrapFormMixin, forms.Form):
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.all())
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=assignable_users(), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class TransitionForm(BootstrapFormMixin, forms.Form):
    to = forms.ChoiceField(choices=ServiceRequest.Status.choices, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    resolution = forms.CharField(label=_("Resolution"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    customer_informed = forms.BooleanField(label=_("The customer was told the outcome"), required=False)
    rating = score_field(_("Customer's rating"))  # as the callback form's satisfaction
    customer_unreachable = forms.BooleanField(label=_("The customer could not be reached"), required=False)
    contact_attempts = forms.CharField(
        label=_("Contact attempts"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("When and how you tried to reach the customer."),
    )


class CommentForm(BootstrapFormMixin, forms.Form):
    body = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))
    is_internal = forms.BooleanField(label=_("Internal note (not told to the customer)"), required=False, initial=True)


class AttachmentForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(label=_("File"))


class BulkAssignForm(BootstrapFormMixin, forms.Form):
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.all())
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=assignable_users(), required=False)
