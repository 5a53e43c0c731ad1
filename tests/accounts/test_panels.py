"""Account-page panels (accounts.panels): lazy, access-checked, and free for the 360° page."""

from contextlib import ExitStack

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.panels import PANELS, AccountPanel, register_account_panel
from tests.accounts.factories import AccountFactory
from users.roles import Role
from users.visibility import has_role

pytestmark = pytest.mark.django_db


def _panel_context(*, user, account):
    from accounts.models import Contact

    return {"count": Contact.objects.filter(account=account).count(), "name": account.name}


@pytest.fixture
def ten_panels():
    """Ten panels, each of which would cost a query if the 360° page built it."""
    keys = [f"test.panel{i}" for i in range(10)]
    with ExitStack() as stack:
        for i, key in enumerate(keys):
            panel = AccountPanel(
                key=key,
                order=100 + i,
                title=f"Panel {i}",
                template="tests/panel.html",
                context=_panel_context,
                visible=lambda user: True,
                column="main" if i % 2 else "side",
            )
            stack.enter_context(PANELS.registered(key, panel))
        yield keys


@pytest.fixture
def panel_template(settings, tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "panel.html").write_text('<p data-testid="test-panel">{{ ctx.name }}: {{ ctx.count }}</p>')
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], str(tmp_path)]},
        *settings.TEMPLATES[1:],
    ]


def test_the_360_page_query_count_does_not_grow_with_panels(
    client_for, manager, panel_template, django_assert_num_queries, request
):
    account = AccountFactory(owner=manager)
    client = client_for(manager)
    client.get(f"/accounts/{account.pk}/")  # warm the session and the user's roles
    with CaptureQueriesContext(connection) as before:
        client.get(f"/accounts/{account.pk}/")
    request.getfixturevalue("ten_panels")
    with django_assert_num_queries(len(before.captured_queries)):
        response = client.get(f"/accounts/{account.pk}/")
    html = response.content.decode()
    assert html.count('hx-trigger="revealed"') == len(PANELS)  # one placeholder per panel
    assert f'hx-get="/accounts/{account.pk}/panels/test.panel3/"' in html
    assert "Panel 3" in html  # the title shows while it loads


def test_a_panel_loads_from_its_url(client_for, manager, panel_template, ten_panels):
    account = AccountFactory(owner=manager, name="Panel Co")
    response = client_for(manager).get(f"/accounts/{account.pk}/panels/test.panel0/")
    assert response.status_code == 200
    assert 'data-testid="test-panel">Panel Co: 0' in response.content.decode()


def test_the_panel_url_checks_the_account(client_for, manager, other_manager, panel_template, ten_panels):
    theirs = AccountFactory(owner=other_manager)
    assert client_for(manager).get(f"/accounts/{theirs.pk}/panels/test.panel0/").status_code == 404


def test_the_panel_url_checks_the_panel(client_for, manager, finance_user, panel_template):
    account = AccountFactory(owner=manager)
    with PANELS.registered(
        "test.directors_only",
        AccountPanel(
            key="test.directors_only",
            order=1,
            title="Directors",
            template="tests/panel.html",
            context=_panel_context,
            visible=lambda user: has_role(user, Role.DIRECTOR),
        ),
    ):
        client = client_for(manager)
        assert client.get(f"/accounts/{account.pk}/panels/test.directors_only/").status_code == 404
        assert "test.directors_only" not in client.get(f"/accounts/{account.pk}/").content.decode()
    assert client.get(f"/accounts/{account.pk}/panels/no.such.panel/").status_code == 404


def test_the_tier_card_is_a_lazy_panel(client_for, manager):
    account = AccountFactory(owner=manager, tier="vip")
    client = client_for(manager)
    assert 'id="tier-card"' not in client.get(f"/accounts/{account.pk}/").content.decode()
    html = client.get(f"/accounts/{account.pk}/panels/tiering.tier/").content.decode()
    assert 'id="tier-card"' in html and "VIP" in html


def test_a_second_registration_of_a_key_is_refused():
    with pytest.raises(ImproperlyConfigured, match="account panel 'tiering.tier' is already registered"):
        register_account_panel(
            key="tiering.tier",
            order=1,
            title="Again",
            template="tests/panel.html",
            context=_panel_context,
            visible=lambda user: True,
        )


def test_an_unknown_column_is_refused():
    with pytest.raises(ImproperlyConfigured, match="column must be one of"):
        register_account_panel(
            key="test.wide",
            order=1,
            title="Wide",
            template="tests/panel.html",
            context=_panel_context,
            visible=lambda user: True,
            column="left",
        )
    assert "test.wide" not in PANELS
