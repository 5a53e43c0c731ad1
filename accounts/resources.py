"""Import/export definitions (django-import-export) for admin: CSV and XLSX.

A file with any bad row imports nothing (the whole import runs in one transaction) and the
admin lists each bad row with its line number and the reason.
"""

from django.db import transaction
from import_export import fields, resources, widgets

from users.models import User

from .models import CONTACT_FIELDS, Account, Contact, Transaction
from .search import refresh_search_text


class AllOrNothingResource(resources.ModelResource):
    """A file with any invalid row stores nothing (import-export alone keeps the good rows)."""

    def import_data(self, dataset, dry_run=False, raise_errors=False, **kwargs):
        with transaction.atomic():
            result = super().import_data(dataset, dry_run=dry_run, raise_errors=raise_errors, **kwargs)
            if result.has_validation_errors() or result.has_errors():
                transaction.set_rollback(True)
            elif not dry_run:
                self.after_successful_import(result)
        return result

    def after_successful_import(self, result):
        pass


class AccountResource(AllOrNothingResource):
    owner = fields.Field(
        column_name="owner",
        attribute="owner",
        widget=widgets.ForeignKeyWidget(User, field="username"),
    )
    parent = fields.Field(
        column_name="parent",
        attribute="parent",
        widget=widgets.ForeignKeyWidget(Account, field="number"),
    )

    class Meta:
        model = Account
        import_id_fields = ["number"]
        fields = [
            "number",
            "name",
            "nickname",
            "category",
            "industry",
            "region",
            "address",
            "phone",
            "email",
            "website",
            "parent",
            "owner",
            "status",
            "source",
            "tags",
            "notes",
            "tier",
            "revenue_12m",
        ]
        export_order = fields
        skip_unchanged = True
        clean_model_instances = True

    def get_instance(self, instance_loader, row):
        # a blank or missing number means "a new account"; the number is assigned on save
        if not (row.get("number") or "").strip():
            return None
        return super().get_instance(instance_loader, row)

    def before_import(self, dataset, **kwargs):
        if "number" not in dataset.headers:
            dataset.append_col([""] * len(dataset), header="number")

    def before_save_instance(self, instance, row, **kwargs):
        instance.number = instance.number or None

    def after_successful_import(self, result):
        refresh_search_text(_imported_ids(result))

    def after_save_instance(self, instance, row, **kwargs):
        if not instance.number and not kwargs.get("dry_run"):
            instance.number = f"KA{instance.pk:08d}"
            Account.objects.filter(pk=instance.pk).update(number=instance.number)


def _imported_ids(result) -> list[int]:
    return [row.object_id for row in result.rows if row.object_id and row.import_type in ("new", "update")]


class ContactResource(AllOrNothingResource):
    account = fields.Field(
        column_name="account",
        attribute="account",
        widget=widgets.ForeignKeyWidget(Account, field="number"),
    )

    def after_successful_import(self, result):
        ids = Contact.objects.filter(pk__in=_imported_ids(result)).values_list("account_id", flat=True)
        refresh_search_text(ids)

    class Meta:
        model = Contact
        fields = ["id", "account", *CONTACT_FIELDS]
        clean_model_instances = True


class TransactionResource(AllOrNothingResource):
    account = fields.Field(
        column_name="account",
        attribute="account",
        widget=widgets.ForeignKeyWidget(Account, field="number"),
    )

    class Meta:
        model = Transaction
        import_id_fields = ["source_system", "external_ref"]
        fields = [
            "account",
            "kind",
            "amount",
            "occurred_at",
            "product_line",
            "source_system",
            "external_ref",
            "note",
        ]
        skip_unchanged = True
        clean_model_instances = True
