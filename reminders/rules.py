"""The reminder rules: what each one sweeps, who gets it by default, how it reads and where it links.

The `Rule` rows (on/off, lead time, recipients, e-mail by default) are made by a data migration from
DEFAULTS below and edited in admin; the code of each rule is here. The sentence of a reminder is
built when it is shown or mailed, in the reader's language, from the codes and numbers stored in
`Notification.data`.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.money import format_money
from core.registry import Registry

from . import sweeps
from .models import Recipient


@dataclass(frozen=True)
class RuleSpec:
    code: str
    label: str  # lazy
    help: str  # lazy
    icon: str
    sweep: Callable  # (rule, now) -> list[Candidate]
    describe: Callable[[dict], str]
    link: Callable  # (notification) -> url
    schedule: str = "daily"  # "daily" (each morning) or "frequent" (every few minutes)
    default_lead: str = ""
    default_recipients: tuple = (Recipient.OWNER,)
    email_by_default: bool = True


RULES: Registry[RuleSpec] = Registry("reminder rule")


def register_rule(spec: RuleSpec) -> RuleSpec:
    return RULES.add(spec.code, spec)


def _date(value) -> str:
    if not value:
        return ""
    day = datetime.date.fromisoformat(value[:10])
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def _datetime(value) -> str:
    if not value:
        return ""
    moment = timezone.localtime(datetime.datetime.fromisoformat(value))
    return formats.date_format(moment, "SHORT_DATETIME_FORMAT")


def _account_link(n) -> str:
    return reverse("accounts:detail", args=[n.account_id]) if n.account_id else ""


def _contact_link(n) -> str:
    return _account_link(n) + f"#contact-{n.subject_id}" if n.account_id else ""


def _contract_link(n) -> str:
    contract_id = n.data.get("contract_id") or (n.subject_id if n.subject_type == "contracts.contract" else None)
    return reverse("contracts:detail", args=[contract_id]) if contract_id else _account_link(n)


def _request_link(n) -> str:
    request_id = n.data.get("request_id")
    return reverse("service_requests:detail", args=[request_id]) if request_id else _account_link(n)


def _choice(model_choices, value) -> str:
    try:
        return str(model_choices(value).label)
    except ValueError:
        return value or ""


# --- sentences ---------------------------------------------------------------------------------


def _birthday_text(d) -> str:
    values = {"contact": d.get("contact", ""), "account": d.get("account", ""), "date": _date(d.get("date"))}
    days = d.get("days") or 0
    if days <= 0:
        text = _("%(contact)s (%(account)s) has a birthday today.") % values
    else:
        text = ngettext(
            "%(contact)s (%(account)s) has a birthday tomorrow, %(date)s.",
            "%(contact)s (%(account)s) has a birthday in %(days)s days, on %(date)s.",
            days,
        ) % {**values, "days": days}
    if d.get("lunar"):
        text += " " + _("(Chinese lunar calendar)")
    if d.get("feb29"):
        text += " " + _("(born on 29 February: kept on 28 February in common years)")
    return text


def _follow_up_due_text(d) -> str:
    return _("Follow-up due today: %(title)s (%(account)s).") % {"title": d.get("title"), "account": d.get("account")}


def _follow_up_overdue_text(d) -> str:
    return _("Follow-up overdue since %(date)s: %(title)s (%(account)s).") % {
        "title": d.get("title"),
        "account": d.get("account"),
        "date": _date(d.get("date")),
    }


def _visit_text(d) -> str:
    return _("Visit at %(start)s: %(purpose)s (%(account)s).") % {
        "start": _datetime(d.get("start")),
        "purpose": d.get("purpose"),
        "account": d.get("account"),
    }


def _installment_due_text(d) -> str:
    return _("Installment of %(amount)s on contract %(number)s (%(account)s) is due on %(date)s.") % {
        "amount": format_money(d.get("amount"), currency=d.get("currency")),
        "number": d.get("number"),
        "account": d.get("account"),
        "date": _date(d.get("date")),
    }


def _installment_overdue_text(d) -> str:
    return _(
        "Installment of contract %(number)s (%(account)s) is overdue since %(date)s: %(open)s open, "
        "late fee so far %(fee)s (as of %(as_of)s)."
    ) % {
        "number": d.get("number"),
        "account": d.get("account"),
        "date": _date(d.get("date")),
        "open": format_money(d.get("open"), currency=d.get("currency")),
        "fee": format_money(d.get("fee"), currency=d.get("currency")),
        "as_of": _date(d.get("as_of")),
    }


def _contract_expiring_text(d) -> str:
    return ngettext(
        "Contract %(number)s (%(account)s) ends on %(date)s, in %(days)s day.",
        "Contract %(number)s (%(account)s) ends on %(date)s, in %(days)s days.",
        d.get("days") or 0,
    ) % {"number": d.get("number"), "account": d.get("account"), "date": _date(d.get("date")), "days": d.get("days")}


def _request_text(d) -> str:
    from service_requests.models import Escalation

    values = {
        "number": d.get("number"),
        "account": d.get("account"),
        "clock": _choice(Escalation.Clock, d.get("clock")).lower(),
        "due": _datetime(d.get("due")),
    }
    if d.get("level") == Escalation.Level.AT_RISK:
        return _("Service request %(number)s (%(account)s): 80%% of the %(clock)s time used, due %(due)s.") % values
    return _("Service request %(number)s (%(account)s): the %(clock)s deadline %(due)s was missed.") % values


def _contact_overdue_text(d) -> str:
    if d.get("days") is None:
        return _("%(account)s has never been visited or called back.") % {"account": d.get("account")}
    return _("%(account)s: no visit or callback for %(days)s days (its tier: every %(cadence)s days).") % {
        "account": d.get("account"),
        "days": d.get("days"),
        "cadence": d.get("cadence"),
    }


def _tier_text(d) -> str:
    from accounts.models import Tier

    return _("%(account)s moved from %(old)s to %(new)s.") % {
        "account": d.get("account"),
        "old": _choice(Tier, d.get("old")),
        "new": _choice(Tier, d.get("new")),
    }


def _revenue_drop_text(d) -> str:
    return _(
        "%(account)s (top 50): revenue of %(month)s is %(drop)s%% below its baseline "
        "(%(revenue)s against %(baseline)s)."
    ) % {
        "account": d.get("account"),
        "month": d.get("month", "")[:7],
        "drop": d.get("drop"),
        "revenue": format_money(d.get("revenue"), digits=0),
        "baseline": format_money(d.get("baseline"), digits=0),
    }


def register_default_rules() -> None:
    OWNER, A, F = Recipient.OWNER, Recipient.ASSIGNEE, Recipient.FINANCE
    specs = [
        RuleSpec(
            "birthday_upcoming",
            gettext_lazy("Contact birthdays ahead"),
            gettext_lazy("Birthdays of the account's contacts, this many days ahead (Gregorian or lunar)."),
            "gift",
            sweeps.birthday_upcoming,
            _birthday_text,
            _contact_link,
            default_lead="3",
        ),
        RuleSpec(
            "birthday_today",
            gettext_lazy("Contact birthdays today"),
            gettext_lazy("Birthdays of the account's contacts on the day."),
            "balloon",
            sweeps.birthday_today,
            _birthday_text,
            _contact_link,
        ),
        RuleSpec(
            "followup_due",
            gettext_lazy("Follow-ups due today"),
            gettext_lazy("Open follow-ups due today, to the person they are assigned to."),
            "check2-square",
            sweeps.follow_up_due,
            _follow_up_due_text,
            lambda n: reverse("visits:followup_detail", args=[n.subject_id]),
            default_recipients=(A,),
        ),
        RuleSpec(
            "followup_overdue",
            gettext_lazy("Follow-ups overdue"),
            gettext_lazy("Open follow-ups past their due date (once per due date)."),
            "alarm",
            sweeps.follow_up_overdue,
            _follow_up_overdue_text,
            lambda n: reverse("visits:followup_detail", args=[n.subject_id]),
            default_recipients=(A,),
        ),
        RuleSpec(
            "visit_upcoming",
            gettext_lazy("Visits tomorrow"),
            gettext_lazy("Planned and confirmed visits, this many days ahead (1: tomorrow), to who goes."),
            "calendar-event",
            sweeps.visit_upcoming,
            _visit_text,
            lambda n: reverse("visits:visit_detail", args=[n.subject_id]),
            default_lead="1",
            default_recipients=(A,),
        ),
        RuleSpec(
            "installment_due",
            gettext_lazy("Installments due soon"),
            gettext_lazy("Open installments due within this many days."),
            "calendar2-check",
            sweeps.installment_due,
            _installment_due_text,
            _contract_link,
            default_lead="7",
            default_recipients=(OWNER, F),
        ),
        RuleSpec(
            "installment_overdue",
            gettext_lazy("Installments overdue"),
            gettext_lazy("Installments past due and not paid in full, with the late fee so far."),
            "exclamation-triangle",
            sweeps.installment_overdue,
            _installment_overdue_text,
            _contract_link,
            default_recipients=(OWNER, F),
        ),
        RuleSpec(
            "contract_expiring",
            gettext_lazy("Contracts expiring"),
            gettext_lazy("Contracts in force ending in this many days (one reminder at each)."),
            "hourglass-split",
            sweeps.contract_expiring,
            _contract_expiring_text,
            _contract_link,
            default_lead="90,60,30",
        ),
        RuleSpec(
            "request_at_risk",
            gettext_lazy("Service requests at 80%"),
            # xgettext:no-python-format
            gettext_lazy("Requests with 80% of a deadline used, to the person the escalation names."),
            "hourglass-bottom",
            sweeps.request_at_risk,
            _request_text,
            _request_link,
            schedule="frequent",
            default_recipients=(A,),
        ),
        RuleSpec(
            "request_breached",
            gettext_lazy("Service requests breached"),
            gettext_lazy(
                "Requests past a deadline, to the person the escalation ladder names "
                "(assignee, then team leader, then sales director)."
            ),
            "exclamation-octagon",
            sweeps.request_breached,
            _request_text,
            _request_link,
            schedule="frequent",
            default_recipients=(A,),
        ),
        RuleSpec(
            "contact_overdue",
            gettext_lazy("Accounts overdue for contact"),
            gettext_lazy("Accounts with no visit or callback beyond their tier's cadence (once per silence)."),
            "telephone-x",
            sweeps.contact_overdue,
            _contact_overdue_text,
            _account_link,
        ),
        RuleSpec(
            "revenue_drop",
            gettext_lazy("Top accounts' revenue falling"),
            gettext_lazy(
                "Churn warning: top-50 accounts whose revenue of the last month fell 10% or 20% "
                "against the same month a year earlier (once per account and month)."
            ),
            "graph-down-arrow",
            sweeps.revenue_drop,
            _revenue_drop_text,
            _account_link,
            default_recipients=(OWNER, Recipient.DIRECTORS),
        ),
        RuleSpec(
            "tier_changed",
            gettext_lazy("Tier changes"),
            gettext_lazy("Tier changes of the accounts a person owns."),
            "bar-chart-steps",
            sweeps.tier_changed,
            _tier_text,
            _account_link,
            email_by_default=False,
        ),
    ]
    for spec in specs:
        register_rule(spec)


def describe(notification) -> str:
    spec = RULES.get(notification.rule)
    return spec.describe(notification.data) if spec else notification.rule


def link(notification) -> str:
    spec = RULES.get(notification.rule)
    try:
        return spec.link(notification) if spec else ""
    except Exception:  # a subject's page that no longer resolves: the reminder still reads
        return ""
