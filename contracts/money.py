"""The contract money rules, as pure functions of dates and Decimals (no database).

- Amounts are Decimal, rounded half-up to the cent once, at the end of each computation.
- An installment is overdue from the day after its due date: a payment on the due date is on time.
- The late fee accrues on the installment's unpaid balance, day by day, for the days after the
  grace period: fee = Σ balance × daily rate × days. With no partial payment this is the plain
  "overdue amount × daily rate × days overdue (beyond the grace period)". A payment received on day
  D settles the balance from D on (the balance still counts for day D itself).
- The cap, if any, limits one installment's late fee to a share of that installment's amount.
- Dates are calendar dates: leap days count like any other day.
"""

import calendar
import datetime
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.conf import settings

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def to_cent(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LateFeeTerms:
    rate_percent: Decimal  # percent of the overdue balance per day, e.g. Decimal("0.05")
    cap_percent: Decimal | None = None  # of the installment's amount; None: no cap
    grace_days: int = 0


def default_terms() -> LateFeeTerms:
    cap = getattr(settings, "CONTRACTS_LATE_FEE_CAP_PERCENT", None)
    return LateFeeTerms(
        rate_percent=Decimal(str(getattr(settings, "CONTRACTS_LATE_FEE_RATE_PERCENT", "0.05"))),
        cap_percent=Decimal(str(cap)) if cap not in (None, "") else None,
        grace_days=int(getattr(settings, "CONTRACTS_GRACE_DAYS", 0)),
    )


def terms_for(contract) -> LateFeeTerms:
    """The contract's own terms where set, the company defaults (settings) elsewhere."""
    default = default_terms()
    return LateFeeTerms(
        rate_percent=contract.late_fee_rate if contract.late_fee_rate is not None else default.rate_percent,
        cap_percent=contract.late_fee_cap if contract.late_fee_cap is not None else default.cap_percent,
        grace_days=contract.grace_days if contract.grace_days is not None else default.grace_days,
    )


def add_months(day: datetime.date, months: int, *, anchor_day: int | None = None) -> datetime.date:
    """`day` moved by whole months, keeping `anchor_day` (default: day's own) where the month has it
    (31 Jan + 1 month = 29 Feb in a leap year, 28 Feb otherwise; + 2 months = 31 Mar)."""
    anchor = anchor_day or day.day
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(anchor, calendar.monthrange(year, month)[1]))


def even_schedule(
    *, total: Decimal, count: int, first_due_on: datetime.date, every_months: int = 1
) -> list[tuple[datetime.date, Decimal]]:
    """`count` installments of equal cents adding up exactly to `total`; the last takes the remainder."""
    if count < 1:
        raise ValueError("count must be at least 1")
    total = to_cent(total)
    share = (total / count).quantize(CENT, rounding=ROUND_DOWN)
    amounts = [share] * (count - 1) + [total - share * (count - 1)]
    return [
        (add_months(first_due_on, i * every_months, anchor_day=first_due_on.day), amount)
        for i, amount in enumerate(amounts)
    ]


@dataclass
class InstallmentPosition:
    """One installment as of a date."""

    installment_id: int | None
    due_on: datetime.date
    amount: Decimal
    paid: Decimal  # received on or before the date
    open: Decimal  # amount - paid
    overdue: Decimal  # the open amount if the due date has passed, else 0
    days_overdue: int
    late_fee: Decimal
    fee_days: int  # days beyond the grace period

    @property
    def is_paid(self) -> bool:
        return self.open == 0


