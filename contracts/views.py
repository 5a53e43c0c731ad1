"""Contract, approval and finance pages. Thin: forms validate, services write, selectors read."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from accounts import services as account_services
from accounts.filters import account_search_q
from accounts.models import Account
from accounts.selectors import account_get_for_user
from core.export import columns_export
from core.forms import add_service_errors
from core.money import format_money
from users.permissions import crm_permission_required, has_crm_perm
from users.visibility import visible_to

from . import reconcile as reconciliation
from . import selectors, services
from .filters import ContractFilter
from .forms import (
    AmendForm,
    ContractForm,
    DecisionForm,
    DocumentForm,
    EvenScheduleForm,
    InstallmentForm,
    PaymentForm,
    PaymentVoidForm,
    ReconcileForm,
    TerminateForm,
    TransactionForm,
)
from .models import Contract
from .money import terms_for

PAGE_SIZE = 25
EXPORT_COLUMNS = [
    (gettext_lazy("Contract no."), lambda c: c.number),
    (gettext_lazy("Title"), lambda c: c.title),
    (gettext_lazy("Account"), lambda c: c.account.name),
    (gettext_lazy("Type"), lambda c: c.get_type_display()),
    (gettext_lazy("Status"), lambda c: c.get_status_display()),
    (pgettext_lazy("contract amount", "Value"), lambda c: c.value),
    (gettext_lazy("Currency"), lambda c: c.currency),
    (gettext_lazy("Signed on"), lambda c: c.signed_on),
    (gettext_lazy("Start date"), lambda c: c.start_on),
    (gettext_lazy("End date"), lambda c: c.end_on),
    (gettext_lazy("Auto-renew"), lambda c: _("yes") if c.auto_renew else _("no")),
    (gettext_lazy("Owner"), lambda c: str(c.owner or "")),
]
RECEIVABLE_COLUMNS = [
    (gettext_lazy("Contract no."), lambda c: c.number),
    (gettext_lazy("Account"), lambda c: c.account.name),
    (gettext_lazy("Currency"), lambda c: c.currency),
    (gettext_lazy("Due to date"), lambda c: c.due_total),
    (gettext_lazy("Paid towards it"), lambda c: c.paid_due),
    (gettext_lazy("Outstanding"), lambda c: c.outstanding),
    (gettext_lazy("Overdue"), lambda c: c.overdue_amount),
    (gettext_lazy("Late fees"), lambda c: c.statement.late_fees),
    (gettext_lazy("Credit"), lambda c: c.statement.credit),
    (gettext_lazy("Balance due"), lambda c: c.statement.balance),
    (gettext_lazy("Owner"), lambda c: str(c.owner or "")),
]

PAYMENT_COLUMNS = [
    (gettext_lazy("Received on"), lambda p: p.received_on),
    (gettext_lazy("Contract no."), lambda p: p.contract.number),
    (gettext_lazy("Account"), lambda p: p.account.name),
    (gettext_lazy("Currency"), lambda p: p.contract.currency),
    (gettext_lazy("Amount"), lambda p: p.amount),
    (pgettext_lazy("payment", "Method"), lambda p: p.get_method_display()),
    (gettext_lazy("Reference"), lambda p: p.reference),
    (gettext_lazy("Recorded by"), lambda p: str(p.recorded_by or "")),
    (gettext_lazy("Reconciled"), lambda p: _local_minute(p.reconciled_at)),
    (gettext_lazy("Voided at"), lambda p: _local_minute(p.voided_at)),
    (gettext_lazy("Reason for voiding"), lambda p: p.void_reason),
]


def _local_minute(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _flash_error(request, exc: ValidationError):
    messages.error(request, " ".join(exc.messages))


def _querystrings(request, sort):
    params = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        if key != "page" and (kept := [v for v in values if v.strip()]):
            params.setlist(key, kept)
    params["sort"] = sort
    filters_only = params.copy()
    filters_only.pop("sort", None)
    return params.urlencode(), filters_only.urlencode()


def _as_of(request) -> datetime.date:
    try:
        return datetime.date.fromisoformat(request.GET.get("as_of", ""))
    except ValueError:
        return timezone.localdate()


# --- contracts ------------------------------------------------------------------------------


def _filtered(request):
    filterset = ContractFilter(request.GET, queryset=Contract.objects.all())
    filterset.is_valid()
    sort = request.GET.get("sort", selectors.DEFAULT_SORT)
    if sort not in selectors.CONTRACT_SORTS:
        sort = selectors.DEFAULT_SORT
    return filterset, selectors.contract_list(user=request.user, qs=filterset.qs, sort=sort), sort


@login_required
@crm_permission_required("contracts.view_contract")
@vary_on_headers("HX-Request")
def contract_list(request):
    filterset, qs, sort = _filtered(request)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    querystring, sort_querystring = _querystrings(request, sort)
    fragment = bool(request.htmx and not request.htmx.boosted)
    context = {
        "filter": filterset,
        "page": page,
        "sort": sort,
        "querystring": querystring,
        "sort_querystring": sort_querystring,
        "can_add": has_crm_perm(request.user, "contracts.add_contract"),
        "oob": fragment,
        "today": timezone.localdate(),
    }
    template = "contracts/_contract_table.html" if fragment else "contracts/contract_list.html"
    return render(request, template, context)


@login_required
@crm_permission_required("contracts.view_contract")
def contract_export(request, fmt):
    _filterset, qs, _sort = _filtered(request)
    return columns_export(
        fmt=fmt,
        filename="contracts",
        columns=EXPORT_COLUMNS,
        objects=qs,
    )


@login_required
@crm_permission_required("contracts.view_contract")
def contract_detail(request, pk):
    contract = selectors.contract_get_for_user(user=request.user, pk=pk)
    context = selectors.contract_page(contract=contract, as_of=_as_of(request))
    user = request.user
    can_change = has_crm_perm(user, "contracts.change_contract")
    terms = terms_for(contract)
    context.update(
        {
            "can_edit": can_change and contract.is_editable,
            "can_submit": can_change and contract.is_editable,
            "can_withdraw": can_change and contract.status == Contract.Status.PENDING,
            "can_amend": has_crm_perm(user, "contracts.add_amendment") and contract.is_in_force,
            "can_terminate": can_change and contract.status in services.TRANSITIONS_TO_TERMINATED,
            "can_renew": can_change and context["renewal"] is None and contract.status in services.RENEWABLE,
            "can_schedule": has_crm_perm(user, "contracts.change_installment")
            and contract.status not in services.SCHEDULE_CLOSED,
            "can_pay": has_crm_perm(user, "contracts.add_payment") and contract.status in services.PAYABLE,
            "can_void": has_crm_perm(user, "contracts.change_payment"),
            "can_upload": has_crm_perm(user, "contracts.add_contractdocument"),
            "decidable": [s for s in context["approvals"] if services.can_decide(user=user, step=s)],
            "amendment_rows": [(a, selectors.amendment_fields(a)) for a in context["amendments"]],
            "terms": terms,
            "rate_display": f"{terms.rate_percent.normalize():f}",
            "uses_defaults": None in (contract.late_fee_rate, contract.late_fee_cap, contract.grace_days),
        }
    )
    return render(request, "contracts/contract_detail.html", context)


@login_required
@crm_permission_required("contracts.add_contract")
def contract_create(request):
    initial = {"owner": request.user.pk, "start_on": timezone.localdate()}
    account = None
    if request.GET.get("account"):
        account = account_get_for_user(user=request.user, pk=request.GET["account"])
        initial.update({"account": account.pk, "owner": account.owner_id})
    form = ContractForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            contract = services.contract_create(actor=request.user, account=data.pop("account"), **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Contract %(number)s drafted.") % {"number": contract.number})
            return redirect(contract)
    chosen = form["account"].value()
    if chosen and account is None:
        account = visible_to(request.user, Account.objects.filter(pk=chosen)).first() if str(chosen).isdigit() else None
    return render(request, "contracts/contract_form.html", {"form": form, "chosen_account": account})


@login_required
@crm_permission_required("contracts.change_contract")
def contract_edit(request, pk):
    contract = selectors.contract_get_for_user(user=request.user, pk=pk)
    if not contract.is_editable:
        messages.error(request, _("An approved contract is changed by an amendment, not edited."))
        return redirect(contract)
    form = ContractForm(request.POST or None, instance=contract, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_update(
                contract=contract,
                actor=request.user,
                expected_version=form.cleaned_data.get("version"),
                data=form.service_data(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(contract)
    return render(
        request,
        "contracts/contract_form.html",
        {"form": form, "contract": contract, "chosen_account": contract.account},
    )


@login_required
@crm_permission_required("contracts.change_contract")
@require_POST
def contract_submit(request, pk):
    contract = selectors.contract_get_for_user(user=request.user, pk=pk)
    try:
        services.contract_submit(contract=contract, actor=request.user, expected_version=request.POST.get("version"))
    except ValidationError as exc:
        _flash_error(request, exc)
    else:
        messages.success(request, _("Submitted for approval."))
    return redirect(contract)


@login_required
@crm_permission_required("contracts.change_contract")
@require_POST
def contract_withdraw(request, pk):
    contract = selectors.contract_get_for_user(user=request.user, pk=pk)
    try:
        services.contract_withdraw(contract=contract, actor=request.user)
    except ValidationError as exc:
        _flash_error(request, exc)
    else:
        messages.success(request, _("Withdrawn: the contract is a draft again."))
    return redirect(contract)


@login_required
@crm_permission_required("contracts.add_amendment")
def contract_amend(request, pk):
    contract = selectors.contract_get_for_user(user=request.user, pk=pk)
    form = AmendForm(request.POST or None, instance=contract, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            amendment = services.contract_amend(
                contract=selectors.contract_get_for_user(user=request.user, pk=pk),
                actor=request.user,
                expected_version=form.cleaned_data.get("version"),
                reason=form.cleaned_data["reason"],
                effective_on=form.cleaned_data["effective_on"],
                data=form.service_data(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Amendment no. %(n)s recorded.") % {"n": amendment.sequence})
            return redirect(contract)
    current = Contract.objects.select_related("owner").get(pk=contract.pk)
    term_rows = [(form[name], _term_display(current, name)) for name in services.AMENDABLE]
    return render(request, "contracts/amend_form.html", {"form": form, "contract": contract, "term_rows": term_rows})


def _term_display(contract, name) -> str:
    value = getattr(contract, name)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return "" if value is None else str(value)


@login_required
@crm_permission_required("contracts.change_contract")
def contract_terminate(request, pk):
    contract = selectors.contract_get_for_user(user=request.user, pk=pk)
    form = TerminateForm(
        request.POST or None, initial={"version": contract.version, "terminated_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_terminate(
                contract=contract,
                actor=request.user,
                expected_version=form.cleaned_data.get("version"),
                reason=form.cleaned_data["reason"],
                terminated_on=form.cleaned_data["terminated_on"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Contract %(number)s terminated.") % {"number": contract.number})
            return redirect(contract)
    return render(
        request,
        "contracts/simple_form.html",
        {
            "form": form,
            "contract": contract,
            "title": _("Terminate contract %(number)s") % {"number": contract.number},
            "submit_label": _("Terminate"),
            "danger": True,
        },
    )


@login_required
@crm_permission_required("contracts.add_contract")
@require_POST
def contract_renew(request, pk):
    contract = selectors.contract_get_for_user(user=request.user, pk=pk)
    try:
        successor = services.contract_renew(contract=contract, actor=request.user)
    except ValidationError as exc:
        _flash_error(request, exc)
        return redirect(contract)
    messages.success(
        request, _("Renewal %(number)s drafted: check its terms, then submit it.") % {"number": successor.number}
    )
    return redirect(successor)


# --- schedule and documents -------------------------------------------------------------------


@login_required
@crm_permission_required("contracts.change_installment")
def schedule_edit(request, pk):
    contract = selectors.contract_get_for_user(user=request.user, pk=pk)
    even_form = EvenScheduleForm(
        request.POST if "even" in request.POST else None, initial={"first_due_on": contract.start_on}
    )
    add_form = InstallmentForm(request.POST if "add" in request.POST else None)
    if request.method == "POST":
        try:
            if "even" in request.POST and even_form.is_valid():
                services.schedule_generate_even(contract=contract, actor=request.user, **even_form.cleaned_data)
                messages.success(request, _("Payment schedule generated."))
                return redirect(reverse("contracts:schedule", args=[contract.pk]))
            if "add" in request.POST and add_form.is_valid():
                services.installment_create(contract=contract, actor=request.user, **add_form.cleaned_data)
                messages.success(request, _("Installment added."))
                return redirect(reverse("contracts:schedule", args=[contract.pk]))
        except ValidationError as exc:
            add_service_errors(even_form if "even" in request.POST else add_form, exc)
    st = selectors.contract_statement(contract=contract)
    installments = list(contract.installments.all())
    return render(
        request,
        "contracts/schedule.html",
        {
            "contract": contract,
            "installments": installments,
            "even_form": even_form,
            "add_form": add_form,
            "scheduled": st.scheduled,
            "difference": contract.value - st.scheduled,
        },
    )


@login_required
@crm_permission_required("contracts.delete_installment")
@require_POST
def installment_delete(request, pk):
    installment = selectors.installment_get_for_user(user=request.user, pk=pk)
    contract = installment.contract
    try:
        services.installment_delete(installment=installment, actor=request.user)
    except ValidationError as exc:
        _flash_error(request, exc)
    else:
        messages.success(request, _("Installment removed; payments were allocated again."))
    return redirect(reverse("contracts:schedule", args=[contract.pk]))


@login_required
@crm_permission_required("contracts.add_contractdocument")
def document_upload(request, pk):
    contract = selectors.contract_get_for_user(user=request.user, pk=pk)
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.document_upload(
                contract=contract,
                actor=request.user,
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                name=form.cleaned_data["name"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Document uploaded."))
            return redirect(contract)
    return render(
        request,
        "contracts/simple_form.html",
        {
            "form": form,
            "contract": contract,
            "title": _("Upload a document"),
            "multipart": True,
            "submit_label": _("Upload"),
            "help": _("PDF, images, Word or Excel files up to %(mb)s MB.")
            % {"mb": services.document_max_bytes() // (1024 * 1024)},
        },
    )


@login_required
@crm_permission_required("contracts.view_contractdocument")
def document_download(request, pk):
    document = selectors.document_get_for_user(user=request.user, pk=pk)
    try:
        handle = document.file.open("rb")  # through the storage API (local or object storage)
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=document.file.name.rsplit("/", 1)[-1])


@login_required
@crm_permission_required("contracts.change_contractdocument")
@require_POST
def document_archive(request, pk):
    document = selectors.document_get_for_user(user=request.user, pk=pk)
    services.document_archive(document=document, actor=request.user)
    messages.success(request, _("Document %(name)s archived.") % {"name": document.name})
    return redirect(document.contract)


# --- money pages ------------------------------------------------------------------------------


@login_required
@crm_permission_required("contracts.view_contract")
def contract_statement(request, pk):
    contract = selectors.contract_get_for_user(user=request.user, pk=pk)
    as_of = _as_of(request)
    st = selectors.contract_statement(contract=contract, as_of=as_of)
    payments = selectors.statement_payments(contract=contract, as_of=as_of)
    return render(
        request,
        "contracts/statement.html",
        {"contract": contract, "statement": st, "as_of": as_of, "payments": payments},
    )


@login_required
@crm_permission_required("contracts.view_contract")
def account_statement(request, pk):
    account = account_get_for_user(user=request.user, pk=pk)
    data = selectors.account_statement(user=request.user, account=account, as_of=_as_of(request))
    return render(request, "contracts/account_statement.html", {"account": account, **data})


def _receivables(request):
    as_of = _as_of(request)
    filterset = ContractFilter(request.GET, queryset=Contract.objects.all())
    filterset.is_valid()
    qs = selectors.receivables(user=request.user, as_of=as_of, qs=filterset.qs)
    sort = request.GET.get("sort", "-overdue")
    order = {
        "overdue": "overdue_amount",
        "-overdue": "-overdue_amount",
        "outstanding": "outstanding",
        "-outstanding": "-outstanding",
        "account": "account__name",
        "-account": "-account__name",
    }.get(sort, "-overdue_amount")
    return filterset, qs.order_by(order, "pk"), sort, as_of


@login_required
@crm_permission_required("contracts.view_payment")
def receivables(request):
    filterset, qs, sort, as_of = _receivables(request)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.with_late_fees(page.object_list, as_of=as_of)
    querystring, sort_querystring = _querystrings(request, sort)
    return render(
        request,
        "contracts/receivables.html",
        {
            "filter": filterset,
            "page": page,
            "rows": rows,
            "sort": sort,
            "as_of": as_of,
            "querystring": querystring,
            "sort_querystring": sort_querystring,
            "can_pay": has_crm_perm(request.user, "contracts.add_payment"),
        },
    )


@login_required
@crm_permission_required("contracts.view_payment")
def receivables_export(request, fmt):
    _f, qs, _s, as_of = _receivables(request)
    return columns_export(
        fmt=fmt,
        filename="receivables",
        columns=RECEIVABLE_COLUMNS,
        objects=selectors.with_late_fees_in_chunks(qs, as_of=as_of),
    )


@login_required
@crm_permission_required("contracts.view_payment")
def payment_list(request):
    q, voided = _payment_filters(request)
    qs = selectors.payment_list(user=request.user, q=q, voided=voided)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    querystring, _s = _querystrings(request, "")
    return render(
        request,
        "contracts/payment_list.html",
        {
            "page": page,
            "q": q,
            "voided": voided,
            "querystring": querystring,
            "can_pay": has_crm_perm(request.user, "contracts.add_payment"),
        },
    )


def _payment_filters(request) -> tuple[str, str]:
    return request.GET.get("q", "").strip(), request.GET.get("voided", "")


@login_required
@crm_permission_required("contracts.view_payment")
def payment_export(request, fmt):
    """The payments listed, with the list's filters (voided ones say when and why)."""
    q, voided = _payment_filters(request)
    return columns_export(
        fmt=fmt,
        filename="payments",
        columns=PAYMENT_COLUMNS,
        objects=selectors.payment_list(user=request.user, q=q, voided=voided),
    )


