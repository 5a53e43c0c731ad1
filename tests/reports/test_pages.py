"""Report pages, exports and the API answer for every role that may read reports, in a bounded
number of queries, and refuse the others."""

import pytest

from reports.registry import reports_in_order
from tests.accounts.factories import AccountFactory

pytestmark = pytest.mark.django_db

NAMES = [r.name for r in reports_in_order()]


def test_the_reports_are_registered():
    assert NAMES == ["composition", "churn", "health", "service", "visits", "scorecard", "receivables", "pipeline"]


@pytest.mark.parametrize("name", NAMES)
def test_each_report_renders_exports_and_answers_json(name, client_for, api_for, director):
    AccountFactory(revenue_12m=1000)
    client = client_for(director)
    page = client.get(f"/reports/{name}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<canvas" in html and "data-chart=" in html and 'type="application/json"' in html
    assert "<script>" not in html  # no inline script (CSP): charts read json_script elements
    table = page.context["result"].tables[0]
    csv = client.get(f"/reports/{name}/?export=csv&table={table.key}")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    first_line = b"".join(csv.streaming_content).decode("utf-8-sig").splitlines()[0]
    assert first_line.split(",")[0] == str(table.columns[0].label)
    xlsx = client.get(f"/reports/{name}/?export=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    import io

    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(xlsx.content), read_only=True)
    assert len(workbook.sheetnames) == len(page.context["result"].tables)  # every table, one sheet each
    api = api_for(director).get(f"/api/reports/{name}/")
    assert api.status_code == 200
    body = api.json()
    assert body["name"] == name and body["tables"][0]["columns"][0]["key"] == table.columns[0].key


def test_unknown_report_is_404(client_for, api_for, director):
    assert client_for(director).get("/reports/nope/").status_code == 404
    assert api_for(director).get("/api/reports/nope/").status_code == 404


def test_bad_filters_answer_400_in_the_api(api_for, director):
    response = api_for(director).get("/api/reports/service/?start=2026-05-01&end=2026-01-01")
    assert response.status_code == 400
    assert response.json()["fields"]["non_field_errors"][0]["code"] == "period_reversed"
    response = api_for(director).get("/api/reports/service/?start=tomorrow")
    assert response.status_code == 400 and "start" in response.json()["fields"]


def test_roles_without_reports_are_refused(client_for, api_for, make_user):
    nobody = make_user(None, username="no-role")
    assert client_for(nobody).get("/reports/").status_code == 403
    assert api_for(nobody).get("/api/reports/").status_code == 403


def test_index_lists_every_report(client_for, manager, service_agent, finance_user):
    for user in (manager, service_agent, finance_user):
        html = client_for(user).get("/reports/").content.decode()
        for name in NAMES:
            assert f'href="/reports/{name}/"' in html


@pytest.mark.parametrize("name", NAMES)
def test_query_count_does_not_grow_with_the_data(name, client_for, director, manager, django_assert_max_num_queries):
    from tests.accounts.factories import TransactionFactory

    client = client_for(director)
    client.get(f"/reports/{name}/")  # warm caches (roles, sessions)
    for _ in range(3):
        TransactionFactory(account=AccountFactory(owner=manager, revenue_12m=5000))
    with django_assert_max_num_queries(40) as few:
        client.get(f"/reports/{name}/")
    for _ in range(12):
        TransactionFactory(account=AccountFactory(owner=manager, revenue_12m=7000))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"/reports/{name}/")


def test_dashboards_of_each_role(client_for, manager, director, service_agent, finance_user, make_user):
    from users.roles import Role

    assert client_for(manager).get("/").context["dashboard_kind"] == "manager"
    assert client_for(director).get("/").context["dashboard_kind"] == "director"
    assert client_for(service_agent).get("/").context["dashboard_kind"] == "service"
    assert client_for(finance_user).get("/").context["dashboard_kind"] == "finance"
    both = make_user([Role.MANAGER, Role.FINANCE], username="both")
    response = client_for(both).get("/?view=finance")
    assert response.context["dashboard_kinds"] == ["manager", "finance"]
    assert response.context["dashboard_kind"] == "finance"
    assert client_for(both).get("/?view=director").context["dashboard_kind"] == "manager"


def _busy_account(owner=None):
    """An account with revenue, an overdue installment, an expiring contract, a breached
    request and a follow-up: every card of every dashboard has something to show."""
    import datetime

    from django.utils import timezone

    from tests.accounts.factories import TransactionFactory
    from tests.contracts.factories import ContractFactory, InstallmentFactory
    from tests.service_requests.factories import ServiceRequestFactory
    from tests.visits.factories import FollowUpFactory

    today = timezone.localdate()
    account = AccountFactory(**({"owner": owner} if owner else {}))
    TransactionFactory(account=account)
    contract = ContractFactory(account=account, end_on=today + datetime.timedelta(days=20))
    InstallmentFactory(contract=contract, due_on=today - datetime.timedelta(days=40))
    ServiceRequestFactory(account=account, breached=True)
    FollowUpFactory(account=account, due_on=today - datetime.timedelta(days=1))
    return account


