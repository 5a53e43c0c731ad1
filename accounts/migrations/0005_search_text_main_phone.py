"""Rebuild every account's search text: it now holds the account's own main phone, and phones
as their national digits ("+86", spaces, dashes and a leading 0 dropped; see accounts.search)."""

from django.db import migrations


def rebuild(apps, schema_editor):
    from accounts.search import build_search_text

    Account = apps.get_model("accounts", "Account")
    Contact = apps.get_model("accounts", "Contact")
    AccountSearch = apps.get_model("accounts", "AccountSearch")
    last = 0
    while True:
        accounts = list(
            Account.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "name", "nickname", "number", "phone")[:2000]
        )
        if not accounts:
            return
        last = accounts[-1][0]
        contacts = {}
        for account_id, name, phone in Contact.objects.filter(
            account_id__in=[a[0] for a in accounts], is_archived=False
        ).values_list("account_id", "name", "phone"):
            contacts.setdefault(account_id, []).append((name, phone))
        AccountSearch.objects.bulk_create(
            [
                AccountSearch(
                    account_id=pk,
                    text=build_search_text(
                        name=name, nickname=nickname, number=number, phone=phone, contacts=contacts.get(pk, [])
                    ),
                )
                for pk, name, nickname, number, phone in accounts
            ],
            update_conflicts=True,
            unique_fields=["account"],
            update_fields=["text"],
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_merge_20261130_1658")]

    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop)]
