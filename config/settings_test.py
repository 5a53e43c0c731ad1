"""The test run's settings: config/settings.py with the environment a test run declares.

pytest uses this module (pyproject.toml), so the one settings module needs no "am I under
pytest?" switch: these are ordinary environment variables, and an explicit value in the
environment still wins. Tests run with DEBUG off, like production, but on plain HTTP, with
static files served from the source folders (no `collectstatic` manifest) and a fixed key.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-not-a-secret")
os.environ.setdefault("DJANGO_STATIC_MANIFEST", "0")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
os.environ.setdefault("DJANGO_HSTS_SECONDS", "0")
os.environ.setdefault("FIGURES_CACHE_SECONDS", "0")  # a test sees the figures of its own data
os.environ.setdefault("RESPONSE_CACHE_SECONDS", "0")  # the same for kept responses (core.response_cache)

from config.settings import *  # noqa: E402,F403
