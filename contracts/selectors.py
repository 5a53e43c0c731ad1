"""Read queries for contracts and payments, always scoped by the visibility policy.

The set-based selectors at the end (open installments due or overdue as of a date, contracts
expiring within N days) are what the reminders app reads; they take the date as a parameter.
"""

import datetime
from collections import defaultdict

from django.db.models import DecimalField, Exists, F, OuterRef, Prefetch, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from users.visibility import get_visible_or_404, roles_of, visible_to

from .models import Allocation, Amendment, ApprovalStep, Contract, ContractDocument, Installment, Payment
from .money import ZERO, Statement, allocate, statement, terms_for

CONTRACT_SORTS = {
    "number": "number",
    "-number": "-number",
    "title": "title",
    "-title": "-title",
    "value": "value",
    "-value": "-value",
    "end": "end_on",
    "-end": "-end_on",
    "start": "start_on",
    "-start": "-start_on",
    "status": "status",
    "-status": "-status",
    "account": "account__name",
    "-account": "-account__name",
    "created": "created_at",
    "-created": "-created_at",
}
DEFAULT_SORT = "-created"
MONEY_FIELD = DecimalField(max_digits=16, decimal_places=2)


def contract_queryset_for(user):
    return visible_to(user, Contract.objects.all())


def overdue_q(*, as_of: datetime.date) -> Q:
    """Contracts with an installment not paid in full whose due date is before `as_of`."""
    late = Installment.objects.filter(contract=OuterRef("pk"), paid_on__isnull=True, due_on__lt=as_of)
    return Q(Exists(late))


def expiring_q(*, as_of: datetime.date, days: int) -> Q:
    return Q(
        status__in=[Contract.Status.ACTIVE, Contract.Status.EXPIRING],
        end_on__gte=as_of,
        end_on__lte=as_of + datetime.timedelta(days=days),
    )


def contract_list(*, user, qs=None, sort: str = DEFAULT_SORT):
    qs = qs if qs is not None else Contract.objects.all()
    order = CONTRACT_SORTS.get(sort, CONTRACT_SORTS[DEFAULT_SORT])
    return visible_to(user, qs).select_related("account", "owner").order_by(order, "-pk")


def contract_get_for_user(*, user, pk) -> Contract:
    return get_visible_or_404(user, Contract.objects.select_related("account", "owner", "renewal_of"), pk=pk)


def installment_get_for_user(*, user, pk) -> Installment:
    return get_visible_or_404(user, Installment.objects.select_related("contract__account"), pk=pk)


def payment_get_for_user(*, user, pk) -> Payment:
    return get_visible_or_404(user, Payment.objects.select_related("contract", "account"), pk=pk)


def document_get_for_user(*, user, pk) -> ContractDocument:
    return get_visible_or_404(
        user, ContractDocument.objects.select_related("contract__account"), pk=pk, is_archived=False
    )


def approval_get_for_user(*, user, pk) -> ApprovalStep:
    return get_visible_or_404(user, ApprovalStep.objects.select_related("contract__account"), pk=pk)


def installment_list(*, user):
    return visible_to(user, Installment.objects.select_related("contract")).order_by("due_on", "pk")


def payment_list(*, user, q: str = "", voided: str = ""):
    """Payments the user may see, newest first; `q` a reference, contract no. or account name,
    `voided` "yes" or "no" (the list and its export)."""
    qs = visible_to(user, Payment.objects.select_related("contract", "account", "recorded_by", "voided_by"))
    if q:
        qs = qs.filter(Q(reference__icontains=q) | Q(contract__number__icontains=q) | Q(account__name__icontains=q))
    if voided in ("yes", "no"):
        qs = qs.filter(voided_at__isnull=voided == "no")
    return qs.order_by("-received_on", "-pk")


def approval_inbox(*, user):
    """Approvals waiting for one of the user's roles (on contracts they may see)."""
    roles = roles_of(user)
    qs = ApprovalStep.objects.filter(
        decision=ApprovalStep.Decision.PENDING,
        approver_role__in=roles,
        contract__status=Contract.Status.PENDING,
    ).select_related("contract__account", "contract__owner", "contract__created_by")
    return visible_to(user, qs).order_by("created_at", "pk")


# --- money ----------------------------------------------------------------------------------


