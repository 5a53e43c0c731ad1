"""Responses kept per user until the data changes (core.response_cache): the account list page,
the 360° page and the accounts list API."""

import contextlib
import uuid
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.contrib.messages import constants as message_levels
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.http import HttpResponse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Transaction
from core import response_cache
from core.response_cache import is_data_write
from tests.accounts.factories import AccountFactory
from tiering.services import tiers_recompute

pytestmark = pytest.mark.django_db

HIT = "X-Response-Cache"


@pytest.fixture
def kept(settings):
    """`kept()` keeps responses 60 s, in a memory cache of this test alone. Called after the test's
    data is made: a test's writes never commit, so a write made with keeping on would leave a
    bump waiting for the end of the test's transaction, and a later write in the same
    transaction correctly adds none."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    }

    def start():
        settings.RESPONSE_CACHE_SECONDS = 60
        # as if the data made so far had committed: no bump waits for the test's transaction
        connection.run_on_commit[:] = [
            entry for entry in connection.run_on_commit if entry[1] is not response_cache.bump_data_generation
        ]

    return start


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """`with commit():` runs what the block's writes left for after the commit, and then forgets
    it, as a real commit does (the test's own transaction never commits)."""

    @contextlib.contextmanager
    def committed():
        with django_capture_on_commit_callbacks(execute=True):
            yield
        connection.run_on_commit[:] = [
            entry for entry in connection.run_on_commit if entry[1] is not response_cache.bump_data_generation
        ]

    return committed


def page(client, path):
    response = client.get(path)
    assert response.status_code == 200
    return response


class TestWhatCountsAsAWrite:
    @pytest.mark.parametrize(
        "sql",
        [
            'INSERT INTO "accounts_account" ("name") VALUES (%s)',
            '  update "accounts_account" SET "tier" = %s',
            'DELETE FROM "accounts_contact" WHERE id = 1',
            "WITH moved AS (SELECT 1) UPDATE accounts_account SET tier = 'vip'",
            "TRUNCATE accounts_transaction",
            "COPY accounts_transaction (amount) FROM STDIN",
        ],
    )
    def test_writes(self, sql):
        assert is_data_write(sql)

    @pytest.mark.parametrize(
        "sql",
        [
            'SELECT "accounts_account"."id" FROM "accounts_account"',
            "WITH x AS (SELECT 1) SELECT * FROM x",
            'UPDATE "django_session" SET "session_data" = %s',
            'INSERT INTO "axes_accessattempt" ("username") VALUES (%s)',
            'INSERT INTO "core_heartbeat" ("beat_at") VALUES (%s)',
            'UPDATE "django_celery_beat_periodictask" SET "last_run_at" = %s',
            "SAVEPOINT s1",
            "SELECT pg_advisory_xact_lock(1)",
        ],
    )
    def test_not_writes(self, sql):
        assert not is_data_write(sql)


class TestPages:
    def test_a_reload_is_served_kept_and_a_write_retires_it(
        self, kept, client_for, manager, commit, django_assert_max_num_queries
    ):
        account = AccountFactory(owner=manager, name="Before Co")
        client = client_for(manager)  # signing in writes the last sign-in time
        kept()
        client.get("/accounts/")  # the CSRF cookie a page's forms are made from
        first = page(client, "/accounts/")
        assert HIT not in first and "Before Co" in first.content.decode()
        with django_assert_max_num_queries(2):  # the session's user only: no list, no count
            again = page(client, "/accounts/")
        assert again[HIT] == "hit" and again.content == first.content

        with commit():
            account_services.account_update(
                account=account, actor=manager, expected_version=account.version, data={"name": "After Co"}
            )
        fresh = page(client, "/accounts/")
        assert HIT not in fresh
        html = fresh.content.decode()
        assert "After Co" in html and "Before Co" not in html

    def test_the_360_page_is_kept_until_revenue_arrives(self, kept, client_for, manager, commit):
        account = AccountFactory(owner=manager)
        client = client_for(manager)
        kept()
        client.get("/accounts/")
        path = f"/accounts/{account.pk}/"
        page(client, path)
        assert page(client, path)[HIT] == "hit"
        with commit():
            account_services.transaction_record(
                actor=manager,
                account=account,
                kind=Transaction.Kind.PURCHASE,
                amount=Decimal("1234.00"),
                occurred_at=timezone.now(),
            )
        assert HIT not in page(client, path)

    def test_a_recompute_retires_kept_pages(self, kept, client_for, manager, commit):
        AccountFactory(owner=manager)
        client = client_for(manager)
        kept()
        client.get("/accounts/")
        page(client, "/accounts/")
        assert page(client, "/accounts/")[HIT] == "hit"
        with commit():
            tiers_recompute()  # raw SQL, no model signals
        assert HIT not in page(client, "/accounts/")

    def test_another_users_write_or_a_role_change_retires_a_kept_page(
        self, kept, client_for, manager, director, commit
    ):
        account = AccountFactory(owner=manager, name="Before Co")
        client = client_for(manager)
        kept()
        client.get("/accounts/")
        page(client, "/accounts/")
        assert page(client, "/accounts/")[HIT] == "hit"
        with commit():  # the director renames the manager's account
            account_services.account_update(
                account=account, actor=director, expected_version=account.version, data={"name": "Renamed Co"}
            )
        assert "Renamed Co" in page(client, "/accounts/").content.decode()
        assert page(client, "/accounts/")[HIT] == "hit"
        with commit():  # the manager loses their role: the kept list must not outlive it
            manager.groups.clear()
        response = client.get("/accounts/")  # a person with no role sees no account (fails closed)
        assert HIT not in response and "Renamed Co" not in response.content.decode()

    def test_each_user_gets_their_own(self, kept, client_for, manager, other_manager, director):
        AccountFactory(owner=manager, name="Mine Co")
        AccountFactory(owner=other_manager, name="Theirs Co")
        kept()
        for user in (director, manager):
            client = client_for(user)
            client.get("/accounts/")
            page(client, "/accounts/")
        client = client_for(manager)
        html = page(client, "/accounts/").content.decode()
        assert "Mine Co" in html and "Theirs Co" not in html
        client = client_for(other_manager)
        client.get("/accounts/")
        html = page(client, "/accounts/").content.decode()
        assert "Theirs Co" in html and "Mine Co" not in html

    def test_another_users_account_still_answers_404(self, kept, client_for, manager, other_manager):
        theirs = AccountFactory(owner=other_manager)
        kept()
        owner_client = client_for(other_manager)
        owner_client.get("/accounts/")
        page(owner_client, f"/accounts/{theirs.pk}/")
        page(owner_client, f"/accounts/{theirs.pk}/")
        client = client_for(manager)
        client.get("/accounts/")
        assert client.get(f"/accounts/{theirs.pk}/").status_code == 404

    def test_keyed_by_query_language_htmx_and_csrf_cookie(self, kept, client_for, manager):
        AccountFactory(owner=manager, name="Alpha", status="active")
        AccountFactory(owner=manager, name="Beta", status="dormant")
        kept()
        client = client_for(manager)
        client.get("/accounts/")
        page(client, "/accounts/")
        filtered = page(client, "/accounts/?status=dormant")
        assert HIT not in filtered and "Alpha" not in filtered.content.decode()
        fragment = client.get("/accounts/", headers={"HX-Request": "true"})
        assert HIT not in fragment
        chinese = client.get("/accounts/", headers={"Accept-Language": "zh-hans"})
        assert HIT not in chinese
        client.cookies["csrftoken"] = "x" * 32  # another browser of the same person
        assert HIT not in page(client, "/accounts/")

    def test_no_csrf_cookie_yet_is_not_kept(self, kept, client_for, manager):
        AccountFactory(owner=manager)
        kept()
        client = client_for(manager)
        page(client, "/accounts/")  # makes the cookie: nothing kept under "no cookie"
        client.cookies.pop("csrftoken", None)
        assert HIT not in page(client, "/accounts/")

    def test_a_waiting_message_bypasses_the_cache(self, kept, client_for, manager, rf):
        AccountFactory(owner=manager)
        kept()
        client = client_for(manager)
        client.get("/accounts/")
        page(client, "/accounts/")
        storage = CookieStorage(rf.get("/"))
        storage.add(message_levels.SUCCESS, "Saved the account")
        carrier = HttpResponse()
        storage.update(carrier)  # the cookie a redirect after a save would set
        client.cookies["messages"] = carrier.cookies["messages"].value
        shown = page(client, "/accounts/")
        assert HIT not in shown and "Saved the account" in shown.content.decode()

    def test_off_by_default_in_tests(self, client_for, manager):
        AccountFactory(owner=manager)
        client = client_for(manager)
        client.get("/accounts/")
        page(client, "/accounts/")
        assert HIT not in page(client, "/accounts/")


class TestApi:
    def test_the_list_is_kept_per_user_and_retired_by_a_write(self, kept, api_for, manager, other_manager, commit):
        mine = AccountFactory(owner=manager, name="Mine Co")
        AccountFactory(owner=other_manager, name="Theirs Co")
        kept()
        api = api_for(manager)
        first = api.get("/api/accounts/")
        assert first.status_code == 200 and HIT not in first
        again = api.get("/api/accounts/")
        assert again[HIT] == "hit" and again.content == first.content
        assert [row["name"] for row in again.json()["results"]] == ["Mine Co"]

        theirs = api_for(other_manager).get("/api/accounts/")
        assert HIT not in theirs and [row["name"] for row in theirs.json()["results"]] == ["Theirs Co"]

        assert HIT not in api.get("/api/accounts/?page_size=10")
        with commit():
            account_services.account_update(
                account=mine, actor=manager, expected_version=mine.version, data={"name": "Renamed Co"}
            )
        fresh = api.get("/api/accounts/")
        assert HIT not in fresh and fresh.json()["results"][0]["name"] == "Renamed Co"

    def test_an_unauthenticated_request_is_refused_not_served(self, kept, api_for, manager, api_client):
        AccountFactory(owner=manager)
        kept()
        api_for(manager).get("/api/accounts/")
        assert api_client.get("/api/accounts/").status_code in (401, 403)


class TestGeneration:
    def test_an_update_of_no_row_keeps_the_generation(self, kept, django_capture_on_commit_callbacks):
        kept()
        before = response_cache.data_generation()
        with django_capture_on_commit_callbacks(execute=False) as callbacks, connection.cursor() as cursor:
            cursor.execute("UPDATE accounts_account SET name = name WHERE id < 0")  # no row
        assert callbacks == [] and response_cache.data_generation() == before

    def test_one_bump_per_transaction(self, kept, manager, django_capture_on_commit_callbacks):
        kept()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            for _ in range(3):
                AccountFactory(owner=manager)
        assert callbacks.count(response_cache.bump_data_generation) == 1


class TestTokenLookupRemembered:
    """users.auth remembers a token's lookup while nothing has been written (the generation)."""

    def test_a_revoked_token_or_a_deactivated_user_is_refused_at_once(
        self, kept, integration, api_client, commit, django_assert_max_num_queries
    ):
        from rest_framework.authtoken.models import Token

        token = Token.objects.create(user=integration)
        kept()
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        assert api_client.get("/api/accounts/").status_code == 200
        with django_assert_max_num_queries(0):  # the lookup remembered, the answer kept
            assert api_client.get("/api/accounts/")[HIT] == "hit"

        with commit():
            integration.is_active = False
            integration.save(update_fields=["is_active"])
        assert api_client.get("/api/accounts/").status_code == 401
        with commit():
            integration.is_active = True
            integration.save(update_fields=["is_active"])
        assert api_client.get("/api/accounts/").status_code == 200
        with commit():
            token.delete()
        assert api_client.get("/api/accounts/").status_code == 401


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs Redis (REDIS_URL)")
def test_count_hit_counts_in_one_window_on_redis(settings):
    from core.cache import count_hit

    settings.CACHES = {"default": {"BACKEND": "core.cache.ResilientRedisCache", "LOCATION": settings.REDIS_URL}}
    key = f"test-count-{uuid.uuid4().hex}"
    assert [count_hit(key, 60) for _ in range(3)] == [1, 2, 3]
    from django.core.cache import cache

    ttl = cache._cache.get_client(write=True).ttl(cache.make_key(key))
    assert 0 < ttl <= 60  # the window opened with the first hit and is not pushed back by later ones


def test_count_hit_without_redis(settings):
    from core.cache import count_hit

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    }
    assert [count_hit("k", 60) for _ in range(3)] == [1, 2, 3]
