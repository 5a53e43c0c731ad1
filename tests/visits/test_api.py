import datetime

import pytest
from django.utils import timezone

from tests.accounts.factories import AccountFactory, ContactFactory
from visits.models import Callback, FollowUp, Visit

from .factories import CallbackFactory, FollowUpFactory, VisitFactory

pytestmark = pytest.mark.django_db


class TestVisitsApi:
    def test_create_filter_and_move(self, api_for, manager):
        account = AccountFactory(owner=manager)
        contact = ContactFactory(account=account)
        client = api_for(manager)
        start = (timezone.now() - datetime.timedelta(hours=3)).isoformat()
        response = client.post(
            "/api/visits/",
            {"account": account.pk, "purpose": "Review", "planned_start": start, "contacts": [contact.pk]},
            format="json",
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["status"] == "planned" and body["owner"] == manager.pk and body["contacts"] == [contact.pk]
        pk = body["id"]
        assert client.get(f"/api/visits/?account={account.pk}&status=planned&count=true").json()["count"] == 1
        assert client.get("/api/visits/?status=done&count=true").json()["count"] == 0
        response = client.post(f"/api/visits/{pk}/status/", {"status": "confirmed"}, format="json")
        assert response.status_code == 200 and response.json()["status"] == "confirmed"
        response = client.post(f"/api/visits/{pk}/status/", {"status": "done"}, format="json")
        assert response.status_code == 400
        assert "Say what came out of the visit" in str(response.json())
        response = client.post(
            f"/api/visits/{pk}/status/", {"status": "done", "outcome": "Signed", "satisfaction": 5}, format="json"
        )
        assert response.status_code == 200 and response.json()["status"] == "done"
        response = client.post(f"/api/visits/{pk}/status/", {"status": "cancelled", "reason": "x"}, format="json")
        assert response.status_code == 400
        assert "A visit that is done cannot become cancelled" in str(response.json())

    def test_date_range_filter_uses_local_days(self, api_for, manager):
        import zoneinfo

        sh = zoneinfo.ZoneInfo("Asia/Shanghai")
        account = AccountFactory(owner=manager)
        VisitFactory(account=account, planned_start=datetime.datetime(2026, 6, 1, 0, 30, tzinfo=sh))
        client = api_for(manager)
        assert client.get("/api/visits/?date_from=2026-06-01&date_to=2026-06-01&count=true").json()["count"] == 1
        assert client.get("/api/visits/?date_to=2026-05-31&count=true").json()["count"] == 0

    def test_update_needs_the_version_and_refuses_a_stale_one(self, api_for, manager):
        visit = VisitFactory(account=AccountFactory(owner=manager))
        client = api_for(manager)
        response = client.patch(f"/api/visits/{visit.pk}/", {"purpose": "New", "version": visit.version}, format="json")
        assert response.status_code == 200 and response.json()["version"] == visit.version + 1
        response = client.patch(f"/api/visits/{visit.pk}/", {"purpose": "Old", "version": visit.version}, format="json")
        assert response.status_code == 409

    def test_another_managers_visit_answers_404_and_cannot_be_created(self, api_for, manager, other_manager):
        theirs = VisitFactory(account=AccountFactory(owner=other_manager))
        client = api_for(manager)
        assert client.get(f"/api/visits/{theirs.pk}/").status_code == 404
        assert (
            client.post(f"/api/visits/{theirs.pk}/status/", {"status": "confirmed"}, format="json").status_code == 404
        )
        response = client.post(
            "/api/visits/",
            {"account": theirs.account_id, "purpose": "x", "planned_start": timezone.now().isoformat()},
            format="json",
        )
        assert response.status_code == 400 and "account" in response.json()["fields"]

    def test_finance_has_no_access(self, api_for, finance_user):
        assert api_for(finance_user).get("/api/visits/").status_code == 403

    def test_list_query_count_is_constant(self, api_for, manager, django_assert_max_num_queries):
        client = api_for(manager)
        account = AccountFactory(owner=manager)
        VisitFactory.create_batch(2, account=account)
        with django_assert_max_num_queries(20) as few:
            client.get("/api/visits/?count=true")
        VisitFactory.create_batch(20, account=account)
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert client.get("/api/visits/?count=true").json()["count"] == 22


class TestCallbacksApi:
    def test_log_and_resolve(self, api_for, service_agent, manager):
        account = AccountFactory(owner=manager)
        client = api_for(service_agent)
        response = client.post(
            "/api/callbacks/",
            {"account": account.pk, "summary": "Outage", "problem_raised": True, "satisfaction": 2},
            format="json",
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["problem_status"] == "handed_over" and body["created_by"] == service_agent.pk
        request_id = Callback.objects.get(pk=body["id"]).service_request_id
        assert request_id and body["service_request"] == request_id
        assert client.get("/api/callbacks/?problem=open&count=true").json()["count"] == 1
        assert client.get(f"/api/callbacks/?owner={service_agent.pk}&count=true").json()["count"] == 1
        handed_over = client.post(f"/api/callbacks/{body['id']}/resolve/")
        assert handed_over.status_code == 400 and "handed over as service request" in handed_over.json()["detail"]
        # a problem kept on the callback itself (recorded before service requests took them) resolves here
        kept = CallbackFactory(account=account, problem_raised=True, problem="x", problem_status="open")
        response = client.post(f"/api/callbacks/{kept.pk}/resolve/")
        assert response.status_code == 200 and response.json()["problem_status"] == "resolved"
        assert client.post(f"/api/callbacks/{kept.pk}/resolve/").status_code == 400

    def test_future_time_is_a_400_with_the_field(self, api_for, service_agent):
        response = api_for(service_agent).post(
            "/api/callbacks/",
            {
                "account": AccountFactory().pk,
                "summary": "x",
                "occurred_at": (timezone.now() + datetime.timedelta(days=1)).isoformat(),
            },
            format="json",
        )
        assert response.status_code == 400 and "occurred_at" in response.json()["fields"]
        assert not Callback.objects.exists()

    def test_another_managers_callback_answers_404(self, api_for, manager, other_manager):
        theirs = CallbackFactory(account=AccountFactory(owner=other_manager))
        assert api_for(manager).get(f"/api/callbacks/{theirs.pk}/").status_code == 404
        assert api_for(manager).get("/api/callbacks/?count=true").json()["count"] == 0

    def test_list_query_count_is_constant(self, api_for, director, django_assert_max_num_queries):
        client = api_for(director)
        CallbackFactory.create_batch(2)
        with django_assert_max_num_queries(20) as few:
            client.get("/api/callbacks/?count=true")
        CallbackFactory.create_batch(15, contact=None)
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert client.get("/api/callbacks/?count=true").json()["count"] == 17


class TestFollowUpsApi:
    def test_create_filter_and_close(self, api_for, manager):
        account = AccountFactory(owner=manager)
        client = api_for(manager)
        due = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
        response = client.post(
            "/api/follow-ups/", {"account": account.pk, "title": "Quote", "due_on": due}, format="json"
        )
        assert response.status_code == 201 and response.json()["assignee"] == manager.pk
        pk = response.json()["id"]
        assert client.get("/api/follow-ups/?status=overdue&count=true").json()["count"] == 1
        assert client.get(f"/api/follow-ups/?owner={manager.pk}&status=open&count=true").json()["count"] == 1
        assert client.post(f"/api/follow-ups/{pk}/done/").status_code == 200
        assert client.get("/api/follow-ups/?status=done&count=true").json()["count"] == 1
        assert FollowUp.objects.get(pk=pk).done_by == manager

    def test_another_managers_follow_up_answers_404(self, api_for, manager, other_manager):
        theirs = FollowUpFactory(account=AccountFactory(owner=other_manager))
        client = api_for(manager)
        assert client.get(f"/api/follow-ups/{theirs.pk}/").status_code == 404
        assert client.post(f"/api/follow-ups/{theirs.pk}/done/").status_code == 404

    def test_list_query_count_is_constant(self, api_for, manager, django_assert_max_num_queries):
        client = api_for(manager)
        account = AccountFactory(owner=manager)
        FollowUpFactory.create_batch(2, account=account)
        with django_assert_max_num_queries(20) as few:
            client.get("/api/follow-ups/?count=true")
        FollowUpFactory.create_batch(15, account=account)
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert client.get("/api/follow-ups/?count=true").json()["count"] == 17
        assert Visit.objects.count() == 0
