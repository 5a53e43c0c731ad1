"""Issue 8, "checks that keep it so": the API speaks JSON, and a Python client generated from its
schema with openapi-python-client works: it pushes a transaction batch to the live test server."""

import datetime
import importlib
import os
import subprocess  # nosec B404
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import Transaction
from tests.accounts.factories import AccountFactory
from tests.users.factories import UserFactory
from users.roles import Role

pytestmark = [pytest.mark.contract, pytest.mark.django_db(transaction=True)]
GENERATOR = Path(sys.executable).with_name("openapi-python-client")


def test_a_generated_client_pushes_a_transaction_batch(live_server, tmp_path, monkeypatch):
    schema = tmp_path / "schema.json"
    call_command("spectacular", "--file", str(schema), "--format", "openapi-json")
    env = {**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    generated = subprocess.run(  # nosec B603 - fixed arguments
        [str(GENERATOR), "generate", "--path", str(schema), "--output-path", str(tmp_path / "crm_client")]
        + ["--meta", "none"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "Unable to parse" not in generated.stdout + generated.stderr, generated.stdout  # every endpoint made it
    monkeypatch.syspath_prepend(str(tmp_path))
    client_module = importlib.import_module("crm_client")
    bulk = importlib.import_module("crm_client.api.transactions.transactions_bulk_create")
    models = importlib.import_module("crm_client.models")

    integration = UserFactory(username="billing-bot", is_service_account=True, role=Role.FINANCE)
    token = Token.objects.create(user=integration)
    account = AccountFactory()
    client = client_module.AuthenticatedClient(base_url=live_server.url, token=token.key, prefix="Token")
    when = timezone.now() - datetime.timedelta(days=1)
    body = models.BulkTransactionRequest(
        rows=[
            models.TransactionRequest(
                account=account.pk,
                amount="1200.50",
                occurred_at=when,
                kind=models.TransactionKindEnum.RECHARGE,
                source_system="billing-bot",  # an integration pushes under its own name
                external_ref=f"INV-{n}",
            )
            for n in (1, 2)
        ]
    )
    with client as http:
        result = bulk.sync(client=http, body=body)
    assert isinstance(result, models.BulkTransactionResult), result
    assert sorted(result.created) == ["INV-1", "INV-2"]
    assert Transaction.objects.filter(account=account, source_system="billing-bot").count() == 2
