from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import Recipient, Rule, WebhookEvent


class SettingsForm(forms.Form):
    """The person's delivery settings; the per-rule channel boxes are added from the rules."""

    language = forms.ChoiceField(
        label=_("E-mail language"),
        required=False,
        choices=[("", _("The site's default language")), *settings.LANGUAGES],
    )
    email_digest = forms.BooleanField(
        label=_("Daily digest"),
        required=False,
        help_text=_("One e-mail each evening with all reminders instead of one e-mail per reminder."),
    )

    def __init__(self, *args, rules=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rule_rows = list(rules)
        for row in self.rule_rows:
            self.fields[f"in_app_{row['code']}"] = forms.BooleanField(
                label=_("In the app"), required=False, initial=row["in_app"]
            )
            self.fields[f"email_{row['code']}"] = forms.BooleanField(
                label=_("By e-mail"), required=False, initial=row["email"]
            )

    def channels(self) -> dict:
        return {
            row["code"]: (self.cleaned_data[f"in_app_{row['code']}"], self.cleaned_data[f"email_{row['code']}"])
            for row in self.rule_rows
        }

    def rows(self):
        for row in self.rule_rows:
            yield {**row, "in_app_field": self[f"in_app_{row['code']}"], "email_field": self[f"email_{row['code']}"]}


class RuleAdminForm(forms.ModelForm):
    recipients = forms.MultipleChoiceField(
        label=_("recipients"), choices=Recipient.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Rule
        fields = ["enabled", "lead_days", "recipients", "email_by_default"]


class WebhookEndpointAdminForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("events"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        from .models import WebhookEndpoint

        model = WebhookEndpoint
        fields = ["name", "url", "events", "is_active", "secret"]
