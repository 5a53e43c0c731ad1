from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Competitor, Contact
from accounts.selectors import account_assignable_owners
from core.forms import BootstrapFormMixin
from users.models import Team, User
from users.visibility import visible_to

from .models import CloseReason, Opportunity, OpportunityContact, Stage
from .selectors import pipeline_filter_owners, pipeline_filter_teams

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _owner_choices(*, user, current):
    from django.db.models import Q

    from users.models import User

    allowed = account_assignable_owners(user=user).values("pk")
    return User.objects.filter(Q(pk__in=allowed) | Q(pk=current)).order_by("full_name", "username")


class OpportunityForm(BootstrapFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    probability = forms.IntegerField(
        label=_("Probability (%)"),
        required=False,
        min_value=0,
        max_value=100,
        help_text=_("Empty: the stage's default, which follows the stage at every move."),
    )

    class Meta:
        model = Opportunity
        fields = [
            "account",
            "title",
            "stage",
            "amount",
            "probability",
            "expected_close_on",
            "owner",
            "competitors",
            "next_step",
            "next_step_on",
            "description",
        ]
        widgets = {
            "expected_close_on": DATE,
            "next_step_on": DATE,
            "description": forms.Textarea(attrs={"rows": 3}),
            "competitors": forms.SelectMultiple(attrs={"size": 4}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = visible_to(user, Account.objects.filter(is_archived=False)).order_by("name")
        self.fields["owner"].queryset = _owner_choices(user=user, current=self.instance.owner_id)
        self.fields["owner"].empty_label = _("The account's manager")
        self.fields["competitors"].queryset = Competitor.objects.order_by("name")
        self.fields["competitors"].required = False
        self.fields["competitors"].help_text = _("Hold Ctrl (⌘ on a Mac) to choose several.")
        if self.instance.pk:
            del self.fields["account"]
            del self.fields["stage"]
            self.fields["version"].initial = self.instance.version
            self.fields["probability"].initial = (
                self.instance.probability if self.instance.probability_is_custom else None
            )
        else:
            self.fields["stage"].queryset = Stage.objects.filter(is_active=True, outcome=Stage.Outcome.OPEN)
            self.fields["stage"].required = False
            self.fields["stage"].empty_label = _("The first stage")
            self.fields["account"].widget.attrs["autofocus"] = True

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("version",)}
        data["competitors"] = list(data.get("competitors") or [])
        return data


class MoveForm(BootstrapFormMixin, forms.Form):
    """A stage move; a won or lost stage asks for the reason (and, lost, the competitor)."""

    stage = forms.ModelChoiceField(queryset=Stage.objects.filter(is_active=True), label=_("Stage"))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.ChoiceField(label=_("Reason"), choices=[("", "—"), *CloseReason.choices], required=False)
    lost_to = forms.ModelChoiceField(
        queryset=Competitor.objects.order_by("name"),
        label=_("Lost to"),
        required=False,
        help_text=_("The competitor who won the deal."),
    )
    note = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ContactRoleForm(BootstrapFormMixin, forms.Form):
    contact = forms.ModelChoiceField(queryset=Contact.objects.none(), label=_("Contact"))
    role = forms.ChoiceField(label=_("Role in this deal"), choices=OpportunityContact.Role.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args, opportunity, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = Contact.objects.filter(
            account_id=opportunity.account_id, is_archived=False
        ).order_by("name")


class QuoteForm(BootstrapFormMixin, forms.Form):
    valid_until = forms.DateField(label=_("Valid until"), widget=DATE)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class QuoteLineForm(BootstrapFormMixin, forms.Form):
    product = forms.CharField(label=_("Product or service"), max_length=200, required=False)
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=12, decimal_places=2, min_value=Decimal("0.01"), required=False
    )
    unit_price = forms.DecimalField(
        label=_("Unit price"), max_digits=14, decimal_places=2, min_value=Decimal("0"), required=False
    )
    discount_percent = forms.DecimalField(
        label=_("Discount (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        required=False,
        widget=forms.NumberInput(attrs={"aria-describedby": "discount-limit-help"}),
    )

    def clean(self):
        data = super().clean()
        filled = [n for n in ("product", "quantity", "unit_price") if data.get(n) not in (None, "")]
        if filled and len(filled) < 3:
            raise forms.ValidationError(_("A line needs a product, a quantity and a unit price."))
        return data

    def line(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("product"):
            return None
        return {
            "product": data["product"],
            "quantity": data["quantity"],
            "unit_price": data["unit_price"],
            "discount_percent": data.get("discount_percent") or Decimal("0"),
        }


# one empty line; the page's "Add line" appends more (opportunities/static/opportunities/quote_form.js)
QuoteLineFormSet = forms.formset_factory(QuoteLineForm, extra=1, max_num=50, validate_max=True)


def line_initial(lines) -> list[dict]:
    return [
        {
            "product": ln.product,
            "quantity": ln.quantity,
            "unit_price": ln.unit_price,
            "discount_percent": ln.discount_percent,
        }
        for ln in lines
    ]


class AcceptForm(BootstrapFormMixin, forms.Form):
    start_on = forms.DateField(label=_("Contract start"), widget=DATE)
    end_on = forms.DateField(label=_("Contract end"), widget=DATE)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["start_on"].initial = today
        self.fields["end_on"].initial = (
            today.replace(year=today.year + 1)
            if not (today.month == 2 and today.day == 29)
            else today.replace(year=today.year + 1, day=28)
        )


class DecideForm(BootstrapFormMixin, forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PeriodForm(forms.Form):
    """The forecast's and the won/lost analysis's filters: the period, and a team or an owner
    among those the user may see (the choices come from the pipeline's selectors)."""

    date_from = forms.DateField(label=_("From"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # evaluated once for the template, which shows a select only when there is something to choose
        self.team_choices = list(pipeline_filter_teams(user=user))
        self.owner_choices = list(pipeline_filter_owners(user=user))
        self.fields["team"].queryset = pipeline_filter_teams(user=user)
        self.fields["owner"].queryset = pipeline_filter_owners(user=user)
