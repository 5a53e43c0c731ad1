"""The money rules, pinned with figures computed by hand (no database)."""

import datetime
from decimal import Decimal

import pytest

from contracts.money import LateFeeTerms, add_months, allocate, even_schedule, installment_position, statement, to_cent

D = datetime.date
RATE = LateFeeTerms(rate_percent=Decimal("0.05"))  # 0.05 % a day


def test_rounding_is_half_up_to_the_cent():
    assert to_cent(Decimal("0.005")) == Decimal("0.01")
    assert to_cent(Decimal("0.0049")) == Decimal("0.00")
    assert to_cent(Decimal("2.675")) == Decimal("2.68")  # a float would give 2.67


def test_even_schedule_adds_up_exactly_and_the_last_takes_the_remainder():
    rows = even_schedule(total=Decimal("100000.00"), count=3, first_due_on=D(2026, 1, 15))
    assert [a for _d, a in rows] == [Decimal("33333.33"), Decimal("33333.33"), Decimal("33333.34")]
    assert sum(a for _d, a in rows) == Decimal("100000.00")
    assert [d for d, _a in rows] == [D(2026, 1, 15), D(2026, 2, 15), D(2026, 3, 15)]


def test_even_schedule_keeps_month_ends_through_a_leap_february():
    rows = even_schedule(total=Decimal("300"), count=3, first_due_on=D(2024, 1, 31))
    assert [d for d, _a in rows] == [D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 31)]
    assert add_months(D(2023, 1, 31), 1) == D(2023, 2, 28)


def test_payment_on_the_due_date_is_not_overdue():
    pos = installment_position(
        amount=Decimal("10000"),
        due_on=D(2026, 3, 1),
        allocations=[(D(2026, 3, 1), Decimal("10000"))],
        as_of=D(2026, 4, 1),
        terms=RATE,
    )
    assert (pos.overdue, pos.days_overdue, pos.late_fee) == (Decimal("0"), 0, Decimal("0.00"))
    due_today = installment_position(
        amount=Decimal("10000"), due_on=D(2026, 3, 1), allocations=[], as_of=D(2026, 3, 1), terms=RATE
    )
    assert due_today.overdue == 0 and due_today.late_fee == 0 and due_today.open == Decimal("10000")


def test_late_fee_is_overdue_times_rate_times_days_rounded_half_up():
    # 12,345.67 × 0.05 % × 10 days = 61.72835 → 61.73
    pos = installment_position(
        amount=Decimal("12345.67"), due_on=D(2026, 3, 1), allocations=[], as_of=D(2026, 3, 11), terms=RATE
    )
    assert pos.days_overdue == 10
    assert pos.overdue == Decimal("12345.67")
    assert pos.late_fee == Decimal("61.73")
    assert isinstance(pos.late_fee, Decimal)


def test_leap_day_counts():
    # 28 Feb → 1 Mar is 2 days in 2024 and 1 day in 2023: 10,000 × 0.05 % = 5.00 a day
    leap = installment_position(
        amount=Decimal("10000"), due_on=D(2024, 2, 28), allocations=[], as_of=D(2024, 3, 1), terms=RATE
    )
    common = installment_position(
        amount=Decimal("10000"), due_on=D(2023, 2, 28), allocations=[], as_of=D(2023, 3, 1), terms=RATE
    )
    assert (leap.days_overdue, leap.late_fee) == (2, Decimal("10.00"))
    assert (common.days_overdue, common.late_fee) == (1, Decimal("5.00"))


def test_grace_period_edges():
    terms = LateFeeTerms(rate_percent=Decimal("0.05"), grace_days=5)
    args = {"amount": Decimal("10000"), "due_on": D(2026, 3, 1), "allocations": [], "terms": terms}
    last_day_of_grace = installment_position(as_of=D(2026, 3, 6), **args)
    assert last_day_of_grace.overdue == Decimal("10000") and last_day_of_grace.late_fee == Decimal("0.00")
    first_day_after = installment_position(as_of=D(2026, 3, 7), **args)
    assert first_day_after.late_fee == Decimal("5.00")  # one day beyond the grace period
    paid_within_grace = installment_position(
        amount=Decimal("10000"),
        due_on=D(2026, 3, 1),
        allocations=[(D(2026, 3, 6), Decimal("10000"))],
        as_of=D(2026, 4, 1),
        terms=terms,
    )
    assert paid_within_grace.late_fee == Decimal("0.00")