@login_required
@crm_permission_required("contracts.view_payment")
def payment_void(request, pk):
    """Finance voids a wrongly recorded payment, with a reason, after seeing what changes."""
    payment = selectors.payment_get_for_user(user=request.user, pk=pk)  # another manager's: 404
    if not has_crm_perm(request.user, "contracts.change_payment"):
        raise PermissionDenied
    if payment.is_voided:
        messages.info(request, _("This payment is already voided."))
        return redirect(payment.contract)
    form = PaymentVoidForm(request.POST or None, initial={"version": payment.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.payment_void(
                actor=request.user,
                payment=payment,
                expected_version=form.cleaned_data.get("version"),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Payment of %(amount)s received on %(day)s voided; the contract's payments were allocated again.")
                % {
                    "amount": format_money(payment.amount, currency=payment.contract.currency),
                    "day": payment.received_on.strftime("%Y-%m-%d"),
                },
            )
            return redirect(payment.contract)
    return render(
        request,
        "contracts/payment_void.html",
        {
            "form": form,
            "payment": payment,
            "contract": payment.contract,
            **selectors.payment_void_preview(payment=payment),
        },
    )


def _chosen_account(request, form):
    value = form["account"].value()
    if value and str(value).isdigit():
        return visible_to(request.user, Account.objects.filter(pk=value, is_archived=False)).first()
    return None


@login_required
@crm_permission_required("contracts.add_payment")
def payment_create(request):
    initial, owed = {}, None
    if request.GET.get("contract"):
        contract = selectors.contract_get_for_user(user=request.user, pk=request.GET["contract"])
        # from a receivables row: what is owed now, and that amount offered as the payment
        owed = selectors.contract_statement(contract=contract)
        initial = {"account": contract.account_id, "contract": contract.pk}
        if owed.outstanding > 0:
            initial["amount"] = owed.outstanding
        elif owed.balance > 0:  # paid up, but late fees still owed beyond the credit
            initial["amount"] = owed.balance
    data = request.POST or None
    account_id = (data or {}).get("account") or initial.get("account")
    form = PaymentForm(
        data, user=request.user, account=account_id if str(account_id or "").isdigit() else None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        cleaned = dict(form.cleaned_data)
        cleaned.pop("account")
        try:
            payment, created = services.payment_record(actor=request.user, contract=cleaned.pop("contract"), **cleaned)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if created:
                messages.success(
                    request,
                    _("Payment of %(amount)s recorded for %(number)s.")
                    % {
                        "amount": format_money(payment.amount, currency=payment.contract.currency),
                        "number": payment.contract.number,
                    },
                )
            else:
                messages.info(request, _("This reference was already recorded; nothing was added."))
            return redirect(payment.contract)
    return render(
        request,
        "contracts/payment_form.html",
        {"form": form, "chosen_account": _chosen_account(request, form), "owed": owed},
    )


@login_required
@crm_permission_required("accounts.add_transaction")
def transaction_create(request):
    """Revenue and recharges entered by finance (the accounts app's service records them)."""
    form = TransactionForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        account = data.pop("account")
        try:
            with transaction.atomic():
                account_services.transaction_record(
                    actor=request.user,
                    account=account,
                    source_system="manual",
                    **data,
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(kind)s of %(amount)s recorded for %(account)s.")
                % {
                    "kind": dict(form.fields["kind"].choices)[data["kind"]],
                    "amount": format_money(data["amount"]),
                    "account": account.name,
                },
            )
            return redirect(reverse("contracts:transaction_create"))
    return render(
        request, "contracts/transaction_form.html", {"form": form, "chosen_account": _chosen_account(request, form)}
    )


SESSION_KEY = "contracts-reconcile"


@login_required
@crm_permission_required("contracts.change_payment")
def reconcile(request):
    form = ReconcileForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and "apply" in request.POST:
        stored = request.session.get(SESSION_KEY)
        if not stored:
            messages.error(request, _("Upload the file again: the preview has expired."))
            return redirect(reverse("contracts:reconcile"))
        rows = [reconciliation.Row.from_dict(r) for r in stored["rows"]]
        try:
            counts = reconciliation.reconciliation_apply(actor=request.user, rows=rows)
        except ValidationError as exc:
            _flash_error(request, exc)
            result = reconciliation.classify(user=request.user, rows=rows)
        else:
            request.session.pop(SESSION_KEY, None)
            messages.success(
                request,
                _("%(reconciled)s payments reconciled, %(recorded)s recorded; %(unmatched)s rows unmatched.") % counts,
            )
            return redirect(reverse("contracts:payments"))
    elif request.method == "POST" and form.is_valid():
        try:
            rows = reconciliation.parse(form.cleaned_data["file"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            result = reconciliation.classify(user=request.user, rows=rows)
            request.session[SESSION_KEY] = {"rows": [r.as_dict() for r in rows]}
    return render(request, "contracts/reconcile.html", {"form": form, "result": result})


# --- approvals ------------------------------------------------------------------------------


@login_required
def approval_inbox(request):
    steps = selectors.approval_inbox(user=request.user)
    page = Paginator(steps, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "contracts/approvals.html",
        {"page": page, "querystring": "", "decision_form": DecisionForm()},
    )


@login_required
@require_POST
def approval_decide(request, pk):
    step = selectors.approval_get_for_user(user=request.user, pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect(step.contract)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        services.approval_decide(step=step, actor=request.user, approve=approve, comment=form.cleaned_data["comment"])
    except ValidationError as exc:
        _flash_error(request, exc)
    else:
        if approve:
            messages.success(request, _("Approved: %(number)s.") % {"number": step.contract.number})
        else:
            messages.warning(request, _("Rejected: %(number)s.") % {"number": step.contract.number})
    target = request.POST.get("next")
    if target == "inbox":
        return redirect(reverse("contracts:approvals"))
    return redirect(step.contract)


# --- look-ups (as you type) -------------------------------------------------------------------


@login_required
def account_lookup(request):
    term = (request.GET.get("account_q") or request.GET.get("q", "")).strip()  # the look-up box posts account_q
    accounts = []
    if len(term) >= 1:
        accounts = list(
            visible_to(request.user, Account.objects.filter(is_archived=False))
            .filter(account_search_q(term))
            .only("pk", "name", "number")
            .order_by("name")[:10]
        )
    return render(
        request,
        "contracts/includes/lookup_results.html",
        {"accounts": accounts, "term": term, "target": request.GET.get("target", "account")},
    )


@login_required
@crm_permission_required("contracts.add_payment")
def contract_lookup(request):
    """The payable contracts of the account just chosen (the payment form's contract list)."""
    account_id = request.GET.get("account", "")
    contracts = []
    if account_id.isdigit():
        contracts = list(
            visible_to(
                request.user, Contract.objects.filter(account_id=account_id, status__in=services.PAYABLE)
            ).order_by("-end_on")
        )
    return render(request, "contracts/includes/contract_options.html", {"contracts": contracts})
