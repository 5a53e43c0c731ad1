from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Tier
from core.forms import BootstrapFormMixin, DateInput


class TierOverrideForm(forms.Form):
    tier = forms.ChoiceField(label=_("Pin to tier"), choices=Tier.choices)
    ends_on = forms.DateField(
        label=_("Until (inclusive)"),
        widget=DateInput(),
        help_text=_("After this day the next recompute returns the computed tier."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text=_("Recorded in the tier history and on the account's timeline."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = css

    def clean_ends_on(self):
        ends_on = self.cleaned_data["ends_on"]
        if ends_on < timezone.localdate():
            raise forms.ValidationError(_("The end date cannot be in the past."))
        return ends_on

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Say why the tier is pinned."))
        return reason


class RecomputeForm(forms.Form):
    dry_run = forms.BooleanField(required=False)


class AbcFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    abc = forms.ChoiceField(label=_("ABC class"), required=False)
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    # a cell of the RFM grid (links from the RFM page)
    r = forms.IntegerField(required=False, min_value=1, max_value=5, widget=forms.HiddenInput)
    f = forms.IntegerField(required=False, min_value=1, max_value=5, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        from accounts.models import AbcClass

        super().__init__(*args, **kwargs)
        self.fields["abc"].choices = [("", _("All classes")), *AbcClass.choices]
        self.fields["tier"].choices = [("", _("All tiers")), *Tier.choices]
        self.fields["q"].widget.attrs.update({"class": "form-control", "placeholder": _("Name or account no.")})
        self.fields["abc"].widget.attrs["class"] = "form-select"
        self.fields["tier"].widget.attrs["class"] = "form-select"


class TierHistoryFilterForm(BootstrapFormMixin, forms.Form):
    """The tier history's filters: which recompute, which days, which way, from and to which tier."""

    job = forms.IntegerField(label=_("Recompute no."), required=False, min_value=1)
    direction = forms.ChoiceField(
        label=_("Direction"),
        required=False,
        choices=[("", _("Up and down")), ("up", _("Promotions")), ("down", _("Demotions"))],
    )
    previous = forms.ChoiceField(label=_("From tier"), required=False, choices=[("", _("Any tier")), *Tier.choices])
    tier = forms.ChoiceField(label=_("To tier"), required=False, choices=[("", _("Any tier")), *Tier.choices])
    since = forms.DateField(label=_("From day"), required=False, widget=DateInput())
    until = forms.DateField(label=_("To day"), required=False, widget=DateInput())
