import pytest
from rest_framework.test import APIClient

from tests.users.factories import UserFactory
from users.roles import Role


@pytest.fixture
def make_user(db):
    """make_user(Role.MANAGER, username="li") -> a saved user in that role."""

    def _make(role=None, **kwargs):
        return UserFactory(role=role, **kwargs)

    return _make


@pytest.fixture
def admin_user(make_user):
    return make_user(Role.ADMIN, username="admin-t", is_staff=True, is_superuser=True)


@pytest.fixture
def director(make_user):
    return make_user(Role.DIRECTOR, username="director-t", is_staff=True)


@pytest.fixture
def manager(make_user):
    return make_user(Role.MANAGER, username="manager-t")


@pytest.fixture
def other_manager(make_user):
    return make_user(Role.MANAGER, username="manager-other")


@pytest.fixture
def service_agent(make_user):
    return make_user(Role.SERVICE, username="service-t")


@pytest.fixture
def finance_user(make_user):
    return make_user(Role.FINANCE, username="finance-t", is_staff=True)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def client_for(client):
    """client_for(user) -> the Django test client signed in as that user."""

    def _login(user):
        # axes' backend comes first in AUTHENTICATION_BACKENDS and cannot restore a session user
        client.force_login(user, backend="users.auth.PersonBackend")
        return client

    return _login


@pytest.fixture
def api_for():
    def _login(user):
        c = APIClient()
        c.force_authenticate(user)
        return c

    return _login


@pytest.fixture(autouse=True, scope="session")
def _celery_queue_per_test_process(worker_id):
    """Each pytest-xdist process sends and consumes on its own Celery queue: a worker started by
    one process's test must not take a task sent by another process's test (it would run it
    against the wrong test database, and the sender would wait for nothing)."""
    from config.celery import app

    app.conf.task_default_queue = f"tests-{worker_id}"
    for cached in ("queues", "default_queue", "router"):  # rebuilt from the setting on next use
        app.amqp.__dict__.pop(cached, None)
    yield


@pytest.fixture
def broker_of_its_own(monkeypatch):
    """The project's Celery app sends to a Redis of this test (`redis-server` on a free port),
    which the test may stop; the app's connection pools are rebuilt around it."""
    from config.celery import app as celery_app
    from tests.faults import redis_server

    def reset_pools():
        if celery_app._pool is not None:
            celery_app._pool.force_close_all()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    with redis_server() as redis:
        monkeypatch.setitem(celery_app.conf, "broker_url", redis.url)
        monkeypatch.setitem(celery_app.conf, "broker_write_url", redis.url)
        reset_pools()
        try:
            yield redis
        finally:
            reset_pools()


@pytest.fixture
def integration(make_user):
    """The billing system's service account: it pushes revenue under source_system "billing"."""
    return make_user(Role.FINANCE, username="billing", is_service_account=True)


@pytest.fixture(autouse=True)
def _fresh_team_map():
    """Each test reads teams from its own data: a team map kept by an earlier test (whose rows
    were rolled back without a signal) is dropped first."""
    from django.core.cache import cache

    from users import visibility

    visibility._teams_version += 1
    cache.delete(visibility._teams_cache_key())


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a test client request in Chinese leaves Chinese
    active in the thread (LocaleMiddleware does not switch back), and a later test's lazy
    strings came out in Chinese."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
