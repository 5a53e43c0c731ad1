"""Pages: overview, RFM, ABC (+CSV), history, recompute buttons, job status, pins."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Account, Tier
from tests.accounts.factories import AccountFactory, TransactionFactory
from tests.tiering.factories import RecomputeJobFactory
from tiering import services, tasks
from tiering.models import RecomputeJob, TierChange, TierOverride
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
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


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
    monkeypatch.setattr(tasks.run_recompute_job, "apply_async", lambda args=(), **kw: sent.append(args[0]))
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
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert len(lines) == 4 and lines[0].startswith("Account no.,Name,ABC class")
    assert "manager-other" not in body


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


def test_history_counts_up_to_a_cap(client_for, director, monkeypatch):
    """The history grows by every recompute: the page counts at most LONG_LIST_CAP + 1 rows and
    says "more than" past it, in both languages."""
    seed(director, 10)
    tiers_recompute()
    client = client_for(director)
    first = client.get(reverse("tiering:changes"), {"direction": "up"})
    promoted = TierChange.objects.exclude(new_tier="small").count()
    assert promoted >= 3 and first.context["page"].paginator.count == promoted
    assert f"{promoted} changes" in first.content.decode()
    unfiltered = client.get(reverse("tiering:changes")).content.decode()
    assert f'data-testid="history-count">{TierChange.objects.count()} changes' in unfiltered  # counted unfiltered too
    monkeypatch.setattr("tiering.views.LONG_LIST_CAP", 2)
    response = client.get(reverse("tiering:changes"), {"direction": "up"})
    assert response.context["page"].paginator.count == 3  # stopped at cap + 1
    assert "More than 2 changes" in response.content.decode()
    with translation.override("zh-hans"):
        zh = client.get(reverse("tiering:changes"), {"direction": "up"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "超过 2 条变更" in zh.content.decode()


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


# --- usability review fixes ------------------------------------------------------------------


def test_pin_message_names_the_pinned_tier(client_for, director):
    """Pinning a small account to VIP says "pinned to VIP", not the tier it had."""
    account = AccountFactory(name="Pin Target")
    ends = timezone.localdate() + datetime.timedelta(days=10)
    response = client_for(director).post(
        reverse("tiering:override", args=[account.pk]),
        {"tier": "vip", "ends_on": ends.isoformat(), "reason": "Strategic pilot"},
        follow=True,
    )
    texts = [str(m) for m in response.context["messages"]]
    assert texts == [f"Pin Target is pinned to VIP until {ends.isoformat()}."]


def test_overview_moves_are_scoped_to_what_a_manager_sees(client_for, manager, other_manager, director):
    """A manager's move matrix counts the changes of their accounts only and says so."""
    mine = seed(manager, 4)
    seed(other_manager, 6)
    job = tiers_recompute()
    own_changes = TierChange.objects.filter(job=job, account__in=mine).count()
    assert 0 < own_changes < job.counts["changed"]
    response = client_for(manager).get(reverse("tiering:overview"))
    html = response.content.decode()
    assert response.context["moved"] == own_changes
    assert "Your accounts" in html and "All accounts" not in html
    assert f"{own_changes} accounts changed tier" in html
    # the matrix counts every account of theirs, moved or kept
    assert sum(c["n"] for row in response.context["movement"] for c in row["cells"]) == len(mine)
    response = client_for(director).get(reverse("tiering:overview"))
    assert response.context["moved"] == job.counts["changed"]
    assert "All accounts" in response.content.decode()


def test_abc_cards_say_whose_revenue_the_share_is(client_for, manager, director):
    seed(manager, 3)
    tiers_recompute()
    html = client_for(manager).get(reverse("tiering:abc")).content.decode()
    assert "of your accounts' revenue" in html and "their classes are company-wide" in html
    assert 'href="?abc=A">Class A</a>' in html
    html = client_for(director).get(reverse("tiering:abc")).content.decode()
    assert "of your accounts" not in html and "All accounts" in html


def test_recompute_button_asks_first_and_disables_itself(client_for, director):
    seed(director, 2)
    html = client_for(director).get(reverse("tiering:overview")).content.decode()
    button = html[html.index('data-testid="recompute-now"') - 600 : html.index('data-testid="recompute-now"')]
    assert "hx-confirm=" in button and "hx-disabled-elt=" in button