def test_cap_edges():
    terms = LateFeeTerms(rate_percent=Decimal("0.05"), cap_percent=Decimal("1"))  # at most 1 % = 100.00
    args = {"amount": Decimal("10000"), "due_on": D(2026, 1, 1), "allocations": [], "terms": terms}
    assert installment_position(as_of=D(2026, 1, 20), **args).late_fee == Decimal("95.00")  # 19 days, under
    assert installment_position(as_of=D(2026, 1, 21), **args).late_fee == Decimal("100.00")  # 20 days: at the cap
    assert installment_position(as_of=D(2026, 3, 1), **args).late_fee == Decimal("100.00")  # beyond: capped


def test_partial_payment_fee_follows_the_balance():
    # 10,000 due 1 Mar; 4,000 paid 11 Mar; as of 31 Mar:
    # 10,000 × 10 days + 6,000 × 20 days = 220,000 × 0.05 % = 110.00
    pos = installment_position(
        amount=Decimal("10000"),
        due_on=D(2026, 3, 1),
        allocations=[(D(2026, 3, 11), Decimal("4000"))],
        as_of=D(2026, 3, 31),
        terms=RATE,
    )
    assert pos.paid == Decimal("4000") and pos.overdue == Decimal("6000")
    assert pos.late_fee == Decimal("110.00")
    # as of 5 Mar the later payment does not count yet
    early = installment_position(
        amount=Decimal("10000"),
        due_on=D(2026, 3, 1),
        allocations=[(D(2026, 3, 11), Decimal("4000"))],
        as_of=D(2026, 3, 5),
        terms=RATE,
    )
    assert early.paid == 0 and early.late_fee == Decimal("20.00")


def test_allocation_oldest_first_spanning_installments_with_overpayment_as_credit():
    parts = allocate(
        installments=[(1, Decimal("100")), (2, Decimal("100")), (3, Decimal("100"))],
        payments=[(10, Decimal("150")), (11, Decimal("180"))],
    )
    assert parts == [
        (10, 1, Decimal("100")),
        (10, 2, Decimal("50")),
        (11, 2, Decimal("50")),
        (11, 3, Decimal("100")),
    ]  # 30 of payment 11 is left over: credit


def test_statement_against_hand_computed_figures():
    # schedule 3 × 1,000 due 1 Jan, 1 Feb, 1 Mar 2026; paid 1,500 on 10 Jan; as of 15 Feb:
    # invoiced 2,000 (Jan + Feb), paid 1,500, outstanding 500 (Feb's second half), overdue 500;
    # Jan: 1,000 × 9 days (2 → 10 Jan) × 0.05 % = 4.50; Feb: 500 open × 14 days = 3.50 → fees 8.00
    installments = [
        (1, D(2026, 1, 1), Decimal("1000"), [(D(2026, 1, 10), Decimal("1000"))]),
        (2, D(2026, 2, 1), Decimal("1000"), [(D(2026, 1, 10), Decimal("500"))]),
        (3, D(2026, 3, 1), Decimal("1000"), []),
    ]
    st = statement(
        installments=installments, payments=[(D(2026, 1, 10), Decimal("1500"))], as_of=D(2026, 2, 15), terms=RATE
    )
    assert st.scheduled == Decimal("3000")
    assert st.invoiced == Decimal("2000")
    assert st.paid == Decimal("1500")
    assert st.outstanding == Decimal("500")
    assert st.overdue == Decimal("500")
    assert st.late_fees == Decimal("8.00")
    assert st.credit == Decimal("0")
    assert st.balance == Decimal("508.00")


def test_statement_overpayment_is_credit():
    installments = [(1, D(2026, 1, 1), Decimal("1000"), [(D(2026, 1, 1), Decimal("1000"))])]
    st = statement(
        installments=installments, payments=[(D(2026, 1, 1), Decimal("1250"))], as_of=D(2026, 2, 1), terms=RATE
    )
    assert st.credit == Decimal("250")
    assert st.balance == Decimal("-250")


def test_even_schedule_refuses_zero_installments():
    with pytest.raises(ValueError, match="at least 1"):
        even_schedule(total=Decimal("1"), count=0, first_due_on=D(2026, 1, 1))
