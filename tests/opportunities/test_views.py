import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from opportunities.models import Opportunity, Quote
from tests.accounts.factories import AccountFactory, CompetitorFactory

from .factories import OpportunityFactory, QuoteFactory, QuoteLineFactory, stage

pytestmark = pytest.mark.django_db


def _many(owner, n, **kw):
    account = AccountFactory(owner=owner)
    return [OpportunityFactory(account=account, owner=owner, **kw) for _ in range(n)]


class TestPages:
    @pytest.mark.parametrize(
        "name",
        [
            "opportunities:board",
            "opportunities:list",
            "opportunities:forecast",
            "opportunities:analysis",
            "opportunities:quote_approvals",
            "opportunities:create",
        ],
    )
    def test_pages_render_in_both_languages(self, client_for, manager, name):
        _many(manager, 2)
        client = client_for(manager)
        for lang in ("en", "zh-hans"):
            response = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE=lang)
            assert response.status_code == 200, (name, lang)

    def test_the_detail_page_shows_gaps_and_durations(self, client_for, manager):
        opp = OpportunityFactory(account=AccountFactory(owner=manager))
        response = client_for(manager).get(opp.get_absolute_url())
        body = response.content.decode()
        assert response.status_code == 200
        assert 'data-testid="buying-centre-warning"' in body
        assert "Time in each stage" in body

    def test_a_won_deal_offers_to_reopen_into_an_open_stage_not_to_move(self, client_for, manager):
        won = OpportunityFactory(account=AccountFactory(owner=manager), stage=stage("won"))
        body = client_for(manager).get(won.get_absolute_url()).content.decode()
        form = body.split('id="move-stage"')[1].split("</select>")[0]
        assert 'data-testid="reopen"' in body and "Move to stage" not in body
        assert f'value="{stage("won").pk}"' not in form and f'value="{stage("lost").pk}"' not in form
        assert f'value="{stage("need").pk}"' in form
        # an open deal is moved on, and its own stage is not offered
        open_deal = OpportunityFactory(account=AccountFactory(owner=manager), stage=stage("need"))
        body = client_for(manager).get(open_deal.get_absolute_url()).content.decode()
        form = body.split('id="move-stage"')[1].split("</select>")[0]
        assert "Move to stage" in body and 'data-testid="reopen"' not in body
        assert f'value="{stage("need").pk}"' not in form and f'value="{stage("won").pk}"' in form

    def test_another_managers_opportunity_and_quote_are_404(self, client_for, manager, other_manager):
        opp = OpportunityFactory(account=AccountFactory(owner=other_manager))
        quote = QuoteFactory(opportunity=opp)
        client = client_for(manager)
        for url in (
            opp.get_absolute_url(),
            reverse("opportunities:edit", args=[opp.pk]),
            reverse("opportunities:move", args=[opp.pk]),
            reverse("opportunities:quote_create", args=[opp.pk]),
            quote.get_absolute_url(),
            reverse("opportunities:quote_accept", args=[quote.pk]),
        ):
            assert client.get(url).status_code == 404, url
        assert (
            client.post(reverse("opportunities:move", args=[opp.pk]), {"stage": stage("project").pk}).status_code == 404
        )
        opp.refresh_from_db()
        assert opp.stage.code == "need"

    def test_customer_service_cannot_open_the_board(self, client_for, service_agent):
        assert client_for(service_agent).get(reverse("opportunities:board")).status_code == 403


