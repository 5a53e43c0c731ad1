"""Faults of the platform: Redis down, a killed worker, dead pooled connections.

Each test starts what it breaks (a Redis on a free port, a worker subprocess) and breaks it for
real; none touches the shared Redis or PostgreSQL server.
"""

import time
import uuid

import pytest
from celery import Celery
from django.db import connection
from django.urls import reverse

from config.celery import app as celery_app
from core import health
from core.cache import ResilientRedisCache
from tests.faults import Worker, redis_server, wait_until

PASSWORD = "fault-Test-pw-42"


def _redis_cache_settings(settings, url):
    settings.CACHES = {"default": {"BACKEND": "core.cache.ResilientRedisCache", "LOCATION": url}}
    settings.SESSION_ENGINE = "core.sessions"


@pytest.mark.django_db
def test_sign_in_pages_and_sign_out_keep_working_while_redis_is_down(client, manager, settings):
    """Sessions are cached in Redis and kept in the database: with Redis stopped, signed-in pages,
    signing out and signing in again all answer as usual (they answered 500 before)."""
    manager.set_password(PASSWORD)
    manager.save()
    with redis_server() as redis:
        _redis_cache_settings(settings, redis.url)
        login = client.post(reverse("login"), {"username": manager.username, "password": PASSWORD})
        assert login.status_code == 302
        assert client.get(reverse("dashboard")).status_code == 200

        redis.stop()
        assert client.get(reverse("dashboard")).status_code == 200
        assert client.get(reverse("accounts:list")).status_code == 200
        assert client.post(reverse("logout")).status_code == 302
        assert client.get(reverse("dashboard")).status_code == 302  # signed out for real
        login = client.post(reverse("login"), {"username": manager.username, "password": PASSWORD})
        assert login.status_code == 302
        assert client.get(reverse("accounts:list")).status_code == 200
        # (how fast the cache gives up is timed in the next test)

        redis.start()  # back: sessions are cached again
        assert client.get(reverse("dashboard")).status_code == 200


def test_the_cache_answers_miss_quickly_while_redis_is_down():
    with redis_server() as redis:
        cache = ResilientRedisCache(redis.url, {})
        cache.set("k", "v")
        assert cache.get("k") == "v"
        redis.stop()
        started = time.monotonic()
        assert cache.get("k") is None
        assert cache.get("k", "default") == "default"
        cache.set("k", "w")
        assert cache.add("n", 1) is False
        assert cache.delete("k") is False
        assert cache.get_many(["k"]) == {}
        with pytest.raises(ValueError):
            cache.incr("n")
        assert time.monotonic() - started < 4


@pytest.mark.django_db
def test_healthz_answers_503_naming_the_broker_when_redis_is_stopped(client, monkeypatch):
    with redis_server() as redis:
        monkeypatch.setitem(celery_app.conf, "broker_url", redis.url)
        monkeypatch.setitem(celery_app.conf, "broker_write_url", redis.url)
        assert health.check_broker() is None
        redis.stop()
        started = time.monotonic()
        response = client.get("/healthz")
        assert time.monotonic() - started < 5
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "ok"
    assert response.json()["checks"]["broker"] != "ok"


@pytest.mark.django_db
def test_enqueue_fails_within_two_seconds_when_the_broker_is_down(broker_of_its_own):
    from core.jobs import BrokerUnavailable, enqueue
    from core.tasks import heartbeat

    enqueue(heartbeat)  # the pool holds a live connection now
    broker_of_its_own.stop()
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable):
        enqueue(heartbeat)
    assert time.monotonic() - started < 6  # about 0.1 s on an idle machine


def test_the_broker_redelivers_the_task_of_a_worker_killed_with_kill_9(tmp_path):
    """acks_late + a visibility timeout: the task of a worker killed mid-task runs again on
    another worker once the timeout has passed (not after an hour)."""
    marker = tmp_path / "runs.txt"
    queue = f"fault-{uuid.uuid4().hex[:8]}"
    with redis_server() as redis:
        env = {"CELERY_VISIBILITY_TIMEOUT": "2"}
        first = Worker(broker_url=redis.url, queue=queue, include="tests.core.fault_tasks", env=env).start()
        sender = Celery(broker=redis.url, set_as_current=False)  # the project app stays current
        sender.conf.broker_transport_options = {"visibility_timeout": 2}
        try:
            sender.send_task("tests.fault.record_and_sleep", args=[str(marker), 60], queue=queue)
            assert wait_until(lambda: marker.exists() and marker.read_text().count("\n") == 1, 30)
            first.kill()
            time.sleep(2.5)  # past the visibility timeout
            second = Worker(broker_url=redis.url, queue=queue, include="tests.core.fault_tasks", env=env).start()
            try:
                assert wait_until(lambda: marker.read_text().count("\n") >= 2, 30), "the task was not redelivered"
            finally:
                second.kill()
        finally:
            first.kill()
            sender.close()


def test_the_visibility_timeout_outlasts_the_longest_task(settings):
    """A task running longer than the visibility timeout would be delivered twice."""
    if not settings.REDIS_URL:
        pytest.skip("the filesystem broker has no visibility timeout")
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    longest = max(
        [settings.CELERY_TASK_TIME_LIMIT]
        + [t.time_limit or 0 for name, t in celery_app.tasks.items() if not name.startswith("celery.")]
    )
    assert timeout > longest


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's connection pool")
@pytest.mark.django_db(transaction=True)
def test_the_pool_replaces_a_connection_killed_while_idle():
    """pg_terminate_backend on an idle pooled connection: the next checkout gets a live one
    (without the check it handed out the dead connection, and the request answered 500)."""
    import psycopg
    from django.db import connections

    pool = connections["default"].pool
    assert pool is not None and pool._check is not None, "the pool must check connections on checkout"
    with pool.connection() as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    params = connections["default"].get_connection_params()
    params.pop("pool", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    time.sleep(0.2)
    with pool.connection() as conn:
        assert conn.execute("SELECT 1").fetchone()[0] == 1