def installment_position(
    *,
    amount: Decimal,
    due_on: datetime.date,
    allocations: list[tuple[datetime.date, Decimal]],
    as_of: datetime.date,
    terms: LateFeeTerms,
    installment_id: int | None = None,
) -> InstallmentPosition:
    """`allocations`: (payment date, amount) of the payments applied to this installment."""
    received = sorted((d, a) for d, a in allocations if d <= as_of)
    paid = sum((a for _d, a in received), ZERO)
    open_amount = amount - paid
    overdue = open_amount if (as_of > due_on and open_amount > 0) else ZERO
    days_overdue = (as_of - due_on).days if overdue else 0

    # day-by-day balance, only for the days after the grace period
    fee_from = due_on + datetime.timedelta(days=terms.grace_days)
    balance, cursor, raw = amount, fee_from, Decimal(0)
    for day, part in received:
        if day > cursor and balance > 0:
            raw += balance * (day - cursor).days
            cursor = day
        balance -= part
    if as_of > cursor and balance > 0:
        raw += balance * (as_of - cursor).days
    fee = to_cent(raw * terms.rate_percent / HUNDRED)
    if terms.cap_percent is not None:
        fee = min(fee, to_cent(amount * terms.cap_percent / HUNDRED))
    fee_days = max(0, days_overdue - terms.grace_days) if overdue else 0
    return InstallmentPosition(
        installment_id=installment_id,
        due_on=due_on,
        amount=amount,
        paid=paid,
        open=open_amount,
        overdue=overdue,
        days_overdue=days_overdue,
        late_fee=fee,
        fee_days=fee_days,
    )


@dataclass
class Statement:
    """What a contract (or an account's contracts) owe as of a date."""

    as_of: datetime.date
    currency: str = "CNY"
    scheduled: Decimal = ZERO  # all installments
    invoiced: Decimal = ZERO  # installments due on or before the date
    paid: Decimal = ZERO  # payments received on or before the date
    outstanding: Decimal = ZERO  # unpaid part of what is due
    overdue: Decimal = ZERO  # unpaid part of what was due before the date
    late_fees: Decimal = ZERO
    credit: Decimal = ZERO  # received but not needed by any installment
    lines: list[InstallmentPosition] = field(default_factory=list)

    @property
    def balance(self) -> Decimal:
        """What the customer owes now, late fees included, less any credit."""
        return self.outstanding + self.late_fees - self.credit

    def add(self, other: "Statement") -> None:
        for name in ("scheduled", "invoiced", "paid", "outstanding", "overdue", "late_fees", "credit"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict:
        return {
            "as_of": self.as_of.isoformat(),
            "currency": self.currency,
            "scheduled": self.scheduled,
            "invoiced": self.invoiced,
            "paid": self.paid,
            "outstanding": self.outstanding,
            "overdue": self.overdue,
            "late_fees": self.late_fees,
            "credit": self.credit,
            "balance": self.balance,
        }


def statement(
    *,
    installments: list[tuple[int | None, datetime.date, Decimal, list[tuple[datetime.date, Decimal]]]],
    payments: list[tuple[datetime.date, Decimal]],
    as_of: datetime.date,
    terms: LateFeeTerms,
    currency: str = "CNY",
) -> Statement:
    """`installments`: (id, due date, amount, allocations); `payments`: (date, amount) of all payments."""
    result = Statement(as_of=as_of, currency=currency)
    allocated = ZERO
    for inst_id, due_on, amount, allocations in installments:
        line = installment_position(
            amount=amount, due_on=due_on, allocations=allocations, as_of=as_of, terms=terms, installment_id=inst_id
        )
        result.lines.append(line)
        result.scheduled += amount
        allocated += line.paid
        if due_on <= as_of:
            result.invoiced += amount
            result.outstanding += line.open
        result.overdue += line.overdue
        result.late_fees += line.late_fee
    result.paid = sum((a for d, a in payments if d <= as_of), ZERO)
    result.credit = result.paid - allocated
    return result


def allocate(
    *, installments: list[tuple[int, Decimal]], payments: list[tuple[int, Decimal]]
) -> list[tuple[int, int, Decimal]]:
    """Oldest open installment first: (payment id, installment id, amount) for each part.

    Both lists come in order (installments by due date, payments by date received); what no
    installment needs stays with its payment as credit."""
    parts = []
    queue = [[inst_id, amount] for inst_id, amount in installments]
    index = 0
    for payment_id, amount in payments:
        left = amount
        while left > 0 and index < len(queue):
            inst = queue[index]
            take = min(left, inst[1])
            parts.append((payment_id, inst[0], take))
            inst[1] -= take
            left -= take
            if inst[1] == 0:
                index += 1
    return parts
