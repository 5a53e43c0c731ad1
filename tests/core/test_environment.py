import os
import subprocess
import sys

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


def _settings_in_a_fresh_process(code: str, **env_vars) -> subprocess.CompletedProcess:
    """Import config.settings in a new interpreter with only these DJANGO_ variables set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_vars, DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)


def test_production_settings_are_safe_by_default():
    """With DEBUG off cookies are secure, HSTS is on and HTTPS is enforced (no test-runner switch)."""
    code = (
        "from config import settings as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0, s.STATIC_MANIFEST)"
    )
    out = _settings_in_a_fresh_process(code, DJANGO_SECRET_KEY="x" * 50)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True", "True", "True", "True", "True"]


def test_without_a_secret_key_and_debug_off_the_app_refuses_to_start():
    out = _settings_in_a_fresh_process("import config.settings")
    assert out.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY is not set" in out.stderr


def test_check_deploy_fails_without_a_secret_key():
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        check=False,
    )
    assert out.returncode != 0 and "DJANGO_SECRET_KEY is not set" in out.stderr


def test_a_developer_machine_gets_a_generated_key():
    out = _settings_in_a_fresh_process(
        "from config import settings as s; print(len(s.SECRET_KEY) > 40)", DJANGO_DEBUG="1"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"


def test_celery_keeps_the_projects_time_zone():
    out = _settings_in_a_fresh_process(
        "from config import settings as s; print(s.CELERY_TIMEZONE)", DJANGO_SECRET_KEY="x" * 50, DJANGO_TIME_ZONE="UTC"
    )
    assert out.stdout.strip() == "UTC"
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE


def test_the_filesystem_broker_keeps_its_control_folder_under_var(monkeypatch):
    import importlib

    import config.settings as config_settings

    monkeypatch.delenv("REDIS_URL", raising=False)
    fresh = importlib.reload(config_settings)
    try:
        control = fresh.CELERY_BROKER_TRANSPORT_OPTIONS["control_folder"]
        assert control.startswith(str(fresh.VAR_DIR))
    finally:
        monkeypatch.undo()
        importlib.reload(config_settings)


def test_every_migration_runs_on_sqlite(tmp_path):
    """`make run` starts on SQLite: every migration must apply there too (an index that only
    PostgreSQL can spell once broke it), and the models must need no new migration."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'crm.db'}", DJANGO_DEBUG="1", DJANGO_SETTINGS_MODULE="config.settings"
    )
    manage = [sys.executable, "manage.py"]
    migrate = subprocess.run([*manage, "migrate", "-v0"], capture_output=True, text=True, env=env, check=False)
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    check = subprocess.run(
        [*manage, "makemigrations", "--check", "--dry-run"], capture_output=True, text=True, env=env, check=False
    )
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]


def test_make_run_points_reminder_links_at_the_port_it_serves(monkeypatch):
    """`make run PORT=8100`: the e-mails' links said http://127.0.0.1:8000 (SITE_URL's default)."""
    import importlib.util

    from django.conf import settings

    spec = importlib.util.spec_from_file_location("run_dev", settings.BASE_DIR / "scripts" / "run_dev.py")
    run_dev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_dev)
    monkeypatch.delenv("SITE_URL", raising=False)
    assert run_dev.site_url("127.0.0.1", "8100") == "http://127.0.0.1:8100"
    assert run_dev.site_url("0.0.0.0", "8100") == "http://127.0.0.1:8100"
    monkeypatch.setenv("SITE_URL", "https://crm.example.com")
    assert run_dev.site_url("0.0.0.0", "8100") == "https://crm.example.com"
