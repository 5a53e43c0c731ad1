from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin, DateInput
from users.models import Team, User
from users.roles import Role
from users.visibility import has_role, visible_to

from .models import CONTACT_FIELDS, Account, Competitor, CompetitorPresence, Contact, Feedback
from .selectors import account_assignable_owners

DATE = DateInput()


def limit_to_range(field: forms.IntegerField, low: int, high: int) -> None:
    """One message for every value outside low..high (not "≥ 0" for -1 but "≥ 1" for 0)."""
    message = _("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}

    def in_range(value):
        if value is not None and not low <= value <= high:
            raise ValidationError(message, code="range")

    field.validators = [in_range]
    field.error_messages["invalid"] = message
    field.widget.attrs.update({"min": low, "max": high})


class VersionedFormMixin(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AccountForm(BootstrapFormMixin, VersionedFormMixin, forms.ModelForm):
    parent_number = forms.CharField(
        label=_("Parent account no."),
        required=False,
        max_length=20,
        help_text=_("For a group member: the account no. of its head company, e.g. KA00000012."),
    )

    class Meta:
        model = Account
        fields = [
            "name",
            "nickname",
            "category",
            "industry",
            "status",
            "region",
            "address",
            "phone",
            "email",
            "website",
            "owner",
            "team",
            "source",
            "tags",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # Only owners the user may assign: an account given to someone else's manager would
        # vanish from the user's own lists (and answer 404 right after saving).
        owners = account_assignable_owners(user=user)
        if self.instance.pk and self.instance.owner_id:  # keeping the current owner is always allowed
            owners = User.objects.filter(Q(pk__in=owners.values("pk")) | Q(pk=self.instance.owner_id))
            owners = owners.order_by("full_name", "username")
        self.fields["owner"].queryset = owners
        self.fields["owner"].error_messages["invalid_choice"] = (
            _("Choose an active account manager from the list.")
            if has_role(user, Role.ADMIN, Role.DIRECTOR)
            else _("You can assign an account only to yourself or to a member of a team you lead.")
        )
        self.fields["team"].queryset = Team.objects.all()
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            if self.instance.parent_id:
                self.fields["parent_number"].initial = self.instance.parent.number

    def clean_parent_number(self):
        number = self.cleaned_data["parent_number"].strip()
        if not number:
            return None
        parent = visible_to(self.user, Account.objects.filter(number__iexact=number, is_archived=False)).first()
        if parent is None:
            raise forms.ValidationError(_("No account you can see has the number %(number)s.") % {"number": number})
        if self.instance.pk and parent.pk == self.instance.pk:
            raise forms.ValidationError(_("An account cannot be its own parent."))
        return parent

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("version", "parent_number")}
        data["parent"] = self.cleaned_data.get("parent_number")
        return data


class ContactForm(BootstrapFormMixin, VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Contact
        fields = CONTACT_FIELDS
        widgets = {"family_notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        limit_to_range(self.fields["influence"], 1, 5)
        limit_to_range(self.fields["birth_year"], 1900, 2100)
        limit_to_range(self.fields["birth_month"], 1, 12)
        limit_to_range(self.fields["birth_day"], 1, 31)

    def service_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class FeedbackForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Feedback
        fields = ["received_on", "contact", "channel", "satisfaction", "suggestion"]
        widgets = {"received_on": DATE, "suggestion": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = account.contacts.filter(is_archived=False)
        # nothing preselected: a rushed agent must not record a top score by default
        self.fields["satisfaction"].widget = forms.Select(
            choices=[("", _("Choose a score…")), *[(i, f"{i} ★") for i in range(5, 0, -1)]],
            attrs={"class": "form-select"},
        )
        limit_to_range(self.fields["satisfaction"], 1, 5)


class CompetitorPresenceForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = CompetitorPresence
        fields = ["competitor", "products", "strength", "since", "notes"]
        widgets = {"since": DATE, "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["competitor"].queryset = Competitor.objects.all()


class ArchiveForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        required=False,
        help_text=_("Why is this account archived? Kept in its history."),
    )
