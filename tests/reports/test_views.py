"""The dashboard (reports): what each role sees, and that its cards agree with the lists they link to."""

import datetime

import pytest
from django.utils import timezone

from tests.accounts.factories import AccountFactory
from users.roles import Role

pytestmark = pytest.mark.django_db


def test_dashboard_renders_for_each_role(client_for, manager, director, service_agent, finance_user, admin_user):
    AccountFactory(owner=manager, revenue_12m=5000)
    for user in (manager, director, service_agent, finance_user, admin_user):
        response = client_for(user).get("/")
        assert response.status_code == 200
        assert response.context["summary"]["accounts"] == 1


class TestDashboard:
    def test_the_dashboard_card_links_to_a_list_with_the_same_count(self, client_for, manager):
        import datetime

        from django.utils import timezone

        now = timezone.now()
        AccountFactory(owner=manager, name="Old", last_contact_at=now - datetime.timedelta(days=45))
        AccountFactory(owner=manager, name="Never", last_contact_at=None)
        AccountFactory(owner=manager, name="Recent", last_contact_at=now - datetime.timedelta(days=3))
        client = client_for(manager)
        dashboard = client.get("/")
        assert dashboard.context["summary"]["stale"] == 2
        assert 'href="/accounts/?contact=stale&amp;sort=contact"' in dashboard.content.decode()
        listed = client.get("/accounts/?contact=stale&sort=contact").context["page"]
        assert listed.paginator.count == 2
        assert {a.name for a in listed.object_list} == {"Old", "Never"}

    def test_my_accounts_only_for_managers(self, client_for, manager, director, service_agent, finance_user):
        AccountFactory(owner=manager)
        assert "My accounts" in client_for(manager).get("/").content.decode()
        for user in (director, service_agent, finance_user):
            html = client_for(user).get("/").content.decode()
            assert "My accounts" not in html and ">Accounts</div>" in html

    def test_a_team_leader_reads_his_team_s_accounts(self, client_for, manager, make_user):
        """A team leader's figures count the team's accounts: the cards say so."""
        from tests.users.factories import TeamFactory
        from users.roles import Role

        member = make_user(Role.MANAGER, username="member")
        TeamFactory(leader=manager, members=[manager, member])
        AccountFactory(owner=manager)
        AccountFactory(owner=member)
        response = client_for(manager).get("/?view=manager")
        html = response.content.decode()
        assert response.context["summary"]["accounts"] == 2
        assert response.context["leads_team"] is True
        assert "My team's accounts<" in html and "My team's accounts by tier" in html
        assert "My accounts by tier" not in html
        assert "My team" not in client_for(member).get("/?view=manager").content.decode()

    def test_heartbeat_waiting_then_ok_then_stale(self, client_for, admin_user):
        import datetime

        from django.utils import timezone

        from core.models import Heartbeat

        client = client_for(admin_user)
        html = client.get("/").content.decode()
        assert 'data-testid="heartbeat-waiting"' in html and "is the worker running" not in html
        beat = Heartbeat.objects.create(name="beat", last_run_at=timezone.now() - datetime.timedelta(seconds=50))
        assert 'data-testid="heartbeat-ok"' in client.get("/").content.decode()
        beat.last_run_at = timezone.now() - datetime.timedelta(minutes=10)
        beat.save()
        html = client.get("/").content.decode()
        assert 'data-testid="heartbeat-stale"' in html and "is the worker running" in html

    def test_staff_without_the_heartbeat_permission_see_no_empty_heartbeat_line(self, client_for, make_user):
        """Finance staff may use the admin but not watch the jobs: no "last heartbeat" without a time."""
        finance = make_user(Role.FINANCE, username="fin", is_staff=True)
        html = client_for(finance).get("/").content.decode()
        assert "Background jobs" not in html and "heartbeat" not in html


