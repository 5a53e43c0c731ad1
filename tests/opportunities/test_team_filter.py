"""The pipeline's team and owner filters (board, list, forecast, analysis, API): a director or a
team leader narrows what they see to a team or an owner; the choices offer only the teams and
owners the user may see; query counts stay constant."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from opportunities import selectors
from tests.accounts.factories import AccountFactory
from tests.users.factories import TeamFactory, UserFactory
from users.roles import Role

from .factories import OpportunityFactory, stage

pytestmark = pytest.mark.django_db

CLOSE = timezone.localdate().replace(day=1) + datetime.timedelta(days=40)


@pytest.fixture
def teams(director):
    """North (led by `lead`, member `north_member`) and South (led by `south_lead`, member
    `south_member`), each member with one open opportunity; `lead` has one of their own."""
    lead = UserFactory(username="lead", role=Role.MANAGER)
    north_member = UserFactory(username="north-member", role=Role.MANAGER)
    south_lead = UserFactory(username="south-lead", role=Role.MANAGER)
    south_member = UserFactory(username="south-member", role=Role.MANAGER)
    north = TeamFactory(name="North", leader=lead, members=[north_member])
    south = TeamFactory(name="South", leader=south_lead, members=[south_member])
    opps = {}
    for key, owner, amount in (
        ("north", north_member, "100000.00"),
        ("south", south_member, "200000.00"),
        ("lead", lead, "50000.00"),
    ):
        opps[key] = OpportunityFactory(
            account=AccountFactory(owner=owner),
            owner=owner,
            title=f"Deal {key}",
            amount=Decimal(amount),
            stage=stage("evaluation"),
            expected_close_on=CLOSE,
        )
    return {
        "lead": lead,
        "north_member": north_member,
        "south_member": south_member,
        "north": north,
        "south": south,
        "opps": opps,
    }


def _body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


def _titles(response):
    return {o.title for o in response.context["page"].object_list}


def _board_titles(response):
    return {card.title for column in response.context["columns"] for card in column["cards"]}


class TestChoices:
    def test_a_director_chooses_among_every_team_and_manager(self, director, teams):
        assert [t.name for t in selectors.pipeline_filter_teams(user=director)] == ["North", "South"]
        owners = set(selectors.pipeline_filter_owners(user=director))
        assert {teams["north_member"], teams["south_member"], teams["lead"]} <= owners

    def test_a_team_leader_chooses_only_their_team_and_its_members(self, teams):
        lead = teams["lead"]
        assert list(selectors.pipeline_filter_teams(user=lead)) == [teams["north"]]
        assert set(selectors.pipeline_filter_owners(user=lead)) == {lead, teams["north_member"]}

    def test_a_manager_without_a_team_gets_no_team_or_owner_select(self, client_for, teams):
        page = client_for(teams["south_member"]).get(reverse("opportunities:board")).content.decode()
        assert 'data-testid="filter-team"' not in page and 'data-testid="filter-owner"' not in page

    def test_the_pages_offer_only_what_the_user_may_see(self, client_for, teams):
        for name in ("opportunities:board", "opportunities:list", "opportunities:forecast", "opportunities:analysis"):
            page = client_for(teams["lead"]).get(reverse(name)).content.decode()
            assert 'data-testid="filter-team"' in page and ">North</option>" in page, name
            assert ">South</option>" not in page and "south-member" not in page, name
            assert 'data-testid="filter-owner"' in page, name


class TestFiltering:
    def test_board_list_and_export_by_team(self, client_for, director, teams):
        client = client_for(director)
        north = teams["north"].pk
        assert _board_titles(client.get(reverse("opportunities:board"), {"team": north})) == {"Deal north", "Deal lead"}
        assert _titles(client.get(reverse("opportunities:list"), {"team": north})) == {"Deal north", "Deal lead"}
        south = client.get(reverse("opportunities:list"), {"team": teams["south"].pk})
        assert _titles(south) == {"Deal south"}
        export = client.get(reverse("opportunities:export", args=["csv"]), {"team": teams["south"].pk})
        body = _body(export)
        assert "Deal south" in body and "Deal north" not in body

    def test_team_and_owner_together(self, client_for, director, teams):
        response = client_for(director).get(
            reverse("opportunities:list"), {"team": teams["north"].pk, "owner": teams["lead"].pk}
        )
        assert _titles(response) == {"Deal lead"}

    def test_an_account_assigned_to_the_team_counts_as_the_teams(self, client_for, director, teams):
        outsider = UserFactory(role=Role.MANAGER)
        OpportunityFactory(
            account=AccountFactory(owner=outsider, team=teams["south"]), owner=outsider, title="Team account"
        )
        response = client_for(director).get(reverse("opportunities:list"), {"team": teams["south"].pk})
        assert _titles(response) == {"Deal south", "Team account"}

    def test_a_team_the_leader_may_not_choose_narrows_nothing_beyond_their_scope(self, client_for, teams):
        response = client_for(teams["lead"]).get(reverse("opportunities:list"), {"team": teams["south"].pk})
        assert response.status_code == 200
        assert _titles(response) == {"Deal north", "Deal lead"}  # the bad choice is left out

    def test_forecast_by_team_and_owner(self, client_for, director, teams):
        client = client_for(director)
        everything = client.get(reverse("opportunities:forecast"))
        assert everything.context["total_amount"] == Decimal("350000.00")
        north = client.get(reverse("opportunities:forecast"), {"team": teams["north"].pk})
        assert north.context["total_amount"] == Decimal("150000.00")
        # evaluation: 60 % of 150,000
        assert north.context["total_weighted"] == Decimal("90000.00")
        one = client.get(reverse("opportunities:forecast"), {"owner": teams["north_member"].pk})
        assert one.context["total_amount"] == Decimal("100000.00")
        export = client.get(reverse("opportunities:forecast"), {"team": teams["south"].pk, "export": "csv"})
        body = _body(export)
        assert "200000" in body and "100000" not in body
        assert (
            f"team={teams['south'].pk}"
            in client.get(reverse("opportunities:forecast"), {"team": teams["south"].pk}).content.decode()
        )

    def test_forecast_selector_sums_a_team(self, director, teams):
        rows = selectors.forecast_by_month(user=director, team=teams["south"])
        assert [(r["owner_id"], r["amount"]) for r in rows] == [(teams["south_member"].pk, Decimal("200000.00"))]

    def test_analysis_by_team(self, client_for, director, teams):
        from opportunities import services

        for key in ("north", "south"):
            services.opportunity_move(
                opportunity=teams["opps"][key], actor=director, stage=stage("won"), reason="relationship"
            )
        response = client_for(director).get(reverse("opportunities:analysis"), {"team": teams["north"].pk})
        assert response.context["totals"]["won_count"] == 1
        assert response.context["totals"]["won_amount"] == Decimal("100000.00")

    def test_the_api_filters_by_team_and_refuses_a_team_out_of_reach(self, api_for, director, teams):
        rows = api_for(director).get("/api/opportunities/", {"team": teams["south"].pk}).json()["results"]
        assert [r["title"] for r in rows] == ["Deal south"]
        refused = api_for(teams["lead"]).get("/api/opportunities/", {"team": teams["south"].pk})
        assert refused.status_code == 400
        assert "team" in str(refused.json()), refused.json()


class TestQueryCounts:
    @pytest.mark.parametrize("name", ["opportunities:board", "opportunities:list", "opportunities:forecast"])
    def test_filtered_pages_are_constant(self, name, client_for, director, teams, django_assert_max_num_queries):
        client = client_for(director)
        params = {"team": teams["north"].pk, "owner": teams["north_member"].pk}
        client.get(reverse(name), params)
        with django_assert_max_num_queries(40) as small:
            assert client.get(reverse(name), params).status_code == 200
        account = AccountFactory(owner=teams["north_member"])
        for index in range(25):
            OpportunityFactory(
                account=account,
                owner=teams["north_member"],
                stage=stage("decision" if index % 2 else "evaluation"),
                expected_close_on=CLOSE + datetime.timedelta(days=31 * (index % 3)),
            )
        with django_assert_max_num_queries(len(small.captured_queries)):
            response = client.get(reverse(name), params)
        assert response.status_code == 200
