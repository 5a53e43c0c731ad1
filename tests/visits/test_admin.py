import datetime

import pytest
from django.utils import timezone

from accounts.models import AccountEvent
from tests.accounts.factories import AccountFactory
from visits.models import Callback, Visit

from .factories import CallbackFactory, FollowUpFactory, VisitFactory

pytestmark = pytest.mark.django_db


class TestAdmin:
    @pytest.mark.parametrize("model", ["visit", "callback", "note", "followup", "coveragetarget", "calendarfeed"])
    def test_changelists_render(self, client_for, admin_user, model):
        VisitFactory()
        CallbackFactory()
        FollowUpFactory()
        assert client_for(admin_user).get(f"/admin/visits/{model}/").status_code == 200

    def test_adding_a_callback_goes_through_the_service(self, client_for, admin_user):
        account = AccountFactory()
        at = timezone.localtime() - datetime.timedelta(hours=1)
        response = client_for(admin_user).post(
            "/admin/visits/callback/add/",
            {
                "account": account.pk,
                "kind": "callback",
                "channel": "phone",
                "occurred_at_0": at.strftime("%Y-%m-%d"),
                "occurred_at_1": at.strftime("%H:%M:%S"),
                "summary": "Line is down",
                "problem_raised": "on",
                "problem": "",
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        callback = Callback.objects.get()
        assert callback.created_by == admin_user and callback.problem_status == "handed_over"
        assert callback.service_request.subject == "Line is down"  # the problem became a request
        assert AccountEvent.objects.filter(account=account, kind="callback.logged").exists()

    def test_adding_a_visit_goes_through_the_service(self, client_for, admin_user):
        account = AccountFactory()
        start = timezone.localtime() + datetime.timedelta(days=1)
        response = client_for(admin_user).post(
            "/admin/visits/visit/add/",
            {
                "account": account.pk,
                "owner": account.owner.pk,
                "kind": "on_site",
                "purpose": "Review",
                "planned_start_0": start.strftime("%Y-%m-%d"),
                "planned_start_1": "10:00:00",
                "planned_end_0": start.strftime("%Y-%m-%d"),
                "planned_end_1": "11:00:00",
                "materials_cost": "0",
            },
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        visit = Visit.objects.get()
        assert visit.created_by == admin_user
        assert AccountEvent.objects.filter(account=account, kind="visit.planned").count() == 1

    def test_history_is_kept(self, client_for, admin_user):
        visit = VisitFactory()
        assert client_for(admin_user).get(f"/admin/visits/visit/{visit.pk}/history/").status_code == 200