def _statement_for(contract: Contract, installments, payments, as_of) -> Statement:
    return statement(
        installments=[
            (i.pk, i.due_on, i.amount, [(a.received_on, a.amount) for a in i.allocations.all()]) for i in installments
        ],
        payments=[(p.received_on, p.amount) for p in payments],
        as_of=as_of,
        terms=terms_for(contract),
        currency=contract.currency,
    )


def contract_statement(*, contract: Contract, as_of: datetime.date | None = None) -> Statement:
    """The contract's figures as of a date (today by default): three queries."""
    as_of = as_of or timezone.localdate()
    installments = list(
        contract.installments.order_by("due_on", "pk").prefetch_related(
            Prefetch("allocations", queryset=Allocation.objects.order_by("received_on", "pk"))
        )
    )
    payments = list(contract.payments.filter(voided_at__isnull=True).only("contract_id", "received_on", "amount"))
    return _statement_for(contract, installments, payments, as_of)


def statement_payments(*, contract: Contract, as_of: datetime.date) -> list[Payment]:
    """The payments a statement as of a date counts (received by then, not voided), oldest first."""
    return list(
        contract.payments.filter(voided_at__isnull=True, received_on__lte=as_of)
        .order_by("received_on", "pk")
        .only("contract_id", "received_on", "amount", "method", "reference")
    )


def statements_for(contracts: list[Contract], *, as_of: datetime.date) -> dict[int, Statement]:
    """Statements of many contracts with three queries in all (list pages, account panel)."""
    ids = [c.pk for c in contracts]
    installments = defaultdict(list)
    for inst in (
        Installment.objects.filter(contract_id__in=ids)
        .order_by("due_on", "pk")
        .prefetch_related(Prefetch("allocations", queryset=Allocation.objects.order_by("received_on", "pk")))
    ):
        installments[inst.contract_id].append(inst)
    payments = defaultdict(list)
    counted = Payment.objects.filter(contract_id__in=ids, voided_at__isnull=True)
    for p in counted.only("contract_id", "received_on", "amount"):
        payments[p.contract_id].append(p)
    return {c.pk: _statement_for(c, installments[c.pk], payments[c.pk], as_of) for c in contracts}


def account_statement(*, user, account, as_of: datetime.date | None = None) -> dict:
    """Per-contract statements of an account's visible contracts and totals per currency."""
    as_of = as_of or timezone.localdate()
    contracts = list(
        contract_list(user=user, qs=Contract.objects.filter(account=account)).exclude(
            status__in=[Contract.Status.DRAFT, Contract.Status.PENDING, Contract.Status.REJECTED]
        )
    )
    by_id = statements_for(contracts, as_of=as_of)
    totals: dict[str, Statement] = {}
    for contract in contracts:
        st = by_id[contract.pk]
        totals.setdefault(contract.currency, Statement(as_of=as_of, currency=contract.currency)).add(st)
    return {
        "as_of": as_of,
        "rows": [(c, by_id[c.pk]) for c in contracts],
        "totals": list(totals.values()),
    }


def _sum_subquery(qs, field="amount"):
    return Coalesce(
        Subquery(qs.order_by().values("contract_id").annotate(s=Sum(field)).values("s")[:1], output_field=MONEY_FIELD),
        Value(ZERO),
        output_field=MONEY_FIELD,
    )


