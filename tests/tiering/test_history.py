"""Who moves at a recompute: the job page lists the accounts, the matrix cells lead to them,
and the tier history filters by recompute, direction, tiers and days."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.accounts.factories import AccountFactory
from tests.tiering.factories import RecomputeJobFactory, TierChangeFactory
from tiering.models import RecomputeJob
from tiering.services import tiers_recompute

from .test_views import seed

pytestmark = pytest.mark.django_db


def names(response):
    return [c.account.name for c in response.context["page"].object_list]


def test_history_filters_by_job_direction_tiers_and_days(client_for, director):
    job = RecomputeJobFactory()
    up = TierChangeFactory(account=AccountFactory(name="Up"), job=job, previous_tier="small", new_tier="vip")
    down = TierChangeFactory(account=AccountFactory(name="Down"), job=job, previous_tier="vip", new_tier="regular")
    old = TierChangeFactory(
        account=AccountFactory(name="Old"),
        previous_tier="regular",
        new_tier="vip",
        at=timezone.now() - datetime.timedelta(days=40),
    )
    client = client_for(director)
    url = reverse("tiering:changes")
    assert set(names(client.get(url))) == {"Up", "Down", "Old"}
    assert set(names(client.get(url, {"job": job.pk}))) == {"Up", "Down"}
    assert names(client.get(url, {"direction": "down"})) == ["Down"]
    assert set(names(client.get(url, {"direction": "up"}))) == {"Up", "Old"}
    assert names(client.get(url, {"previous": "small", "tier": "vip"})) == ["Up"]
    day = timezone.localtime(old.at).date()
    assert names(client.get(url, {"since": day.isoformat(), "until": day.isoformat()})) == ["Old"]
    assert set(names(client.get(url, {"since": (day + datetime.timedelta(days=1)).isoformat()}))) == {"Up", "Down"}
    response = client.get(url, {"job": job.pk, "direction": "up"})
    assert names(response) == ["Up"] and response.context["querystring"] == f"job={job.pk}&direction=up"
    assert up.pk and down.pk


def test_history_filters_keep_to_what_a_manager_sees(client_for, manager, other_manager):
    job = RecomputeJobFactory()
    TierChangeFactory(account=AccountFactory(owner=manager, name="Mine"), job=job)
    TierChangeFactory(account=AccountFactory(owner=other_manager, name="Theirs"), job=job)
    assert names(client_for(manager).get(reverse("tiering:changes"), {"job": job.pk})) == ["Mine"]


def test_bad_filters_are_shown_not_crashed_on(client_for, director):
    response = client_for(director).get(reverse("tiering:changes"), {"since": "30/11/2026", "job": "x"})
    assert response.status_code == 200 and response.context["form"].errors


def test_job_page_lists_who_moved_with_reasons_and_matrix_cells_link_to_them(client_for, director):
    accounts = seed(director, 10)
    job = tiers_recompute(actor=director)
    assert job.status == RecomputeJob.Status.DONE and job.counts["changed"] > 0
    body = client_for(director).get(reverse("tiering:job", args=[job.pk])).content.decode()
    assert 'data-testid="job-moves"' in body and accounts[0].name in body and "revenue" in body.lower()
    cell = f"{reverse('tiering:changes')}?job={job.pk}&amp;previous=small&amp;tier=vip"
    assert cell in body
    overview = client_for(director).get(reverse("tiering:overview")).content.decode()
    assert cell in overview


def test_a_dry_run_matrix_has_no_links_to_rows_it_never_wrote(client_for, director):
    seed(director, 5)
    job = tiers_recompute(actor=director, dry_run=True)
    body = client_for(director).get(reverse("tiering:job", args=[job.pk])).content.decode()
    assert f"?job={job.pk}&amp;previous" not in body and 'data-testid="job-moves"' not in body
