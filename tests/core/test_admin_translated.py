"""The Django admin reads Chinese in zh-hans: column headers, form labels, hidden headers.

Issue 10: admin pages in zh-hans still showed English column headers (list_display methods
without a translated description, the side menu's hidden table headers) and a request's change
page failed outright (an auto-set attachment field in a read-only inline)."""

import re

import pytest
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets, label_for_field
from django.test import RequestFactory
from django.utils import translation

from tests.accounts.factories import AccountFactory, ContactFactory, TransactionFactory
from tests.contracts.factories import ContractFactory
from tests.service_requests.factories import AttachmentFactory, ServiceRequestFactory

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")
# short codes that read the same in both languages
ALLOWED = {"ID", "R", "F", "M", "ABC", "RFM", "URL", "API", "IP", "CSV", "XLSX"}


def _labels(model, model_admin, request):
    """(where, label) of each list column and each visible change-form field of one admin."""
    for name in model_admin.get_list_display(request):
        yield "column", name, str(label_for_field(name, model, model_admin))
    form = model_admin.get_form(request)()
    for name in flatten_fieldsets(model_admin.get_fieldsets(request)):
        field = form.fields.get(name)
        if field is not None:
            if not field.widget.is_hidden:
                yield "field", name, str(field.label if field.label is not None else name)
        else:
            yield "field", name, str(label_for_field(name, model, model_admin, form=form))


def test_every_admin_column_and_field_label_is_chinese(admin_user):
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    english = []
    with translation.override("zh-hans"):
        for model, model_admin in admin.site._registry.items():
            for where, name, label in _labels(model, model_admin, request):
                if label not in ALLOWED and not CHINESE.search(label):
                    english.append(f"{model._meta.label} {where} {name}: {label!r}")
    assert not english, "English in the zh-hans admin:\n" + "\n".join(english)


def test_change_pages_render_in_chinese_without_english_headers(client_for, admin_user):
    account = AccountFactory()
    request = ServiceRequestFactory(account=account)
    AttachmentFactory(request=request)
    pages = [
        f"/admin/accounts/account/{account.pk}/change/",
        f"/admin/accounts/contact/{ContactFactory(account=account).pk}/change/",
        f"/admin/accounts/transaction/{TransactionFactory(account=account).pk}/change/",
        f"/admin/contracts/contract/{ContractFactory(account=account).pk}/change/",
        f"/admin/service_requests/servicerequest/{request.pk}/change/",
        "/admin/",
    ]
    client = client_for(admin_user)
    client.cookies["django_language"] = "zh-hans"
    with translation.override("en"):  # the language the requests switch to is switched back after
        for path in pages:
            response = client.get(path)
            assert response.status_code == 200, path
            html = response.content.decode()
            assert "Model name" not in html and "Change or view list link" not in html, path
            assert "模型名称" in html, path