class TestDashboardFiguresCache:
    """The figures that add up every visible account are kept a minute per user; the page says
    when they were computed and a refresh recomputes them."""

    @pytest.fixture(autouse=True)
    def _own_cache(self, settings):
        locmem = "django.core.cache.backends.locmem.LocMemCache"
        settings.CACHES = {"default": {"BACKEND": locmem, "LOCATION": "figures"}}
        settings.FIGURES_CACHE_SECONDS = 60
        from django.core.cache import cache

        cache.clear()  # entries shared by everyone who sees all accounts outlive a test in this process

    def test_a_reload_reads_the_kept_figures_and_refresh_recomputes(self, client_for, manager):
        AccountFactory(owner=manager)
        client = client_for(manager)
        first = client.get("/")
        assert first.context["summary"]["accounts"] == 1
        assert 'data-testid="figures-as-of"' in first.content.decode()
        AccountFactory(owner=manager)
        assert client.get("/").context["summary"]["accounts"] == 1  # kept
        assert client.get("/?refresh=1").context["summary"]["accounts"] == 2

    def test_another_user_never_sees_the_kept_figures_of_the_first(self, client_for, manager, other_manager):
        AccountFactory(owner=manager)
        assert client_for(manager).get("/").context["summary"]["accounts"] == 1
        assert client_for(other_manager).get("/").context["summary"]["accounts"] == 0

    def test_those_who_see_every_account_share_one_kept_summary_and_a_manager_never_reads_it(
        self, client_for, director, finance_user, manager
    ):
        AccountFactory(owner=manager)
        AccountFactory()
        assert client_for(director).get("/").context["summary"]["accounts"] == 2
        AccountFactory()
        # finance sees every account too: the director's kept pass serves it (a count of its own would say 3)
        assert client_for(finance_user).get("/").context["summary"]["accounts"] == 2
        assert client_for(manager).get("/").context["summary"]["accounts"] == 1  # their own scope

    def test_the_beat_counts_the_shared_figures_before_anyone_asks(self, client_for, director, manager, settings):
        from reports.tasks import keep_company_figures

        AccountFactory(owner=manager)
        assert keep_company_figures.apply().get() == "1 accounts"
        AccountFactory()
        # the director reads what the beat counted: no pass of their own (it would say 2)
        assert client_for(director).get("/").context["summary"]["accounts"] == 1
        assert client_for(director).get("/visits/coverage/").context["tables"][0]["total"].accounts == 1
        entry = settings.CELERY_BEAT_SCHEDULE["reports-company-figures"]
        assert entry["task"] == keep_company_figures.name

    def test_without_anyone_who_sees_every_account_the_beat_counts_nothing(self, manager):
        from reports.services import company_figures_refresh

        AccountFactory(owner=manager)
        assert company_figures_refresh() == "nobody sees every account"

    def test_the_director_board_is_kept_per_team(self, client_for, director):
        from users.models import Team

        team = Team.objects.create(name="East")
        AccountFactory()
        client = client_for(director)
        assert client.get("/?view=director").context["board"]["accounts"] == 1
        assert client.get(f"/?view=director&team={team.pk}").context["board"]["accounts"] == 0
        AccountFactory()
        assert client.get("/?view=director").context["board"]["accounts"] == 1
        assert client.get("/?view=director&refresh=1").context["board"]["accounts"] == 2

    def test_the_overdue_count_is_read_from_the_kept_summary_and_equals_the_list(self, client_for, manager):
        """The manager board's overdue count comes from the summary's pass (kept with it, refreshed
        with it) and equals the overdue list's own count; the rows shown are read live."""
        from visits.selectors import overdue_accounts

        now = timezone.now()
        AccountFactory(owner=manager, tier="small", last_contact_at=None)
        AccountFactory(owner=manager, tier="vip", last_contact_at=now - datetime.timedelta(days=400))
        AccountFactory(owner=manager, tier="vip", last_contact_at=now)
        client = client_for(manager)
        first = client.get("/?view=manager")
        expected = overdue_accounts(user=manager).count()
        assert expected == 2
        assert first.context["summary"]["overdue"] == first.context["board"]["overdue_count"] == expected
        assert 'data-testid="overdue-count">2<' in first.content.decode()
        AccountFactory(owner=manager, tier="vip", last_contact_at=None)
        kept = client.get("/?view=manager").context["board"]
        assert kept["overdue_count"] == 2 and len(kept["overdue_accounts"]) == 3  # count kept, rows live
        assert client.get("/?view=manager&refresh=1").context["board"]["overdue_count"] == 3

    def test_a_summary_kept_before_it_counted_overdue_is_counted_again(self, manager):
        from reports.selectors.roles import manager_dashboard

        AccountFactory(owner=manager, last_contact_at=None)
        board = manager_dashboard(user=manager, summary={"accounts": 1})
        assert board["overdue_count"] == 1

    def test_without_a_cache_time_every_load_computes(self, client_for, manager, settings):
        settings.FIGURES_CACHE_SECONDS = 0
        AccountFactory(owner=manager)
        client = client_for(manager)
        assert client.get("/").context["summary"]["accounts"] == 1
        AccountFactory(owner=manager)
        assert client.get("/").context["summary"]["accounts"] == 2
