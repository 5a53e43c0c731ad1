"""Pages: overview, RFM, ABC (+CSV), history, recompute buttons, job status, pins."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, Tier
from tests.accounts.factories import AccountFactory, TransactionFactory
from tests.tiering.factories import RecomputeJobFactory
from tiering import tasks
from tiering.models import RecomputeJob, TierOverride
from tiering.services import tiers_recompute

pytestmark = pytest.mark.django_db


def seed(owner, n, start=100):
    accounts = []
    for i in range(n):
        account = AccountFactory(owner=owner, name=f"Seed {owner.username} {i}")
        TransactionFactory(
            account=account,
            amount=Decimal(start * (n - i)),
            occurred_at=timezone.now() - datetime.timedelta(days=i + 1),
        )
        accounts.append(account)
    return accounts


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("tiering:overview"))
    assert response.status_code == 302 and "login" in response["Location"] or "auth" in response["Location"]


def test_overview_empty_state(client_for, director):
    response = client_for(director).get(reverse("tiering:overview"))
    assert response.status_code == 200
    assert "No accounts yet" in response.content.decode()


def test_overview_shows_tiers_chart_and_matrix(client_for, director):
    seed(director, 10)
    tiers_recompute()
    html = client_for(director).get(reverse("tiering:overview")).content.decode()
    assert 'id="pareto-chart"' in html and 'id="pareto-data"' in html
    assert "chartjs/chart.umd.min.js" in html
    assert "movement-matrix" in html
    assert 'data-testid="recompute-now"' in html and 'data-testid="dry-run"' in html


def test_manager_sees_no_recompute_buttons_and_may_not_start_one(client_for, manager):
    seed(manager, 3)
    client = client_for(manager)
    html = client.get(reverse("tiering:overview")).content.decode()
    assert 'data-testid="recompute-now"' not in html
    assert client.post(reverse("tiering:recompute")).status_code == 403
    assert not RecomputeJob.objects.exists()


def test_recompute_button_starts_a_job_and_job_fragment_polls(
    client_for, admin_user, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(tasks.run_recompute_job, "delay", lambda job_id: sent.append(job_id))
    client = client_for(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("tiering:recompute"), {"dry_run": "on"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    job = RecomputeJob.objects.get()
    assert sent == [job.pk] and job.dry_run
    assert 'hx-trigger="every 1s"' in response.content.decode()
    tasks.run_recompute_job(job.pk)
    fragment = client.get(reverse("tiering:job", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "every 1s" not in fragment and 'data-status="done"' in fragment
    assert "Dry run: nothing was written." in fragment
    page = client.get(reverse("tiering:job", args=[job.pk]))
    assert page.status_code == 200 and "<html" in page.content.decode()


def test_recompute_without_htmx_redirects_to_the_job(client_for, director):
    response = client_for(director).post(reverse("tiering:recompute"))
    job = RecomputeJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("tiering:job", args=[job.pk])


def test_rfm_page(client_for, director):
    seed(director, 6)
    tiers_recompute()
    html = client_for(director).get(reverse("tiering:rfm")).content.decode()
    assert "rfm-grid" in html and "Loyal" in html and "Hibernating" in html


def test_rfm_page_empty(client_for, manager):
    assert "No scores yet" in client_for(manager).get(reverse("tiering:rfm")).content.decode()


def test_abc_list_search_filter_and_scope(client_for, manager, other_manager):
    seed(manager, 5)
    seed(other_manager, 5)
    tiers_recompute()
    client = client_for(manager)
    html = client.get(reverse("tiering:abc")).content.decode()
    assert "Seed manager-t 0" in html and "Seed manager-other" not in html
    html = client.get(reverse("tiering:abc"), {"q": "manager-t 3"}).content.decode()
    assert "Seed manager-t 3" in html and "Seed manager-t 1" not in html
    response = client.get(reverse("tiering:abc"), {"abc": "A"})
    html = response.content.decode()
    assert "Seed manager-t 0" in html and "Seed manager-t 4" not in html
    # the count of one class comes from the summary: the same as counting the rows
    class_a = Account.objects.filter(owner=manager, abc_class="A").count()
    assert response.context["page"].paginator.count == class_a == len(response.context["page"].object_list)


def test_abc_csv_export_is_scoped(client_for, manager, other_manager):
    seed(manager, 3)
    seed(other_manager, 2)
    tiers_recompute()
    response = client_for(manager).get(reverse("tiering:abc"), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 4 and lines[0].startswith("Account no.,Name,ABC class")
    assert "manager-other" not in response.content.decode()


def test_abc_list_query_count_is_constant(client_for, director, django_assert_max_num_queries):
    seed(director, 5)
    tiers_recompute()
    client = client_for(director)
    client.get(reverse("tiering:abc"))  # warm the session/role cache paths
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("tiering:abc"))
    seed(director, 40, start=7)
    tiers_recompute(now=timezone.now() + datetime.timedelta(seconds=1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("tiering:abc"))


def test_history_page_query_count_is_constant(client_for, director, django_assert_max_num_queries):
    seed(director, 4)
    tiers_recompute()
    client = client_for(director)
    with django_assert_max_num_queries(20) as few:
        assert "Tier history" in client.get(reverse("tiering:changes")).content.decode()
    seed(director, 30, start=1000)
    tiers_recompute(now=timezone.now() + datetime.timedelta(seconds=1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("tiering:changes"))


def test_director_pins_a_tier_with_the_form(client_for, director):
    account = AccountFactory()
    client = client_for(director)
    url = reverse("tiering:override", args=[account.pk])
    assert client.get(url).status_code == 200
    ends = (timezone.localdate() + datetime.timedelta(days=10)).isoformat()
    response = client.post(url, {"tier": "vip", "ends_on": ends, "reason": "Strategic pilot"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.tier == Tier.VIP
    override = TierOverride.objects.get(account=account, active=True)
    assert override.created_by == director
    html = client.get(url).content.decode()
    assert "Strategic pilot" in html and 'data-testid="end-pin"' in html
    client.post(reverse("tiering:override-clear", args=[override.pk]))
    override.refresh_from_db()
    assert not override.active


def test_pin_form_errors_change_nothing(client_for, director):
    account = AccountFactory()
    past = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    response = client_for(director).post(
        reverse("tiering:override", args=[account.pk]), {"tier": "vip", "ends_on": past, "reason": ""}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The end date cannot be in the past." in html and "This field is required." in html
    assert Account.objects.get(pk=account.pk).tier == Tier.SMALL
    assert not TierOverride.objects.exists()


def test_manager_cannot_pin(client_for, manager):
    account = AccountFactory(owner=manager)
    assert client_for(manager).get(reverse("tiering:override", args=[account.pk])).status_code == 403


def test_job_page_is_for_admins_and_directors(client_for, manager):
    job = RecomputeJobFactory()
    assert client_for(manager).get(reverse("tiering:job", args=[job.pk])).status_code == 403


def test_client_for_fixture_signs_in(client_for, director):
    """The shared fixture signs in although axes' backend comes first."""
    response = client_for(director).get(reverse("tiering:overview"))
    assert response.status_code == 200