def test_second_recompute_click_is_refused_on_the_page(client_for, director, monkeypatch):
    """The second click shows the message and the job already under way; no second job."""
    monkeypatch.setattr(tasks.run_recompute_job, "apply_async", lambda args=(), **kw: None)
    client = client_for(director)
    client.post(reverse("tiering:recompute"), HTTP_HX_REQUEST="true")
    response = client.post(reverse("tiering:recompute"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    job = RecomputeJob.objects.get()
    assert 'data-testid="recompute-refused"' in html and f"Another recompute (#{job.pk})" in html
    assert 'data-status="queued"' in html
    # without htmx: a message on the job's page
    response = client.post(reverse("tiering:recompute"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("tiering:job", args=[job.pk])
    assert "already queued or running" in " ".join(str(m) for m in response.context["messages"])
    assert RecomputeJob.objects.count() == 1
    # the overview shows the job under way when it is loaded again
    assert 'id="job-status"' in client.get(reverse("tiering:overview")).content.decode()


def test_end_pin_asks_for_confirmation(client_for, director):
    account = AccountFactory()
    services.tier_override_set(account=account, tier="vip", reason="x", ends_on=timezone.localdate(), actor=director)
    html = client_for(director).get(reverse("tiering:override", args=[account.pk])).content.decode()
    form = html[html.index("/end/") : html.index('data-testid="end-pin"')]
    assert 'data-confirm="' in form


def test_job_step_is_worded_for_the_reader_not_the_worker(client_for, director):
    """A job whose worker wrote its step in Chinese shows its state in the reader's language."""
    job = RecomputeJobFactory(status="done", progress=100, step="已完成")
    running = RecomputeJobFactory(status="running", progress=50, step="正在统计等级变动")
    queued = RecomputeJobFactory(status="queued", step="等待后台进程")
    client = client_for(director)
    html = client.get(reverse("tiering:job", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "已完成" not in html and ">Done</span>" in html
    html = client.get(reverse("tiering:job", args=[running.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "正在" not in html and 'data-testid="job-step">Counting moves</div>' in html
    html = client.get(reverse("tiering:job", args=[queued.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "等待" not in html and html.count("Waiting for") == 1
    with translation.override("zh-hans"):
        counting = translation.gettext("Counting moves")
    html = client.get(
        reverse("tiering:job", args=[running.pk]), HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert f'data-testid="job-step">{counting}</div>' in html


def test_demotion_streak_is_described_in_days(client_for, director):
    seed(director, 2)
    tiers_recompute()
    html = client_for(director).get(reverse("tiering:overview")).content.decode()
    assert "on 2 different days in a row" in html and "recomputes in a row" not in html


def test_account_names_link_to_the_account(client_for, director):
    accounts = seed(director, 3)
    tiers_recompute()
    client = client_for(director)
    url = accounts[0].get_absolute_url()
    assert f'href="{url}"' in client.get(reverse("tiering:abc")).content.decode()
    assert f'href="{url}"' in client.get(reverse("tiering:changes")).content.decode()
    pin_page = client.get(reverse("tiering:override", args=[accounts[0].pk])).content.decode()
    cancel = pin_page[pin_page.index('data-testid="save-pin"') :]
    heading = pin_page[pin_page.index("<h1") : pin_page.index('data-testid="save-pin"')]
    assert f'href="{url}"' in heading.split("<form")[0]
    assert f'<a class="btn btn-link" href="{url}">Cancel</a>' in cancel


def test_rfm_segments_and_cells_lead_to_the_accounts(client_for, director):
    seed(director, 6)
    tiers_recompute()
    response = client_for(director).get(reverse("tiering:rfm"))
    html = response.content.decode()
    segment = response.context["rfm"]["segments"][0]["code"]
    assert f'href="{reverse("accounts:list")}?rfm_segment={segment}"' in html
    assert f'href="{reverse("tiering:abc")}?r=5&amp;f=' in html
    # a cell's link lists exactly the accounts of that cell
    score = Account.objects.filter(owner=director).order_by("-revenue_12m").first().tier_score
    response = client_for(director).get(reverse("tiering:abc"), {"r": score.r, "f": score.f})
    listed = list(response.context["page"].object_list)
    assert listed and all((a.tier_score.r, a.tier_score.f) == (score.r, score.f) for a in listed)
    assert 'data-testid="rf-filter"' in response.content.decode()


def test_job_page_has_no_link_to_itself_but_the_overview_fragment_has(client_for, director):
    job = RecomputeJobFactory(status="done", progress=100)
    client = client_for(director)
    url = reverse("tiering:job", args=[job.pk])
    assert f'href="{url}"' not in client.get(url).content.decode()
    polled_from_job_page = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=f"http://testserver{url}")
    assert f'href="{url}"' not in polled_from_job_page.content.decode()
    overview = f"http://testserver{reverse('tiering:overview')}"
    assert f'href="{url}"' in client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=overview).content.decode()


def test_finished_job_refreshes_the_overview_parts(client_for, director):
    """When the poll from the overview sees the job done, it fetches the stale parts again."""
    seed(director, 2)
    tiers_recompute()
    running = RecomputeJobFactory(status="running", progress=50)
    client = client_for(director)
    page = client.get(reverse("tiering:overview")).content.decode()
    for part in ('id="overview-status"', 'id="moves-card"', 'id="recent-jobs"'):
        assert part in page
    url = reverse("tiering:job", args=[running.pk])
    overview = f"http://testserver{reverse('tiering:overview')}"
    html = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=overview).content.decode()
    assert "refresh-overview" not in html
    RecomputeJob.objects.filter(pk=running.pk).update(status="done", progress=100)
    html = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=overview).content.decode()
    assert 'hx-select-oob="#overview-status,#moves-card,#recent-jobs"' in html


def test_tabs_do_not_wrap(client_for, manager):
    html = client_for(manager).get(reverse("tiering:overview")).content.decode()
    assert html.count('class="nav-link text-nowrap') == 4


def test_abc_export_writes_labels_not_codes_and_neutralises_names(client_for, manager):
    """Tiering's export goes through core.export: labels (not codes), hostile names inert."""
    import io

    from openpyxl import load_workbook

    seed(manager, 2)
    Account.objects.filter(owner=manager).update(name='=HYPERLINK("http://x","y")')
    tiers_recompute()
    client = client_for(manager)
    body = b"".join(client.get(reverse("tiering:abc"), {"format": "csv"}).streaming_content).decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[1].split(",")[1].startswith("\"'=HYPERLINK")
    account = Account.objects.filter(owner=manager).first()
    assert account.get_abc_class_display() in body and account.get_tier_display() in body
    response = client.get(reverse("tiering:abc"), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "ABC analysis" and sheet.freeze_panes == "A2"
    assert sheet["B2"].data_type == "s" and sheet["B2"].value.startswith("=HYPERLINK")
