"""REST API: tier changes, the policy, background recomputes."""

import pytest
from django.utils import timezone

from tests.accounts.factories import AccountFactory
from tests.tiering.factories import RecomputeJobFactory, TierChangeFactory
from tiering import tasks
from tiering.models import RecomputeJob

pytestmark = pytest.mark.django_db


def test_tier_changes_list_is_scoped_and_filterable(api_for, manager, other_manager, director):
    mine = AccountFactory(owner=manager)
    TierChangeFactory(account=mine, new_tier="vip")
    TierChangeFactory(account=mine, previous_tier="vip", new_tier="regular")
    TierChangeFactory(account=AccountFactory(owner=other_manager))
    body = api_for(manager).get("/api/tier-changes/", {"count": "true"}).json()
    assert body["count"] == 2
    assert {r["account"] for r in body["results"]} == {mine.pk}
    assert body["results"][0]["reason_text"].startswith("Rank 1 of 10; 12-month revenue ¥1,204,000.00")
    assert api_for(director).get("/api/tier-changes/?count=true").json()["count"] == 3
    vip_only = api_for(manager).get("/api/tier-changes/", {"tier": "vip"}).json()
    assert [r["new_tier"] for r in vip_only["results"]] == ["vip"]
    assert api_for(director).get("/api/tier-changes/", {"account": mine.pk, "count": 1}).json()["count"] == 2
    assert api_for(manager).get("/api/tier-changes/", {"tier": "gold"}).status_code == 400


def test_another_managers_tier_change_is_404(api_for, manager, other_manager):
    theirs = TierChangeFactory(account=AccountFactory(owner=other_manager))
    assert api_for(manager).get(f"/api/tier-changes/{theirs.pk}/").status_code == 404
    assert api_for(other_manager).get(f"/api/tier-changes/{theirs.pk}/").status_code == 200


def test_tier_changes_list_query_count_is_constant(api_for, director, django_assert_max_num_queries):
    for _ in range(3):
        TierChangeFactory()
    client = api_for(director)
    with django_assert_max_num_queries(10) as few:
        client.get("/api/tier-changes/?count=true")
    for _ in range(20):
        TierChangeFactory()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/api/tier-changes/?count=true").json()["count"] == 23


def test_tier_policy_is_readable_not_writable(api_for, manager):
    client = api_for(manager)
    body = client.get("/api/tier-policy/").json()
    assert body["method"] == "revenue_rank" and body["vip_percent"] == "20.00"
    assert [b["tier"] for b in body["benefits"]] == ["vip", "regular", "small"]
    assert body["benefits"][0]["response_hours"] == 2
    assert client.post("/api/tier-policy/", {}).status_code == 405


def test_anonymous_is_refused(api_client):
    assert api_client.get("/api/tier-changes/").status_code in (401, 403)
    assert api_client.post("/api/tiering/recompute/", {}).status_code in (401, 403)


@pytest.mark.parametrize("role_fixture", ["manager", "service_agent", "finance_user"])
def test_only_admins_and_directors_may_recompute(api_for, request, role_fixture):
    user = request.getfixturevalue(role_fixture)
    response = api_for(user).post("/api/tiering/recompute/", {"dry_run": True}, format="json")
    assert response.status_code == 403
    assert not RecomputeJob.objects.exists()
    job = RecomputeJobFactory()
    assert api_for(user).get(f"/api/tiering/recompute/{job.pk}/").status_code == 403


def test_director_starts_a_dry_run_and_reads_its_status(
    api_for, director, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(tasks.run_recompute_job, "apply_async", lambda args=(), **kw: sent.append(args[0]))
    client = api_for(director)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/tiering/recompute/", {"dry_run": True}, format="json")
    assert response.status_code == 202
    job_id = response.json()["id"]
    assert sent == [job_id]
    assert response.json()["status"] == "queued" and response.json()["dry_run"] is True
    tasks.run_recompute_job(job_id)
    status = client.get(f"/api/tiering/recompute/{job_id}/").json()
    assert status["status"] == "done" and status["progress"] == 100
    assert "changed" in status["counts"] and "small" in status["matrix"]
    assert client.get("/api/tiering/recompute/999999/").status_code == 404


def test_recompute_rejects_bad_input(api_for, admin_user):
    response = api_for(admin_user).post("/api/tiering/recompute/", {"dry_run": "maybe"}, format="json")
    assert response.status_code == 400
    assert "dry_run" in response.json()["fields"]


def test_schema_includes_tiering_endpoints(api_for, admin_user):
    response = api_for(admin_user).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/tier-changes/",
        "/api/tier-policy/",
        "/api/tiering/recompute/",
        "/api/tiering/recompute/{job_id}/",
    ):
        assert path in paths
    assert timezone.now()


def test_second_real_recompute_answers_409_with_the_reason(api_for, director, monkeypatch):
    """While a real recompute is queued or running, another is refused (409), a dry run is not."""
    monkeypatch.setattr(tasks.run_recompute_job, "apply_async", lambda args=(), **kw: None)
    client = api_for(director)
    first = client.post("/api/tiering/recompute/", {}, format="json")
    assert first.status_code == 202
    second = client.post("/api/tiering/recompute/", {}, format="json")
    assert second.status_code == 409
    body = second.json()
    assert body["code"] == "recompute_in_progress"
    assert body["detail"] == (
        f"Another recompute (#{first.json()['id']}) is already queued or running. "
        "Wait until it has finished before starting a new one."
    )
    assert body["job"] == first.json()["id"]
    assert client.post("/api/tiering/recompute/", {"dry_run": True}, format="json").status_code == 202
    assert RecomputeJob.objects.filter(dry_run=False).count() == 1


def test_job_step_is_in_the_callers_language(api_for, director):
    job = RecomputeJobFactory(status="done", progress=100, step="已完成")
    assert api_for(director).get(f"/api/tiering/recompute/{job.pk}/").json()["step"] == "Done"
