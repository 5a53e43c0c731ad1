"""The churn warning: the top accounts' revenue in a month against a baseline month, flagged at
−10% and −20%, read from the monthly revenue rollup in one query, through the visibility policy."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from reports.selectors import churn_warnings, default_churn_month
from reports.selectors.churn import FLAG_SEVERE, FLAG_WARNING, same_month_last_year
from tests.accounts.factories import AccountFactory, TransactionFactory
from tests.users.factories import TeamFactory

pytestmark = pytest.mark.django_db

MONTH = datetime.date(2026, 10, 1)
LAST_YEAR = datetime.date(2025, 10, 1)


def at(day: datetime.date, *, hour=12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def revenue(account, day, amount, kind="purchase"):
    TransactionFactory(account=account, occurred_at=at(day), amount=Decimal(amount), kind=kind)


@pytest.fixture
def book(manager):
    """Four accounts of one manager, revenue of October 2025 against October 2026:
    steady 1000 → 950 (−5%), dipping 1000 → 900 (exactly −10%), falling 1000 → 800 (exactly −20%)
    and gone 500 → 0; a new account 0 → 700 has no baseline."""
    steady = AccountFactory(owner=manager, name="Steady", revenue_12m=9000)
    dipping = AccountFactory(owner=manager, name="Dipping", revenue_12m=8000)
    falling = AccountFactory(owner=manager, name="Falling", revenue_12m=7000)
    gone = AccountFactory(owner=manager, name="Gone", revenue_12m=6000)
    new = AccountFactory(owner=manager, name="New", revenue_12m=5000)
    revenue(steady, LAST_YEAR.replace(day=3), "600")
    revenue(steady, LAST_YEAR.replace(day=20), "400")
    revenue(steady, MONTH.replace(day=5), "1000")
    revenue(steady, MONTH.replace(day=6), "50", kind="refund")  # 950
    revenue(dipping, LAST_YEAR.replace(day=10), "1000")
    revenue(dipping, MONTH.replace(day=31), "900")
    revenue(falling, LAST_YEAR.replace(day=1), "1000")
    revenue(falling, MONTH.replace(day=1), "800")
    revenue(falling, datetime.date(2026, 11, 1), "5000")  # the following month: not counted
    revenue(gone, LAST_YEAR.replace(day=15), "500")
    revenue(new, MONTH.replace(day=15), "700")
    return {"steady": steady, "dipping": dipping, "falling": falling, "gone": gone, "new": new}


def test_flags_at_minus_10_and_minus_20_against_the_same_month_last_year(manager, book):
    rows = churn_warnings(user=manager, month=MONTH)
    assert [r.account.name for r in rows] == ["Steady", "Dipping", "Falling", "Gone", "New"]
    by_name = {r.account.name: r for r in rows}
    assert by_name["Steady"].month_revenue == Decimal("950.00")
    assert by_name["Steady"].baseline_revenue == Decimal("1000.00")
    assert by_name["Steady"].change_pct == Decimal("-5.0")
    assert by_name["Steady"].flag == ""
    assert by_name["Dipping"].change_pct == Decimal("-10.0") and by_name["Dipping"].flag == FLAG_WARNING
    assert by_name["Falling"].month_revenue == Decimal("800.00")
    assert by_name["Falling"].flag == FLAG_SEVERE
    assert by_name["Gone"].flag == FLAG_SEVERE and by_name["Gone"].lost
    assert by_name["Gone"].change == Decimal("-500.00")
    assert by_name["New"].baseline_revenue == 0 and by_name["New"].change_pct is None
    assert by_name["New"].flag == "" and not by_name["New"].lost
    assert [r.rank for r in rows] == [1, 2, 3, 4, 5]


def test_a_baseline_month_instead_of_last_year(manager, book):
    """Against September 2026, when only Steady bought (2000): the others have no baseline."""
    revenue(book["steady"], datetime.date(2026, 9, 9), "2000")  # 950 vs 2000: −52.5%
    rows = churn_warnings(user=manager, month=MONTH, baseline=datetime.date(2026, 9, 30))
    by_name = {r.account.name: r for r in rows}
    assert by_name["Steady"].baseline_revenue == Decimal("2000.00")
    assert by_name["Steady"].change_pct == Decimal("-52.5") and by_name["Steady"].flag == FLAG_SEVERE
    assert {r.account.name for r in rows if r.flag} == {"Steady"}


def test_flagged_only_and_the_top_n_limit(manager, book):
    flagged = churn_warnings(user=manager, month=MONTH, flagged_only=True)
    assert [(r.rank, r.account.name) for r in flagged] == [(2, "Dipping"), (3, "Falling"), (4, "Gone")]
    top_two = churn_warnings(user=manager, month=MONTH, limit=2)
    assert [r.account.name for r in top_two] == ["Steady", "Dipping"]


def test_another_managers_accounts_are_never_counted(manager, other_manager, director, book):
    theirs = AccountFactory(owner=other_manager, name="Theirs", revenue_12m=99000)
    revenue(theirs, LAST_YEAR, "1000")
    assert "Theirs" not in {r.account.name for r in churn_warnings(user=manager, month=MONTH)}
    assert [r.account.name for r in churn_warnings(user=other_manager, month=MONTH)] == ["Theirs"]
    # a director sees everyone: the big account ranks first; the sweep (user=None) too
    assert churn_warnings(user=director, month=MONTH)[0].account.name == "Theirs"
    assert churn_warnings(month=MONTH)[0].account.name == "Theirs"


def test_team_leader_sees_members_and_filters(manager, other_manager, make_user, book):
    from users.roles import Role

    leader = make_user(Role.MANAGER, username="leader")
    team = TeamFactory(leader=leader, members=[manager])
    assert len(churn_warnings(user=leader, month=MONTH)) == 5
    assert churn_warnings(user=leader, month=MONTH, owner_id=other_manager.pk) == []
    book["new"].team = team
    book["new"].save(update_fields=["team"])
    assert [r.account.name for r in churn_warnings(user=leader, month=MONTH, team_id=team.pk)] == ["New"]


def test_archived_accounts_are_left_out(manager, book):
    book["steady"].is_archived = True
    book["steady"].save(update_fields=["is_archived"])
    assert "Steady" not in {r.account.name for r in churn_warnings(user=manager, month=MONTH)}


def test_one_query_whatever_the_number_of_accounts(manager, book, django_assert_num_queries):
    manager._crm_roles = None
    churn_warnings(user=manager, month=MONTH)  # warm the roles cache
    with django_assert_num_queries(1):
        rows = churn_warnings(user=manager, month=MONTH)
        assert [r.account.owner.pk for r in rows] == [manager.pk] * 5


def test_default_month_is_the_last_complete_one():
    assert default_churn_month(datetime.date(2026, 1, 15)) == datetime.date(2025, 12, 1)
    assert default_churn_month(datetime.date(2026, 3, 1)) == datetime.date(2026, 2, 1)
    assert same_month_last_year(datetime.date(2024, 2, 1)) == datetime.date(2023, 2, 1)
