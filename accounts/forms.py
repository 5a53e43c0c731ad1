from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin
from users.models import Team, User
from users.roles import Role
from users.visibility import visible_to

from .models import Account, Competitor, CompetitorPresence, Contact, Feedback

DATE = forms.DateInput(attrs={"type": "date"})


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
        self.fields["owner"].queryset = User.objects.filter(groups__name=Role.MANAGER.value, is_active=True).distinct()
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
        fields = [
            "name",
            "title",
            "department",
            "role",
            "attitude",
            "influence",
            "phone",
            "email",
            "preferred_channel",
            "birthday_calendar",
            "birth_year",
            "birth_month",
            "birth_day",
            "birth_leap_month",
            "interests",
            "family_notes",
            "is_primary",
        ]
        widgets = {"family_notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version

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
        self.fields["satisfaction"].widget = forms.Select(
            choices=[(i, f"{i} ★") for i in range(5, 0, -1)], attrs={"class": "form-select"}
        )


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
