import pytest
from django.contrib.auth.hashers import identify_hasher

from tests.users.factories import UserFactory
from users.roles import Role


@pytest.fixture
def person(db):
    return UserFactory(username="li", password="Right-Pass-123", role=Role.MANAGER)


def test_sign_in_page_renders(client, db):
    response = client.get("/auth/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_sign_in_with_right_password_reaches_the_dashboard(client, person):
    response = client.post("/auth/login/", {"username": "li", "password": "Right-Pass-123"}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert response.context["user"] == person


def test_passwords_are_hashed_with_argon2(person):
    assert identify_hasher(person.password).algorithm == "argon2"


def test_wrong_password_shows_a_clear_error(client, person):
    response = client.post("/auth/login/", {"username": "li", "password": "nope"})
    assert response.status_code == 200
    assert "Wrong user name or password" in response.content.decode()


def test_sign_in_error_follows_each_readers_language(client, person):
    client.post("/auth/login/", {"username": "li", "password": "nope"})  # an English request first
    response = client.post("/auth/login/", {"username": "li", "password": "nope"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "用户名或密码错误" in response.content.decode()
    response = client.post("/auth/login/", {"username": "li", "password": "nope"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Wrong user name or password" in response.content.decode()


def test_sign_in_is_locked_after_repeated_failures(client, person, settings):
    """After AXES_FAILURE_LIMIT failures even the right password is refused."""
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/auth/login/", {"username": "li", "password": "nope"})
    response = client.post("/auth/login/", {"username": "li", "password": "Right-Pass-123"})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_pages_need_sign_in(client, db):
    response = client.get("/accounts/")
    assert response.status_code == 302
    assert response["Location"].startswith("/auth/login/")


def test_sign_out_is_a_post(client, person):
    client.force_login(person, backend="users.auth.PersonBackend")
    response = client.post("/auth/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_change(client_for, person):
    client = client_for(person)
    response = client.post(
        "/auth/password/",
        {"old_password": "Right-Pass-123", "new_password1": "Another-Pass-456", "new_password2": "Another-Pass-456"},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password("Another-Pass-456")


def test_api_accepts_a_token_for_a_service_account(api_client, db):
    from rest_framework.authtoken.models import Token

    erp = UserFactory(username="erp", is_service_account=True, role=Role.FINANCE)
    token = Token.objects.create(user=erp)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api_client.get("/api/accounts/").status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION="Token wrong")
    assert api_client.get("/api/accounts/").status_code == 401


def test_language_switch_to_chinese(client_for, person):
    client = client_for(person)
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"}, follow=True)
    assert response.status_code == 200
    assert response.context["LANGUAGE_CODE"] == "zh-hans"
    assert '<html lang="zh-hans">' in response.content.decode()
