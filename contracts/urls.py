from django.urls import path

from . import views

app_name = "contracts"
urlpatterns = [
    path("", views.contract_list, name="list"),
    path("export.<str:fmt>", views.contract_export, name="export"),
    path("new/", views.contract_create, name="create"),
    path("<int:pk>/", views.contract_detail, name="detail"),
    path("<int:pk>/edit/", views.contract_edit, name="edit"),
    path("<int:pk>/submit/", views.contract_submit, name="submit"),
    path("<int:pk>/withdraw/", views.contract_withdraw, name="withdraw"),
    path("<int:pk>/amend/", views.contract_amend, name="amend"),
    path("<int:pk>/terminate/", views.contract_terminate, name="terminate"),
    path("<int:pk>/renew/", views.contract_renew, name="renew"),
    path("<int:pk>/schedule/", views.schedule_edit, name="schedule"),
    path("<int:pk>/documents/new/", views.document_upload, name="document_upload"),
    path("<int:pk>/statement/", views.contract_statement, name="statement"),
    path("installments/<int:pk>/delete/", views.installment_delete, name="installment_delete"),
    path("documents/<int:pk>/", views.document_download, name="document_download"),
    path("documents/<int:pk>/archive/", views.document_archive, name="document_archive"),
    path("approvals/", views.approval_inbox, name="approvals"),
    path("approvals/<int:pk>/decide/", views.approval_decide, name="approval_decide"),
    path("receivables/", views.receivables, name="receivables"),
    path("receivables/export.<str:fmt>", views.receivables_export, name="receivables_export"),
    path("accounts/<int:pk>/statement/", views.account_statement, name="account_statement"),
    path("payments/", views.payment_list, name="payments"),
    path("payments/export.<str:fmt>", views.payment_export, name="payments_export"),
    path("payments/new/", views.payment_create, name="payment_create"),
    path("payments/<int:pk>/void/", views.payment_void, name="payment_void"),
    path("transactions/new/", views.transaction_create, name="transaction_create"),
    path("reconcile/", views.reconcile, name="reconcile"),
    path("lookup/accounts/", views.account_lookup, name="account_lookup"),
    path("lookup/contracts/", views.contract_lookup, name="contract_lookup"),
]
