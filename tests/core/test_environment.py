import os

import pytest
from django.conf import settings
from django.db import connection


@pytest.mark.skipif(os.environ.get("CI", "").lower() != "true", reason="only CI must run on PostgreSQL and Redis")
def test_ci_runs_on_postgresql_and_redis_not_the_embedded_fallbacks():
    """If CI silently fell back to SQLite or the filesystem broker, this fails."""
    assert connection.vendor == "postgresql", f"CI ran on {connection.vendor}; DATABASE_URL was not used"
    assert settings.CELERY_BROKER_URL.startswith("redis://"), settings.CELERY_BROKER_URL
    assert "pool" in settings.DATABASES["default"]["OPTIONS"]


def test_embedded_defaults_are_used_without_env(monkeypatch):
    """Without DATABASE_URL/REDIS_URL the settings pick SQLite and the filesystem broker under var/."""
    import importlib

    import config.settings as config_settings

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    fresh = importlib.reload(config_settings)
    try:
        assert fresh.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
        assert str(fresh.VAR_DIR) in str(fresh.DATABASES["default"]["NAME"])
        assert fresh.CELERY_BROKER_URL == "filesystem://"
    finally:
        monkeypatch.undo()
        importlib.reload(config_settings)


def test_production_settings_are_safe_by_default():
    """With DEBUG off (and outside tests) cookies are secure, HSTS is on and HTTPS is enforced."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules.pop('pytest', None);"
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings';"
        "from config import settings as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == ["False", "True", "True", "True", "True"]