def receivables(*, user, as_of: datetime.date | None = None, qs=None):
    """Contracts whose customer owes money as of a date, in SQL (one query for any number of rows):
    what is due, paid towards it, open and overdue — and contracts with nothing open whose late
    fees are still owed: the fees kept by installments settled by then (`settled_late_fee`) exceed
    the credit (payments received by then, not voided, less what was allocated by then). That is
    the statement's balance > 0 (`money.Statement.balance`). Late fees themselves (those of open
    installments too) are added per page (`with_late_fees`)."""
    as_of = as_of or timezone.localdate()
    qs = qs if qs is not None else Contract.objects.all()
    due = Installment.objects.filter(contract=OuterRef("pk"), due_on__lte=as_of)
    late = Installment.objects.filter(contract=OuterRef("pk"), due_on__lt=as_of)
    paid_due = Allocation.objects.filter(
        installment__contract=OuterRef("pk"), installment__due_on__lte=as_of, received_on__lte=as_of
    ).annotate(contract_id=F("installment__contract_id"))
    paid_late = Allocation.objects.filter(
        installment__contract=OuterRef("pk"), installment__due_on__lt=as_of, received_on__lte=as_of
    ).annotate(contract_id=F("installment__contract_id"))
    settled = Installment.objects.filter(contract=OuterRef("pk"), paid_on__lte=as_of)
    received = Payment.objects.filter(contract=OuterRef("pk"), voided_at__isnull=True, received_on__lte=as_of)
    allocated = Allocation.objects.filter(installment__contract=OuterRef("pk"), received_on__lte=as_of).annotate(
        contract_id=F("installment__contract_id")
    )
    qs = (
        visible_to(user, qs)
        .exclude(status__in=[Contract.Status.DRAFT, Contract.Status.PENDING, Contract.Status.REJECTED])
        .annotate(
            due_total=_sum_subquery(due),
            paid_due=_sum_subquery(paid_due),
            late_total=_sum_subquery(late),
            paid_late=_sum_subquery(paid_late),
            settled_fees=_sum_subquery(settled, "settled_late_fee"),
            received_total=_sum_subquery(received),
            allocated_total=_sum_subquery(allocated),
        )
        .annotate(
            outstanding=F("due_total") - F("paid_due"),
            overdue_amount=F("late_total") - F("paid_late"),
            credit=F("received_total") - F("allocated_total"),
        )
        .filter(Q(outstanding__gt=0) | Q(settled_fees__gt=F("credit")))
        .select_related("account", "owner")
    )
    return qs


def with_late_fees(rows, *, as_of: datetime.date):
    """Attach each row's statement (late fees included) for one page of contracts."""
    rows = list(rows)
    statements = statements_for(rows, as_of=as_of)
    for row in rows:
        row.statement = statements[row.pk]
    return rows


def with_late_fees_in_chunks(qs, *, as_of, size: int = 500):
    """The rows streamed, each with its statement as the page shows it: late fees for a chunk of
    rows at a time (three queries a chunk), not per row and not all rows in memory."""
    chunk = []
    for contract in qs.iterator(chunk_size=size):
        chunk.append(contract)
        if len(chunk) == size:
            yield from with_late_fees(chunk, as_of=as_of)
            chunk = []
    if chunk:
        yield from with_late_fees(chunk, as_of=as_of)


def contract_page(*, contract: Contract, as_of: datetime.date | None = None) -> dict:
    """Everything the contract page shows, in a fixed number of queries."""
    as_of = as_of or timezone.localdate()
    st = contract_statement(contract=contract, as_of=as_of)
    installments = {i.pk: i for i in contract.installments.all()}
    lines = [(installments[line.installment_id], line) for line in st.lines]
    return {
        "contract": contract,
        "statement": st,
        "lines": lines,
        "schedule_difference": contract.value - st.scheduled,
        "payments": list(
            contract.payments.select_related("recorded_by", "voided_by").prefetch_related("allocations__installment")
        ),
        "amendments": list(contract.amendments.select_related("created_by")),
        "documents": list(contract.documents.filter(is_archived=False).select_related("uploaded_by")),
        "approvals": list(contract.approvals.select_related("decided_by").order_by("-round", "pk")),
        "renewal": Contract.objects.filter(renewal_of=contract).first(),
        "as_of": as_of,
    }


def payment_void_preview(*, payment: Payment, as_of: datetime.date | None = None) -> dict:
    """The contract's figures now and as they would be once `payment` is voided (the remaining
    payments allocated again, oldest installment first) — what the void page shows. Three queries."""
    as_of = as_of or timezone.localdate()
    contract = payment.contract
    before = contract_statement(contract=contract, as_of=as_of)
    installments = list(contract.installments.order_by("due_on", "pk"))
    remaining = list(
        contract.payments.filter(voided_at__isnull=True).exclude(pk=payment.pk).order_by("received_on", "pk")
    )
    dates = {p.pk: p.received_on for p in remaining}
    parts = allocate(
        installments=[(i.pk, i.amount) for i in installments], payments=[(p.pk, p.amount) for p in remaining]
    )
    allocations = defaultdict(list)
    for pid, iid, amount in parts:
        allocations[iid].append((dates[pid], amount))
    after = statement(
        installments=[(i.pk, i.due_on, i.amount, sorted(allocations[i.pk])) for i in installments],
        payments=[(p.received_on, p.amount) for p in remaining],
        as_of=as_of,
        terms=terms_for(contract),
        currency=contract.currency,
    )
    return {"before": before, "after": after, "as_of": as_of}