@pytest.mark.parametrize("role", ["manager", "director", "service_agent", "finance_user"])
def test_dashboard_query_count_is_bounded(role, request, client_for, django_assert_max_num_queries):
    user = request.getfixturevalue(role)
    owner = user if role == "manager" else None
    client = client_for(user)
    client.get("/")
    for _ in range(2):
        _busy_account(owner)
    with django_assert_max_num_queries(50) as few:
        response = client.get("/")
    assert response.status_code == 200
    for _ in range(8):
        _busy_account(owner)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/")


def test_director_figures_read_from_the_summary_equal_their_own_count(director, manager):
    """The director's board takes accounts, VIP, revenue, contacted and churned from the
    dashboard summary's pass over the same accounts: the same numbers as counting them again."""
    import datetime

    from django.utils import timezone

    from accounts.selectors import accounts_summary
    from reports.selectors.common import local_midnight
    from reports.selectors.roles import director_kpis

    today = timezone.localdate()
    AccountFactory(owner=manager, tier="vip", revenue_12m=500, last_contact_at=timezone.now())
    AccountFactory(status="churned", revenue_12m=20, last_contact_at=timezone.now() - datetime.timedelta(days=90))
    AccountFactory(is_archived=True, tier="vip", revenue_12m=999)
    summary = accounts_summary(user=director, contacted_since=local_midnight(today.replace(day=1)))
    keys = ["accounts", "vip", "revenue_12m", "contacted", "churned"]
    counted = director_kpis(user=director, today=today)
    read = director_kpis(user=director, today=today, summary=summary)
    assert [read[k] for k in keys] == [counted[k] for k in keys]
    assert [read[k] for k in ("accounts", "vip", "churned")] == [2, 1, 1]
    assert read["contacted"] == 1  # this month: the VIP one, not the one last contacted 90 days ago
    # a team's board counts that team's accounts, never the company's summary
    assert director_kpis(user=director, today=today, team_id=-1, summary=summary)["accounts"] == 0


def test_director_month_revenue_leaves_out_archived_accounts(director, manager):
    """The company's month revenue is the rollup's month total less the archived accounts' share
    (reports.selectors.common.rollup_in_scope); a team's reads its own accounts. Both equal the
    live accounts' transactions of the month, this year and last."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from reports.selectors.roles import director_kpis
    from tests.accounts.factories import TransactionFactory
    from tests.users.factories import TeamFactory

    today = timezone.localdate()
    noon = timezone.make_aware(datetime.datetime.combine(today.replace(day=1), datetime.time(12)))
    year_ago = noon.replace(year=noon.year - 1)
    team = TeamFactory(leader=manager)
    live = AccountFactory(owner=manager, team=team)
    other = AccountFactory()
    gone = AccountFactory(owner=manager, team=team)
    for account, now, then in ((live, "100.00", "40.00"), (other, "7.50", "0"), (gone, "1000.00", "500.00")):
        TransactionFactory(account=account, occurred_at=noon, amount=Decimal(now))
        if Decimal(then):
            TransactionFactory(account=account, occurred_at=year_ago, amount=Decimal(then))
    gone.is_archived = True
    gone.save(update_fields=["is_archived"])

    company = director_kpis(user=director, today=today)
    assert (company["revenue_month"], company["revenue_month_last_year"]) == (Decimal("107.50"), Decimal("40.00"))
    team_board = director_kpis(user=director, today=today, team_id=team.pk)
    assert (team_board["revenue_month"], team_board["revenue_month_last_year"]) == (Decimal("100.00"), Decimal("40.00"))


@pytest.mark.parametrize("day", [10, 25])
def test_month_revenue_is_compared_with_the_same_days_last_year(director, day):
    """ "This month so far" against the same days a year earlier, not last year's whole month —
    early in the month (read from the raw transactions) and late (the month's rollup less the
    days after), refunds subtracting, archived accounts left out."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from reports.selectors.roles import director_kpis
    from tests.accounts.factories import TransactionFactory

    def at(d, hour=12):
        return timezone.make_aware(datetime.datetime.combine(d, datetime.time(hour)))

    today = datetime.date(2026, 11, day)
    account, gone = AccountFactory(), AccountFactory()
    TransactionFactory(account=account, occurred_at=at(datetime.date(2026, 11, 2)), amount=Decimal("300"))
    TransactionFactory(account=account, occurred_at=at(datetime.date(2025, 11, 1), hour=0), amount=Decimal("100"))
    TransactionFactory(account=account, occurred_at=at(datetime.date(2025, 11, day), hour=23), amount=Decimal("50"))
    TransactionFactory(
        account=account, occurred_at=at(datetime.date(2025, 11, day)), amount=Decimal("20"), kind="refund"
    )
    TransactionFactory(account=account, occurred_at=at(datetime.date(2025, 11, day + 1), hour=0), amount=Decimal("999"))
    TransactionFactory(account=account, occurred_at=at(datetime.date(2025, 10, 31), hour=23), amount=Decimal("777"))
    TransactionFactory(account=gone, occurred_at=at(datetime.date(2025, 11, 3)), amount=Decimal("5000"))
    gone.is_archived = True
    gone.save(update_fields=["is_archived"])
    board = director_kpis(user=director, today=today)
    assert board["revenue_month"] == Decimal("300.00")
    assert board["revenue_month_last_year"] == Decimal("130.00")  # 100 + 50 − 20; not the 999 after
    assert board["revenue_growth"] == Decimal("130.8")
