from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ISO_DATE = "%Y-%m-%d"


class DateInput(forms.DateInput):
    """The browser's date picker. It accepts only ISO dates, whatever the page's language."""

    input_type = "date"

    def __init__(self, attrs=None, format=None):  # noqa: A002 (Django's argument name)
        super().__init__(attrs, format=format or ISO_DATE)


def score_field(label=None):
    """A customer's 1-5 score (satisfaction, a closed request's rating), the same on every form:
    stars from 5 down with the scale under the box, and nothing preselected (a rushed agent must
    not record a top score by default)."""
    return forms.TypedChoiceField(
        label=label or _("Satisfaction"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("No score")), *[(i, f"{i} ★") for i in range(5, 0, -1)]],
        help_text=_("1 = very unhappy, 5 = very happy."),
    )


def is_phone_field(name: str) -> bool:
    return name == "phone" or name.endswith("_phone") or name in ("mobile", "telephone")


class BootstrapFormMixin:
    """Give every widget Bootstrap's classes, and mark fields with errors as invalid.

    Also what every form of the project needs on a phone and in every language: date inputs
    render ISO dates (the only ones the browser's date picker takes; a zh-hans "2026/11/30"
    came up empty) and phone fields are `type=tel` (the phone's dial pad)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.DateInput) and not isinstance(widget, forms.DateTimeInput):
                widget.format = ISO_DATE
                widget.input_type = "date"
            elif is_phone_field(name) and type(widget) is forms.TextInput:
                widget.input_type = "tel"
                widget.attrs.setdefault("autocomplete", "tel")
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class ImportUploadForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8 or GBK, as Excel saves it) or Excel (.xlsx); the first row names the columns."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx,.xlsm"}),
    )

    def clean_file(self):
        from .imports import MAX_FILE_BYTES

        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:  # refused before it is read into memory
            raise forms.ValidationError(_("The file is larger than %(n)s MB.") % {"n": MAX_FILE_BYTES // (1024 * 1024)})
        return upload


def add_service_errors(form, exc: ValidationError) -> None:
    """Show a service's refusal on the form: under the field it names when that field is shown,
    else above the form (a hidden field such as `version` would swallow the message)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            shown = field in form.fields and not form.fields[field].widget.is_hidden
            form.add_error(field if shown else None, errors)
    else:
        form.add_error(None, exc.messages)
