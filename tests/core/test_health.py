import pytest

from config import celery_app
from core import health


@pytest.mark.django_db
def test_healthz_answers_200_when_database_and_broker_answer(client):
    """Both checks pass on the configured database and broker."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


@pytest.mark.django_db
def test_healthz_answers_503_naming_the_broker_when_it_is_down(client, monkeypatch, caplog):
    """Only the failing check's name goes out; the error (host, port ...) goes to the log."""

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("broker down at redis.internal:6379")

    monkeypatch.setattr(health.celery_app(), "connection_for_write", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "fail", "checks": {"database": "ok", "broker": "fail"}}
    assert "redis.internal" not in response.content.decode()
    assert "broker down at redis.internal:6379" in caplog.text


@pytest.mark.django_db
def test_healthz_answers_503_naming_the_database_when_it_fails(client, monkeypatch):
    monkeypatch.setitem(health.CHECKS, "database", lambda: "OperationalError: no database")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "fail", "broker": "ok"}


def test_the_broker_check_uses_the_projects_celery_app():
    """core reaches the app config/celery.py defines without importing config."""
    assert health.celery_app() is celery_app
