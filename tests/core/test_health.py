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
def test_healthz_answers_503_naming_the_broker_when_it_is_down(client, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(health.celery_app(), "connection_for_write", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"] == "ok"
    assert "broker down" in body["checks"]["broker"]


@pytest.mark.django_db
def test_healthz_answers_503_naming_the_database_when_it_fails(client, monkeypatch):
    monkeypatch.setitem(health.CHECKS, "database", lambda: "OperationalError: no database")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "OperationalError: no database"
    assert response.json()["checks"]["broker"] == "ok"


def test_the_broker_check_uses_the_projects_celery_app():
    """core reaches the app config/celery.py defines without importing config."""
    assert health.celery_app() is celery_app
