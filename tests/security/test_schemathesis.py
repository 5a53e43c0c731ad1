"""Issue 8, "checks that keep it so": schemathesis with every check and the stateful phase (the
schema's links) against the live test server, with a director's and a manager's token: no server
error and no answer that contradicts the schema."""

import datetime
import os
import subprocess  # nosec B404
import sys
from pathlib import Path

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from tests.accounts.factories import (
    AccountFactory,
    CompetitorFactory,
    CompetitorPresenceFactory,
    ContactFactory,
    FeedbackFactory,
    TransactionFactory,
)
from tests.users.factories import UserFactory
from tiering.services import tiers_recompute
from users.auth import TokenRateThrottle
from users.roles import Role

pytestmark = [pytest.mark.contract, pytest.mark.django_db(transaction=True)]
ST = Path(sys.executable).with_name("st")


def seed():
    director = UserFactory(username="st-director", role=Role.DIRECTOR)
    manager = UserFactory(username="st-manager", role=Role.MANAGER)
    other = UserFactory(username="st-other", role=Role.MANAGER)
    for owner in (manager, manager, other):
        account = AccountFactory(owner=owner)
        ContactFactory(account=account)
        FeedbackFactory(account=account)
        CompetitorPresenceFactory(account=account, competitor=CompetitorFactory())
        for days in (3, 50):
            TransactionFactory(account=account, occurred_at=timezone.now() - datetime.timedelta(days=days))
    tiers_recompute()
    return director, manager


@pytest.mark.parametrize("who", ["director", "manager"])
def test_the_api_keeps_its_schema(who, live_server, monkeypatch, tmp_path):
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "100000/min"})
    director, manager = seed()
    token = Token.objects.create(user=director if who == "director" else manager)
    command = [
        str(ST),
        "run",
        f"{live_server.url}/api/schema/",
        "--header",
        f"Authorization: Token {token.key}",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        os.environ.get("SCHEMATHESIS_EXAMPLES", "12"),
        "--seed",
        "2026",
        "--workers",
        "1",
        "--request-timeout",
        "60",
        "--generation-allow-x00",
        "true",
        "--report-dir",
        str(tmp_path),
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=1500)  # nosec B603
    assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-3000:]
