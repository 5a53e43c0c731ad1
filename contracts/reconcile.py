"""Bank / ERP reconciliation: a file of received amounts matched to payments on their reference.

Each row is one of:
- matched: a payment with this reference is recorded with the same amount → marked reconciled;
- new: no payment has this reference but the row names a contract → the payment is recorded;
- unmatched: neither → listed for finance to look into, never applied;
- error: a bad value, or the recorded payment's amount differs → listed with its line number.
Applying is all or nothing, and refused while the file has errors.
"""

import csv
import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from users.visibility import visible_to

from .models import Contract, Payment
from .services import PAYABLE, payment_record

MAX_ROWS = 5000
COLUMNS = {
    "reference": {"reference", "ref", "参考号", "流水号", "交易流水号"},
    "date": {"date", "received_on", "日期", "交易日期"},
    "amount": {"amount", "金额", "收款金额"},
    "contract": {"contract", "contract_no", "合同", "合同编号"},
}


@dataclass
class Row:
    line: int
    reference: str = ""
    received_on: datetime.date | None = None
    amount: Decimal | None = None
    contract_number: str = ""
    status: str = ""  # matched / new / unmatched / error
    message: str = ""
    payment_id: int | None = None
    contract_id: int | None = None

    def as_dict(self) -> dict:
        return {
            "line": self.line,
            "reference": self.reference,
            "received_on": self.received_on.isoformat() if self.received_on else "",
            "amount": str(self.amount) if self.amount is not None else "",
            "contract_number": self.contract_number,
            "status": self.status,
            "message": self.message,
            "payment_id": self.payment_id,
            "contract_id": self.contract_id,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Row":
        row = cls(**{k: v for k, v in data.items() if k not in {"received_on", "amount"}})
        row.received_on = datetime.date.fromisoformat(data["received_on"]) if data["received_on"] else None
        row.amount = Decimal(data["amount"]) if data["amount"] else None
        return row


@dataclass
class Result:
    rows: list[Row] = field(default_factory=list)

    def of(self, status: str) -> list[Row]:
        return [r for r in self.rows if r.status == status]

    @property
    def of_matched(self) -> list[Row]:
        return self.of("matched")

    @property
    def of_new(self) -> list[Row]:
        return self.of("new")

    @property
    def of_unmatched(self) -> list[Row]:
        return self.of("unmatched")

    @property
    def of_error(self) -> list[Row]:
        return self.of("error")

    @property
    def can_apply(self) -> bool:
        return not self.of("error") and bool(self.of("matched") or self.of("new"))


def _read_table(upload) -> list[list[str]]:
    name = upload.name.lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(upload, read_only=True, data_only=True).active
        except Exception as exc:  # a broken or renamed file
            raise ValidationError({"file": _("This is not a readable XLSX file.")}) from exc
        return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
    if not name.endswith(".csv"):
        raise ValidationError({"file": _("Upload a CSV or XLSX file.")})
    raw = upload.read()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError({"file": _("The file's text encoding is not UTF-8 or GB18030.")})
    return list(csv.reader(io.StringIO(text)))


def parse(upload) -> list[Row]:
    table = _read_table(upload)
    if not table:
        raise ValidationError({"file": _("The file is empty.")})
    header = [str(h).strip().lower() for h in table[0]]
    index = {}
    for key, names in COLUMNS.items():
        for i, h in enumerate(header):
            if h in names:
                index[key] = i
    missing = [k for k in ("reference", "date", "amount") if k not in index]
    if missing:
        raise ValidationError({"file": _("Missing columns: %(cols)s.") % {"cols": ", ".join(missing)}})
    if len(table) - 1 > MAX_ROWS:
        raise ValidationError({"file": _("At most %(n)s rows per file.") % {"n": MAX_ROWS}})
    rows = []
    for number, values in enumerate(table[1:], start=2):
        if not any(str(v).strip() for v in values):
            continue

        def cell(key, values=values):
            return values[index[key]] if key in index and index[key] < len(values) else ""

        row = Row(line=number, reference=str(cell("reference")).strip(), contract_number=str(cell("contract")).strip())
        problems = []
        date_value = cell("date")
        if isinstance(date_value, datetime.datetime):
            row.received_on = date_value.date()
        elif isinstance(date_value, datetime.date):
            row.received_on = date_value
        else:
            try:
                row.received_on = datetime.date.fromisoformat(str(date_value).strip().replace("/", "-"))
            except ValueError:
                problems.append(_("date %(v)s is not YYYY-MM-DD") % {"v": date_value})
        try:
            row.amount = Decimal(str(cell("amount")).replace(",", "").strip())
            if row.amount <= 0 or row.amount != row.amount.quantize(Decimal("0.01")):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            row.amount = None
            problems.append(_("amount %(v)s is not a positive amount in cents") % {"v": cell("amount")})
        if not row.reference:
            problems.append(_("the reference is empty"))
        if row.received_on and row.received_on > timezone.localdate():
            problems.append(_("the date is in the future"))
        if problems:
            row.status, row.message = "error", "; ".join(problems)
        rows.append(row)
    return rows


def classify(*, user, rows: list[Row]) -> Result:
    """Match each good row on its reference (two queries for the whole file)."""
    refs = [r.reference for r in rows if r.status != "error"]
    counted = Payment.objects.filter(reference__in=refs, voided_at__isnull=True)  # a voided one is not matched
    payments = {p.reference: p for p in visible_to(user, counted)}
    numbers = [r.contract_number for r in rows if r.contract_number]
    contracts = {c.number: c for c in visible_to(user, Contract.objects.filter(number__in=numbers))}
    seen = set()
    for row in rows:
        if row.status == "error":
            continue
        if row.reference in seen:
            row.status, row.message = "error", _("the reference appears twice in the file")
            continue
        seen.add(row.reference)
        payment = payments.get(row.reference)
        if payment is not None:
            if payment.amount != row.amount:
                row.status = "error"
                row.message = _("recorded payment %(ref)s is %(recorded)s, the file says %(file)s") % {
                    "ref": row.reference,
                    "recorded": payment.amount,
                    "file": row.amount,
                }
            else:
                row.status, row.payment_id = "matched", payment.pk
                row.message = _("already reconciled") if payment.reconciled_at else ""
            continue
        contract = contracts.get(row.contract_number)
        if contract is not None and contract.status in PAYABLE:
            row.status, row.contract_id = "new", contract.pk
        elif contract is not None:
            row.status, row.message = "error", _("contract %(n)s is not approved") % {"n": contract.number}
        else:
            row.status = "unmatched"
            row.message = (
                _("no payment with this reference and no contract %(n)s") % {"n": row.contract_number}
                if row.contract_number
                else _("no payment with this reference")
            )
    return Result(rows=rows)


@transaction.atomic
def reconciliation_apply(*, actor, rows: list[Row]) -> dict:
    """Record the new payments and mark the matched ones reconciled — all of it or nothing."""
    result = classify(user=actor, rows=rows)  # again: the data may have changed since the preview
    if result.of("error"):
        raise ValidationError(_("The file has errors; nothing was applied."), code="errors")
    now = timezone.now()
    matched_ids = [r.payment_id for r in result.of("matched")]
    reconciled = Payment.objects.filter(pk__in=matched_ids, reconciled_at__isnull=True).update(reconciled_at=now)
    contracts = {c.pk: c for c in Contract.objects.filter(pk__in=[r.contract_id for r in result.of("new")])}
    created = 0
    for row in result.of("new"):
        payment, was_created = payment_record(
            actor=actor,
            contract=contracts[row.contract_id],
            received_on=row.received_on,
            amount=row.amount,
            method=Payment.Method.BANK,
            reference=row.reference,
            note=_("From reconciliation file, line %(n)s") % {"n": row.line},
        )
        Payment.objects.filter(pk=payment.pk).update(reconciled_at=now)
        created += int(was_created)
    return {"reconciled": reconciled, "recorded": created, "unmatched": len(result.of("unmatched"))}
