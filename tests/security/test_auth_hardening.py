"""Issue 8, items 11 and 14: the sign-in lockout cannot be turned into a weapon; service accounts
use tokens only; tokens expire, are rotated and expired by administrators, and are throttled."""

import datetime
import random

import pytest
from axes.models import AccessAttempt
from django.utils import timezone
from rest_framework.authtoken.models import Token

from tests.users.factories import UserFactory
from users.auth import FailedAuthThrottle, TokenRateThrottle
from users.roles import Role

pytestmark = pytest.mark.django_db
PROXY = "10.0.0.1"


@pytest.fixture
def person(db):
    return UserFactory(username="li", password="Right-Pass-123", role=Role.MANAGER)


def sign_in(client, password, via):
    """A sign-in through the TLS proxy, which appends the client's address to X-Forwarded-For."""
    return client.post(
        "/auth/login/",
        {"username": "li", "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=via,
    )


class TestLockoutBehindAProxy:
    def test_an_attacker_does_not_lock_out_other_clients(self, client, person, settings):
        settings.TRUSTED_PROXIES = 1
        for _ in range(settings.AXES_FAILURE_LIMIT):
            sign_in(client, "nope", "203.0.113.9")
        assert sign_in(client, "Right-Pass-123", "203.0.113.9").status_code == 429  # the attacker is locked
        response = sign_in(client, "Right-Pass-123", "198.51.100.7")  # the real user, elsewhere
        assert response.status_code == 302

    def test_a_forged_forwarded_for_does_not_escape_the_lockout(self, client, person, settings):
        settings.TRUSTED_PROXIES = 1
        for n in range(settings.AXES_FAILURE_LIMIT):
            sign_in(client, "nope", f"192.0.2.{n}, 203.0.113.9")  # the proxy appends the real address
        assert sign_in(client, "Right-Pass-123", "192.0.2.200, 203.0.113.9").status_code == 429

    def test_failures_during_the_lockout_do_not_extend_it(self, client, person, settings):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post("/auth/login/", {"username": "li", "password": "nope"})
        attempt = AccessAttempt.objects.get(username="li")
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=timezone.now() - datetime.timedelta(minutes=30))
        for _ in range(3):
            assert client.post("/auth/login/", {"username": "li", "password": "nope"}).status_code == 429
        attempt.refresh_from_db()
        assert attempt.attempt_time < timezone.now() - datetime.timedelta(minutes=29)


@pytest.fixture
def integration(db):
    return UserFactory(username="erp", password="Erp-Pass-12345", is_service_account=True, role=Role.FINANCE)


class TestServiceAccounts:
    def test_no_web_sign_in(self, client, integration):
        response = client.post("/auth/login/", {"username": "erp", "password": "Erp-Pass-12345"})
        assert response.status_code == 200 and "_auth_user_id" not in client.session
        integration.is_staff = True
        integration.save()
        response = client.post("/admin/login/", {"username": "erp", "password": "Erp-Pass-12345"})
        assert "_auth_user_id" not in client.session

    def test_a_session_it_holds_no_longer_counts(self, client, integration):
        client.force_login(integration, backend="users.auth.PersonBackend")
        assert client.get("/accounts/export.csv").status_code == 302  # to the sign-in page
        assert client.get("/api/accounts/").status_code == 401

    def test_the_token_works(self, api_client, integration):
        token = Token.objects.create(user=integration)
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        assert api_client.get("/api/accounts/").status_code == 200


class TestTokens:
    def test_an_old_token_has_expired(self, api_client, integration, settings):
        token = Token.objects.create(user=integration)
        Token.objects.filter(pk=token.pk).update(
            created=timezone.now() - datetime.timedelta(days=settings.TOKEN_TTL_DAYS + 1)
        )
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        response = api_client.get("/api/accounts/")
        assert response.status_code == 401
        assert response.json()["code"] == "authentication_failed"
        assert "expired" in response.json()["detail"]

    def test_bad_tokens_are_throttled(self, api_client, integration, monkeypatch):
        monkeypatch.setattr(FailedAuthThrottle, "THROTTLE_RATES", {"failed_auth": "3/min"})
        address = f"198.18.{random.randint(0, 255)}.{random.randint(1, 254)}"  # noqa: S311 - a test address
        api_client.credentials(HTTP_AUTHORIZATION="Token wrong")
        answers = [api_client.get("/api/accounts/", REMOTE_ADDR=address).status_code for _ in range(4)]
        assert answers == [401, 401, 401, 429]
        assert api_client.get("/api/accounts/", REMOTE_ADDR=address).json()["code"] == "throttled"

    def test_each_token_has_a_rate(self, api_client, integration, monkeypatch):
        monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "3/min"})
        token = Token.objects.create(user=integration)
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        answers = [api_client.get("/api/accounts/").status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429]

    def test_administrators_rotate_and_expire_tokens(self, client_for, admin_user, integration, api_client):
        old = Token.objects.create(user=integration)
        client = client_for(admin_user)
        response = client.post(
            "/admin/authtoken/tokenproxy/", {"action": "rotate", "_selected_action": [old.pk]}, follow=True
        )
        new = Token.objects.get(user=integration)
        assert new.key != old.key and new.key in response.content.decode()
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {old.key}")
        assert api_client.get("/api/accounts/").status_code == 401
        client.post("/admin/authtoken/tokenproxy/", {"action": "expire", "_selected_action": [new.pk]})
        assert not Token.objects.filter(user=integration).exists()
