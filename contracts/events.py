"""Contract events on the account timeline: one function per event, called by the services
inside their transaction. The stored data keeps codes and numbers; the sentence is built in the
reader's language when the timeline is shown."""

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.timeline import record_event, register_event_kind


def _status_label(code):
    from .models import Contract

    return dict(Contract.Status.choices).get(code, code)


def _money(data, key="value"):
    from core.money import format_money

    return format_money(data.get(key, ""), currency=data.get("currency"))


KINDS = {
    "contract.created": (
        gettext_lazy("Contract drafted"),
        "file-earmark-plus",
        lambda d: (
            _("Contract %(number)s drafted: %(title)s (%(value)s).")
            % {"number": d.get("number"), "title": d.get("title"), "value": _money(d)}
        ),
    ),
    "contract.submitted": (
        gettext_lazy("Contract submitted"),
        "send",
        lambda d: _("Contract %(number)s submitted for approval.") % {"number": d.get("number")},
    ),
    "contract.approved": (
        gettext_lazy("Contract approved"),
        "check2-circle",
        lambda d: (
            _("Contract %(number)s approved (%(role)s). %(comment)s")
            % {"number": d.get("number"), "role": d.get("role", ""), "comment": d.get("comment", "")}
        ),
    ),
    "contract.rejected": (
        gettext_lazy("Contract rejected"),
        "x-circle",
        lambda d: (
            _("Contract %(number)s rejected: %(comment)s")
            % {"number": d.get("number"), "comment": d.get("comment", "")}
        ),
    ),
    "contract.activated": (
        gettext_lazy("Contract in force"),
        "file-earmark-check",
        lambda d: (
            _("Contract %(number)s is now in force, until %(end)s.")
            % {"number": d.get("number"), "end": d.get("end_on")}
        ),
    ),
    "contract.amended": (
        gettext_lazy("Contract amended"),
        "pencil-square",
        lambda d: (
            _("Contract %(number)s amended (no. %(sequence)s): %(reason)s")
            % {"number": d.get("number"), "sequence": d.get("sequence"), "reason": d.get("reason", "")}
        ),
    ),
    "contract.status_changed": (
        gettext_lazy("Contract status"),
        "arrow-left-right",
        lambda d: (
            _("Contract %(number)s: %(old)s → %(new)s.")
            % {"number": d.get("number"), "old": _status_label(d.get("old")), "new": _status_label(d.get("new"))}
        ),
    ),
    "contract.terminated": (
        gettext_lazy("Contract terminated"),
        "slash-circle",
        lambda d: (
            _("Contract %(number)s terminated: %(reason)s") % {"number": d.get("number"), "reason": d.get("reason", "")}
        ),
    ),
    "contract.renewed": (
        gettext_lazy("Contract renewal"),
        "arrow-repeat",
        lambda d: (
            _("Renewal %(new)s drafted for contract %(number)s.")
            % {"number": d.get("number"), "new": d.get("successor")}
        ),
    ),
    "payment.received": (
        gettext_lazy("Payment received"),
        "cash-coin",
        lambda d: (
            _("Payment of %(amount)s received for contract %(number)s.")
            % {"number": d.get("number"), "amount": _money(d, "amount")}
        ),
    ),
    "payment.voided": (
        gettext_lazy("Payment voided"),
        "x-octagon",
        lambda d: (
            _("Payment of %(amount)s received on %(day)s for contract %(number)s voided: %(reason)s")
            % {
                "number": d.get("number"),
                "amount": _money(d, "amount"),
                "day": d.get("received_on", ""),
                "reason": d.get("reason", ""),
            }
        ),
    ),
}


def _contract_link(event) -> str:
    return reverse("contracts:detail", args=[event.subject_id])


def register_kinds():
    for kind, (label, icon, describe) in KINDS.items():
        category = "payments" if kind.startswith("payment.") else "contracts"
        register_event_kind(kind, label=label, icon=icon, describe=describe, category=category, link=_contract_link)


def _contract_data(contract, **extra):
    return {"number": contract.number, "contract_id": contract.pk, **extra}


def _record(contract, kind, *, actor, data, occurred_at=None):
    """Every contract event is about its contract (`events_about(contract)` gives its history)."""
    return record_event(
        account=contract.account, kind=kind, subject=contract, data=data, actor=actor, occurred_at=occurred_at
    )


def contract_created_event(*, contract, actor):
    data = _contract_data(contract, title=contract.title, value=str(contract.value), currency=contract.currency)
    return _record(contract, "contract.created", actor=actor, data=data)


def contract_submitted_event(*, contract, actor):
    return _record(contract, "contract.submitted", actor=actor, data=_contract_data(contract))


def contract_approved_event(*, contract, actor, step):
    data = _contract_data(contract, role=str(step.get_approver_role_display()), comment=step.comment)
    return _record(contract, "contract.approved", actor=actor, data=data)


def contract_rejected_event(*, contract, actor, comment):
    return _record(contract, "contract.rejected", actor=actor, data=_contract_data(contract, comment=comment))


def contract_activated_event(*, contract, actor):
    data = _contract_data(contract, end_on=contract.end_on.isoformat())
    return _record(contract, "contract.activated", actor=actor, data=data)


def contract_amended_event(*, contract, actor, amendment):
    data = _contract_data(contract, sequence=amendment.sequence, reason=amendment.reason[:200])
    return _record(contract, "contract.amended", actor=actor, data=data)


def contract_status_changed_event(*, contract, actor, old):
    return _record(
        contract, "contract.status_changed", actor=actor, data=_contract_data(contract, old=old, new=contract.status)
    )


def contract_terminated_event(*, contract, actor):
    data = _contract_data(contract, reason=contract.termination_reason[:200])
    return _record(contract, "contract.terminated", actor=actor, data=data)


def contract_renewed_event(*, contract, actor, successor):
    return _record(contract, "contract.renewed", actor=actor, data=_contract_data(contract, successor=successor.number))


def payment_received_event(*, payment, actor):
    contract = payment.contract
    data = _contract_data(contract, amount=str(payment.amount), currency=contract.currency, payment_id=payment.pk)
    at = timezone.make_aware(datetime.datetime.combine(payment.received_on, datetime.time(12)))
    return _record(contract, "payment.received", actor=actor, data=data, occurred_at=min(at, timezone.now()))


def payment_voided_event(*, payment, actor):
    contract = payment.contract
    data = _contract_data(
        contract,
        amount=str(payment.amount),
        currency=contract.currency,
        payment_id=payment.pk,
        received_on=payment.received_on.isoformat(),
        reference=payment.reference,
        reason=payment.void_reason[:200],
    )
    return _record(contract, "payment.voided", actor=actor, data=data)
