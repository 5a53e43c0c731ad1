"""A page recounted with ?refresh=1 (the dashboard's and coverage's "Refresh" link) drops it from
the address bar: a reload, a bookmark or a shared link then reads the kept figures instead of
recounting every account again. The other parameters stay."""

import pytest

from tests.users.factories import UserFactory
from users.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("path", ["/visits/coverage/?month=2026-11&refresh=1", "/?refresh=1&view=director"])
def test_refresh_leaves_the_address_bar(sign_in, live_server, path):
    UserFactory(username="zhao", password="Pw-123456!", role=Role.DIRECTOR)
    page = sign_in("zhao", "Pw-123456!")
    page.goto(f"{live_server.url}{path}")
    page.wait_for_load_state("networkidle")
    assert "refresh" not in page.url
    kept = path.split("?")[1].replace("refresh=1", "").strip("&")
    assert page.url.endswith(kept)
    assert page.locator("[data-testid=figures-as-of]").is_visible()