class TestQueryCounts:
    def test_the_list_is_constant(self, client_for, manager, django_assert_max_num_queries):
        _many(manager, 3)
        client = client_for(manager)
        client.get(reverse("opportunities:list"))
        with django_assert_max_num_queries(12) as small:
            client.get(reverse("opportunities:list"))
        _many(manager, 20, stage=stage("evaluation"))
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert client.get(reverse("opportunities:list")).status_code == 200

    def test_the_board_is_constant(self, client_for, manager, django_assert_max_num_queries):
        _many(manager, 2)
        client = client_for(manager)
        client.get(reverse("opportunities:board"))
        with django_assert_max_num_queries(30) as small:
            client.get(reverse("opportunities:board"))
        _many(manager, 15, stage=stage("evaluation"))
        _many(manager, 15, stage=stage("decision"))
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert client.get(reverse("opportunities:board")).status_code == 200

    def test_the_api_list_is_constant(self, api_for, manager, django_assert_max_num_queries):
        _many(manager, 2)
        api = api_for(manager)
        api.get("/api/opportunities/")
        with django_assert_max_num_queries(10) as small:
            api.get("/api/opportunities/")
        _many(manager, 20)
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert api.get("/api/opportunities/").status_code == 200

    def test_the_quote_api_list_is_constant(self, api_for, manager, django_assert_max_num_queries):
        opp = OpportunityFactory(account=AccountFactory(owner=manager))
        QuoteLineFactory(quote=QuoteFactory(opportunity=opp))
        api = api_for(manager)
        api.get("/api/quotes/")
        with django_assert_max_num_queries(10) as small:
            api.get("/api/quotes/")
        for _ in range(10):
            QuoteLineFactory(quote=QuoteFactory(opportunity=opp))
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert api.get("/api/quotes/").status_code == 200


