import pytest
import tablib

from accounts.models import Account, Transaction
from accounts.resources import AccountResource, TransactionResource
from tests.accounts.factories import AccountFactory

pytestmark = pytest.mark.django_db(transaction=True)


def dataset(headers, rows):
    data = tablib.Dataset(headers=headers)
    for row in rows:
        data.append(row)
    return data


def test_a_file_with_one_bad_row_reports_its_line_and_imports_nothing(manager):
    data = dataset(
        ["name", "category", "status", "phone", "owner"],
        [
            ["Good One", "strategic", "active", "13800138000", manager.username],
            ["Bad Phone", "strategic", "active", "12", manager.username],
            ["Good Two", "group", "prospect", "", manager.username],
        ],
    )
    result = AccountResource().import_data(data, dry_run=False, raise_errors=False)
    assert result.has_validation_errors()
    bad = result.invalid_rows
    assert [row.number for row in bad] == [2]
    assert "phone" in bad[0].error_dict
    assert Account.objects.count() == 0


def test_a_clean_file_imports_every_row_with_numbers(manager):
    data = dataset(
        ["name", "category", "status", "owner"],
        [
            ["Imported A", "strategic", "active", manager.username],
            ["Imported B", "group", "prospect", manager.username],
        ],
    )
    result = AccountResource().import_data(data, dry_run=False, raise_errors=False)
    assert not result.has_errors() and not result.has_validation_errors()
    assert Account.objects.filter(number__startswith="KA").count() == 2


def test_transactions_import_twice_is_idempotent(manager):
    account = AccountFactory(owner=manager)
    data = dataset(
        ["account", "kind", "amount", "occurred_at", "source_system", "external_ref"],
        [
            [account.number, "purchase", "100.00", "2026-10-01 10:00:00", "import", "r1"],
            [account.number, "refund", "10.00", "2026-10-02 10:00:00", "import", "r2"],
        ],
    )
    TransactionResource().import_data(data, dry_run=False, raise_errors=True)
    TransactionResource().import_data(data, dry_run=False, raise_errors=True)
    assert Transaction.objects.count() == 2


def test_admin_import_page_lists_bad_rows(client, admin_user):
    client.force_login(admin_user, backend="users.auth.PersonBackend")
    response = client.get("/admin/accounts/account/import/")
    assert response.status_code == 200
    response = client.get("/admin/accounts/account/export/")
    assert response.status_code == 200