def amendment_fields(amendment: Amendment) -> list[tuple[str, str, str]]:
    """(label, previous, new) per changed field, labels in the reader's language."""
    rows = []
    for name, (old, new) in amendment.changes.items():
        try:
            label = Contract._meta.get_field(name).verbose_name
        except Exception:  # a field removed since: show its name
            label = name
        rows.append((label, old, new))
    return rows


# --- set-based selectors for other apps (reminders) ------------------------------------------


def installments_due_between(*, start: datetime.date, end: datetime.date, user=None):
    """Open installments due in [start, end] on contracts in force (or since ended) — for reminders."""
    qs = Installment.objects.filter(paid_on__isnull=True, due_on__gte=start, due_on__lte=end).exclude(
        contract__status__in=[Contract.Status.DRAFT, Contract.Status.PENDING, Contract.Status.REJECTED]
    )
    qs = qs.annotate(open_balance=F("amount") - F("paid_amount")).select_related("contract__account")
    return visible_to(user, qs) if user is not None else qs


def installments_overdue(*, as_of: datetime.date, min_days: int = 1, user=None):
    """Open installments at least `min_days` past due as of a date (payments up to now counted)."""
    qs = Installment.objects.filter(
        paid_on__isnull=True, due_on__lte=as_of - datetime.timedelta(days=min_days)
    ).exclude(contract__status__in=[Contract.Status.DRAFT, Contract.Status.PENDING, Contract.Status.REJECTED])
    qs = qs.annotate(open_balance=F("amount") - F("paid_amount")).select_related("contract__account")
    return visible_to(user, qs) if user is not None else qs


def contracts_expiring(*, as_of: datetime.date, within_days: int, user=None):
    """Contracts in force whose end date falls within `within_days` of `as_of`."""
    qs = Contract.objects.filter(expiring_q(as_of=as_of, days=within_days)).select_related("account", "owner")
    return visible_to(user, qs) if user is not None else qs


def account_contract_summary(*, user, account) -> dict:
    """The account page's contracts card: its contracts and the balance (a few queries)."""
    today = timezone.localdate()
    contracts = list(contract_list(user=user, qs=Contract.objects.filter(account=account), sort="-end")[:10])
    in_force = [
        c
        for c in contracts
        if c.status not in {Contract.Status.DRAFT, Contract.Status.PENDING, Contract.Status.REJECTED}
    ]
    statements = statements_for(in_force, as_of=today)
    totals: dict[str, Statement] = {}
    for c in in_force:
        totals.setdefault(c.currency, Statement(as_of=today, currency=c.currency)).add(statements[c.pk])
    return {"account": account, "contracts": contracts, "totals": list(totals.values()), "as_of": today}


def account_contract_alerts(*, user, account) -> list:
    """Contracts' line in the 360° header (accounts.alerts): overdue installments (the oldest due
    date) and contracts in force that end within 30 days. One query."""
    from django.db.models import Count, Min
    from django.urls import reverse
    from django.utils.formats import date_format
    from django.utils.translation import ngettext

    from accounts.alerts import AccountAlert

    today = timezone.localdate()
    overdue = installments_overdue(as_of=today).filter(contract__account=account)
    expiring = Contract.objects.filter(expiring_q(as_of=today, days=30), account=account)
    counts = overdue.aggregate(n_overdue=Count("pk"), oldest=Min("due_on"))
    counts["n_expiring"] = expiring.count()
    alerts = []
    if counts["n_overdue"]:
        text = ngettext(
            "%(n)s installment overdue, due since %(day)s",
            "%(n)s installments overdue, the oldest due since %(day)s",
            counts["n_overdue"],
        ) % {"n": counts["n_overdue"], "day": date_format(counts["oldest"], "SHORT_DATE_FORMAT")}
        url = reverse("contracts:account_statement", args=[account.pk])
        alerts.append(AccountAlert(level="danger", icon="cash-coin", text=text, url=url, count=counts["n_overdue"]))
    if counts["n_expiring"]:
        text = ngettext(
            "%(n)s contract ends within 30 days", "%(n)s contracts end within 30 days", counts["n_expiring"]
        ) % {"n": counts["n_expiring"]}
        url = f"{reverse('contracts:list')}?account={account.pk}"
        alerts.append(AccountAlert(level="warning", icon="calendar-x", text=text, url=url, count=counts["n_expiring"]))
    return alerts