class TestBoardMoves:
    def test_an_htmx_move_saves_and_answers_the_board(self, client_for, manager):
        opp = OpportunityFactory(account=AccountFactory(owner=manager))
        response = client_for(manager).post(
            reverse("opportunities:move", args=[opp.pk]),
            {"stage": stage("evaluation").pk, "version": opp.version, "from": "board"},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200
        assert 'id="board"' in response.content.decode()
        opp.refresh_from_db()
        assert opp.stage.code == "evaluation" and opp.probability == 60

    def test_an_htmx_move_to_lost_asks_for_the_reason(self, client_for, manager):
        opp = OpportunityFactory(account=AccountFactory(owner=manager))
        response = client_for(manager).post(
            reverse("opportunities:move", args=[opp.pk]),
            {"stage": stage("lost").pk, "from": "board"},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 204
        assert "?stage=" in response["HX-Redirect"]
        opp.refresh_from_db()
        assert opp.stage.code == "need"

    def test_the_move_form_closes_with_reason_and_competitor(self, client_for, manager):
        opp = OpportunityFactory(account=AccountFactory(owner=manager))
        rival = CompetitorFactory()
        client = client_for(manager)
        response = client.post(
            reverse("opportunities:move", args=[opp.pk]), {"stage": stage("lost").pk, "reason": "price"}
        )
        assert "Name the competitor who won" in response.content.decode()
        response = client.post(
            reverse("opportunities:move", args=[opp.pk]),
            {"stage": stage("lost").pk, "reason": "price", "lost_to": rival.pk},
        )
        assert response.status_code == 302
        opp.refresh_from_db()
        assert opp.stage.code == "lost" and opp.lost_to == rival

    def test_a_stale_board_move_is_refused_on_the_board(self, client_for, manager):
        opp = OpportunityFactory(account=AccountFactory(owner=manager))
        Opportunity.objects.filter(pk=opp.pk).update(version=5)
        response = client_for(manager).post(
            reverse("opportunities:move", args=[opp.pk]),
            {"stage": stage("evaluation").pk, "version": 1, "from": "board"},
            HTTP_HX_REQUEST="true",
        )
        assert "Someone else changed this record" in response.content.decode()


class TestQuotePages:
    def test_create_a_quote_from_the_form(self, client_for, manager):
        opp = OpportunityFactory(account=AccountFactory(owner=manager))
        data = {
            "valid_until": (timezone.localdate() + datetime.timedelta(days=20)).isoformat(),
            "lines-TOTAL_FORMS": "3",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product": "Switch",
            "lines-0-quantity": "2",
            "lines-0-unit_price": "100.10",
            "lines-0-discount_percent": "10",
        }
        response = client_for(manager).post(reverse("opportunities:quote_create", args=[opp.pk]), data)
        assert response.status_code == 302
        quote = Quote.objects.get(opportunity=opp)
        assert quote.total == Decimal("180.18")

    def test_accept_drafts_the_contract(self, client_for, manager):
        opp = OpportunityFactory(account=AccountFactory(owner=manager))
        quote = QuoteFactory(opportunity=opp, status=Quote.Status.SENT, total=Decimal("5000.00"))
        today = timezone.localdate()
        response = client_for(manager).post(
            reverse("opportunities:quote_accept", args=[quote.pk]),
            {"start_on": today.isoformat(), "end_on": (today + datetime.timedelta(days=365)).isoformat(), "version": 1},
        )
        quote.refresh_from_db()
        assert response.status_code == 302 and response["Location"] == quote.contract.get_absolute_url()
        assert quote.contract.value == Decimal("5000.00")


class TestApi:
    def test_create_move_and_filter(self, api_for, manager):
        account = AccountFactory(owner=manager)
        api = api_for(manager)
        response = api.post(
            "/api/opportunities/",
            {"account": account.pk, "title": "API deal", "amount": "1000.00", "expected_close_on": "2027-01-01"},
            format="json",
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["probability"] == 10 and body["stage"] == stage("need").pk
        response = api.post(f"/api/opportunities/{body['id']}/move/", {"stage": stage("won").pk}, format="json")
        assert response.status_code == 400
        assert response.json()["fields"]["reason"]
        response = api.post(
            f"/api/opportunities/{body['id']}/move/", {"stage": stage("won").pk, "reason": "price"}, format="json"
        )
        assert response.status_code == 200 and response.json()["probability"] == 100
        assert api.get("/api/opportunities/", {"outcome": "won"}).json()["results"][0]["id"] == body["id"]
        assert api.get("/api/opportunities/", {"outcome": "open"}).json()["results"] == []

    def test_quotes_api_computes_the_total(self, api_for, manager):
        opp = OpportunityFactory(account=AccountFactory(owner=manager))
        api = api_for(manager)
        response = api.post(
            "/api/quotes/",
            {
                "opportunity": opp.pk,
                "valid_until": (timezone.localdate() + datetime.timedelta(days=5)).isoformat(),
                "lines": [{"product": "A", "quantity": "1.5", "unit_price": "333.33", "discount_percent": "0"}],
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        assert response.json()["total"] == "500.00"
        assert api.get("/api/quotes/", {"opportunity": opp.pk}).json()["results"][0]["total"] == "500.00"

    def test_another_managers_opportunity_is_404_in_the_api(self, api_for, manager, other_manager):
        opp = OpportunityFactory(account=AccountFactory(owner=other_manager))
        api = api_for(manager)
        assert api.get(f"/api/opportunities/{opp.pk}/").status_code == 404
        assert (
            api.post(f"/api/opportunities/{opp.pk}/move/", {"stage": stage("project").pk}, format="json").status_code
            == 404
        )


class TestQuoteApi:
    def test_submit_decide_and_accept(self, api_for, manager, director, settings):
        settings.OPPORTUNITIES_DISCOUNT_LIMIT_PERCENT = "5"
        opp = OpportunityFactory(account=AccountFactory(owner=manager))
        mine = api_for(manager)
        created = mine.post(
            "/api/quotes/",
            {
                "opportunity": opp.pk,
                "valid_until": (timezone.localdate() + datetime.timedelta(days=5)).isoformat(),
                "lines": [{"product": "A", "quantity": "2", "unit_price": "100.00", "discount_percent": "12.5"}],
            },
            format="json",
        ).json()
        assert created["total"] == "175.00"
        body = mine.post(f"/api/quotes/{created['id']}/submit/", {"version": created["version"]}, format="json").json()
        assert body["status"] == "pending"
        refused = mine.post(f"/api/quotes/{created['id']}/decide/", {"approve": True}, format="json")
        assert refused.status_code == 403
        approved = api_for(director).post(f"/api/quotes/{created['id']}/decide/", {"approve": True}, format="json")
        assert approved.status_code == 200 and approved.json()["status"] == "approved"
        today = timezone.localdate()
        accepted = mine.post(
            f"/api/quotes/{created['id']}/accept/",
            {"start_on": today.isoformat(), "end_on": (today + datetime.timedelta(days=90)).isoformat()},
            format="json",
        )
        assert accepted.status_code == 200, accepted.content
        assert accepted.json()["status"] == "accepted" and accepted.json()["contract"]

    def test_a_stale_submit_answers_409(self, api_for, manager):
        opp = OpportunityFactory(account=AccountFactory(owner=manager))
        quote = QuoteFactory(opportunity=opp)
        QuoteLineFactory(quote=quote)
        response = api_for(manager).post(f"/api/quotes/{quote.pk}/submit/", {"version": 9}, format="json")
        assert response.status_code == 409 and response.json()["code"] == "stale"

    @pytest.mark.parametrize("body", [[None, None], {"version": "x"}, "text"])
    def test_a_malformed_action_body_is_a_400_and_changes_nothing(self, api_for, manager, body):
        quote = QuoteFactory(opportunity=OpportunityFactory(account=AccountFactory(owner=manager)))
        QuoteLineFactory(quote=quote)
        for action in ("submit", "send", "decline"):
            response = api_for(manager).post(f"/api/quotes/{quote.pk}/{action}/", body, format="json")
            assert response.status_code == 400, (action, response.content)
        quote.refresh_from_db()
        assert quote.status == Quote.Status.DRAFT

    def test_another_managers_quote_is_404_for_every_action(self, api_for, manager, other_manager):
        quote = QuoteFactory(opportunity=OpportunityFactory(account=AccountFactory(owner=other_manager)))
        api = api_for(manager)
        for action in ("submit", "decide", "send", "decline", "revise", "accept"):
            assert api.post(f"/api/quotes/{quote.pk}/{action}/", {}, format="json").status_code == 404, action


class TestAdmin:
    def test_admin_creates_through_the_service(self, client_for, admin_user):
        account = AccountFactory()
        response = client_for(admin_user).post(
            "/admin/opportunities/opportunity/add/",
            {
                "account": account.pk,
                "title": "From admin",
                "stage": stage("project").pk,
                "amount": "500.00",
                "expected_close_on": "2027-03-01",
                "contact_roles-TOTAL_FORMS": "0",
                "contact_roles-INITIAL_FORMS": "0",
                "stage_changes-TOTAL_FORMS": "0",
                "stage_changes-INITIAL_FORMS": "0",
            },
        )
        assert response.status_code == 302, (response.context["adminform"].form.errors, response.context["errors"])
        opp = Opportunity.objects.get(title="From admin")
        assert opp.probability == 20 and opp.stage_changes.count() == 1 and opp.created_by == admin_user

    def test_admin_pages_and_history_render(self, client_for, admin_user):
        opp = OpportunityFactory()
        quote = QuoteFactory(opportunity=opp)
        QuoteLineFactory(quote=quote)
        client = client_for(admin_user)
        for url in (
            "/admin/opportunities/opportunity/",
            f"/admin/opportunities/opportunity/{opp.pk}/change/",
            f"/admin/opportunities/opportunity/{opp.pk}/history/",
            "/admin/opportunities/quote/",
            f"/admin/opportunities/quote/{quote.pk}/change/",
            "/admin/opportunities/stage/",
            f"/admin/opportunities/stage/{opp.stage_id}/change/",
            "/admin/opportunities/stagechange/",
            "/admin/opportunities/opportunitycontact/",
            "/admin/opportunities/quoteline/",
        ):
            assert client.get(url).status_code == 200, url

    def test_admin_edit_goes_through_the_service_with_the_version(self, client_for, admin_user):
        from tests.security.test_admin_writes import change_url, form_data

        opp = OpportunityFactory(title="Old")
        change = opp.stage_changes.get()
        inlines = {
            "contact_roles-TOTAL_FORMS": "0",
            "contact_roles-INITIAL_FORMS": "0",
            "stage_changes-TOTAL_FORMS": "1",
            "stage_changes-INITIAL_FORMS": "1",
            "stage_changes-0-id": str(change.pk),
            "stage_changes-0-opportunity": str(opp.pk),
        }
        client = client_for(admin_user)
        response = client.post(change_url(opp), {**form_data(admin_user, opp, title="New"), **inlines})
        assert response.status_code == 302, response.context["errors"]
        opp.refresh_from_db()
        assert opp.title == "New" and opp.version == 2
        stale = {**form_data(admin_user, opp, title="Mine"), **inlines}
        Opportunity.objects.filter(pk=opp.pk).update(version=9)
        response = client.post(change_url(opp), stale, follow=True)
        assert "Someone else changed this record" in response.content.decode()
        opp.refresh_from_db()
        assert opp.title == "New"
