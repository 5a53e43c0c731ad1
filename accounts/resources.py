"""Import/export definitions (django-import-export) for admin: CSV and XLSX.

A file with any bad row imports nothing (the whole import runs in one transaction) and the
admin lists each bad row with its line number and the reason.
"""

from import_export import fields, resources, widgets

from users.models import User

from .models import Account, Contact, Transaction


class AccountResource(resources.ModelResource):
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

    def after_save_instance(self, instance, row, **kwargs):
        if not instance.number and not kwargs.get("dry_run"):
            instance.number = f"KA{instance.pk:08d}"
            Account.objects.filter(pk=instance.pk).update(number=instance.number)


class ContactResource(resources.ModelResource):
    account = fields.Field(
        column_name="account",
        attribute="account",
        widget=widgets.ForeignKeyWidget(Account, field="number"),
    )

    class Meta:
        model = Contact
        fields = [
            "id",
            "account",
            "name",
            "title",
            "department",
            "role",
            "attitude",
            "influence",
            "phone",
            "email",
            "birthday_calendar",
            "birth_year",
            "birth_month",
            "birth_day",
            "interests",
            "preferred_channel",
            "is_primary",
        ]
        clean_model_instances = True


class TransactionResource(resources.ModelResource):
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
