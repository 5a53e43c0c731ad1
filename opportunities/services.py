"""Write use cases for opportunities and quotes. Pages, API, admin, demo data and tasks call these.

Stage rules (`opportunity_move`):
- a move goes to an active stage other than the current one;
- won or lost needs a reason; lost also names the competitor who won, unless the project
  stopped without a decision;
- an open stage sets the probability to its default unless it was set by hand; a closing stage
  (won 100 %, lost 0 %) always sets its own and the closing date; moving back to an open stage
  reopens the opportunity and clears the outcome;
- every move is a `StageChange` row (with its time and who) and a timeline event.
"""

import datetime
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import services as contract_services
from core.locking import StaleVersionError, require_version, save_versioned
from users.roles import Role
from users.visibility import roles_of

from . import events
from .models import (
    CloseReason,
    Opportunity,
    OpportunityContact,
    Quote,
    QuoteLine,
    QuoteSettings,
    Stage,
    StageChange,
)
from .quote_math import line_total, quote_total

OPPORTUNITY_EDITABLE = [
    "title",
    "amount",
    "expected_close_on",
    "owner",
    "next_step",
    "next_step_on",
    "description",
]
QUOTE_APPROVER_ROLES = {Role.DIRECTOR.value, Role.ADMIN.value}
# a quote the customer may still accept
ACCEPTABLE = {Quote.Status.APPROVED, Quote.Status.SENT}
REVISABLE = {
    Quote.Status.DRAFT,
    Quote.Status.PENDING,
    Quote.Status.APPROVED,
    Quote.Status.SENT,
    Quote.Status.DECLINED,
    Quote.Status.EXPIRED,
}
# a quote still in play: the daily sweep marks it expired once its validity date has passed
EXPIRABLE = (Quote.Status.DRAFT, Quote.Status.PENDING, Quote.Status.APPROVED, Quote.Status.SENT)
EXPIRE_BATCH = 1000
REVISION_VALID_DAYS = 30  # the validity a revision of an expired quote starts with


def setting_discount_limit() -> Decimal:
    """The server's default limit (`OPPORTUNITIES_DISCOUNT_LIMIT_PERCENT`), used while admin sets none."""
    return Decimal(str(getattr(settings, "OPPORTUNITIES_DISCOUNT_LIMIT_PERCENT", "10")))


def discount_limit() -> Decimal:
    """Discounts above this percent need a director's approval: the limit an administrator set in
    admin (`QuoteSettings`), else the server's setting. One small query."""
    value = (
        QuoteSettings.objects.filter(pk=QuoteSettings.SINGLETON_PK)
        .values_list("discount_limit_percent", flat=True)
        .first()
    )
    return value if value is not None else setting_discount_limit()


@transaction.atomic
def quote_settings_update(
    *, actor, discount_limit_percent: Decimal | None, expected_version: int | None = None
) -> QuoteSettings:
    """Change the company's quote rules (admin). The row is made on the first change; a stale
    version is refused. Empty limit: back to the server's setting."""
    row, created = QuoteSettings.objects.select_for_update().get_or_create(pk=QuoteSettings.SINGLETON_PK)
    if not created and expected_version not in (None, "") and int(expected_version) != row.version:
        raise StaleVersionError()
    row.discount_limit_percent = discount_limit_percent
    row.updated_by = actor
    row.full_clean()
    if not created:
        row.version += 1
    row.save()
    return row


def _now() -> datetime.datetime:
    return timezone.now()


def _when(at: datetime.datetime | None, *, after: datetime.datetime | None) -> datetime.datetime:
    """The time of a move: now, or a given past moment not before the previous move."""
    now = _now()
    if at is None:
        return now
    if at > now:
        raise ValidationError({"at": _("A stage change cannot be in the future.")})
    if after is not None and at < after:
        raise ValidationError({"at": _("A stage change cannot be before the previous one.")})
    return at


def _check_owner(*, actor, owner, account, current_id=None) -> None:
    """The owner is the account's manager, the current owner, or someone the actor may assign
    (accounts' rule: directors anyone, a manager themself and their team's members)."""
    from accounts.selectors import account_assignable_owners

    if owner is None or owner.pk in (account.owner_id, current_id):
        return
    if actor is not None and not account_assignable_owners(user=actor).filter(pk=owner.pk).exists():
        raise ValidationError({"owner": _("You cannot make this person the owner.")}, code="owner")


def _check_account(account) -> None:
    if account.is_archived:
        raise ValidationError({"account": _("This account is archived.")})


def _lock(opportunity: Opportunity) -> Opportunity:
    return Opportunity.objects.select_for_update().select_related("account", "stage").get(pk=opportunity.pk)


def first_stage() -> Stage:
    stage = Stage.objects.filter(is_active=True, outcome=Stage.Outcome.OPEN).order_by("order", "pk").first()
    if stage is None:
        raise ValidationError(_("No open stage is set up; ask an administrator to add one."), code="no_stage")
    return stage


# --- opportunities ----------------------------------------------------------------------------


@transaction.atomic
def opportunity_create(
    *,
    actor,
    account,
    title: str,
    amount: Decimal,
    expected_close_on: datetime.date,
    stage: Stage | None = None,
    probability: int | None = None,
    owner=None,
    next_step: str = "",
    next_step_on: datetime.date | None = None,
    description: str = "",
    competitors=(),
    at: datetime.datetime | None = None,
) -> Opportunity:
    """A new opportunity in an open stage (the first one by default); its probability is the
    stage's default unless given. `at` back-dates it (imports, demo data), never into the future."""
    _check_account(account)
    _check_owner(actor=actor, owner=owner, account=account)
    stage = stage or first_stage()
    if stage.is_closed or not stage.is_active:
        raise ValidationError({"stage": _("A new opportunity starts in an active open stage.")})
    now = _when(at, after=None)
    opportunity = Opportunity(
        account=account,
        title=title,
        amount=amount,
        expected_close_on=expected_close_on,
        stage=stage,
        stage_entered_at=now,
        probability=stage.probability if probability is None else probability,
        probability_is_custom=probability is not None and probability != stage.probability,
        owner=owner if owner is not None else account.owner,
        next_step=next_step,
        next_step_on=next_step_on,
        description=description,
        created_by=actor,
    )
    opportunity.full_clean()
    opportunity.save()
    if competitors:
        opportunity.competitors.set(competitors)
    StageChange.objects.create(opportunity=opportunity, to_stage=stage, changed_at=now, changed_by=actor)
    events.opportunity_created_event(opportunity=opportunity, actor=actor)
    return opportunity


@transaction.atomic
def opportunity_update(*, opportunity: Opportunity, actor, expected_version: int | None, data: dict) -> Opportunity:
    """Edit the opportunity's fields (not its stage: that is `opportunity_move`).

    `probability` in `data` sets it by hand; `None` goes back to the stage's default.
    `competitors` replaces the competitors in the deal."""
    require_version(expected_version, actor=actor)
    opportunity = _lock(opportunity)
    competitors = data.pop("competitors", None)
    if "probability" in data:
        probability = data.pop("probability")
        if probability is None or (probability == opportunity.stage.probability and not opportunity.stage.is_closed):
            opportunity.probability = opportunity.stage.probability
            opportunity.probability_is_custom = False
        elif opportunity.stage.is_closed:
            if probability != opportunity.probability:
                raise ValidationError({"probability": _("A closed opportunity keeps its stage's probability.")})
        else:
            opportunity.probability = probability
            opportunity.probability_is_custom = True
    for name, value in data.items():
        if name not in OPPORTUNITY_EDITABLE:
            raise ValidationError({name: _("This field cannot be changed here.")})
        if name == "owner":
            _check_owner(actor=actor, owner=value, account=opportunity.account, current_id=opportunity.owner_id)
        setattr(opportunity, name, value)
    _check_account(opportunity.account)
    save_versioned(opportunity, expected_version=expected_version)
    if competitors is not None:
        opportunity.competitors.set(competitors)
    return opportunity


@transaction.atomic
def opportunity_move(
    *,
    opportunity: Opportunity,
    actor,
    stage: Stage,
    expected_version: int | None = None,
    reason: str = "",
    note: str = "",
    lost_to=None,
    at: datetime.datetime | None = None,
) -> Opportunity:
    """Move an opportunity to another stage (the pipeline board, the stage select, the API).
    `at` back-dates the move (imports, demo data)."""
    opportunity = _lock(opportunity)
    if expected_version is not None and int(expected_version) != opportunity.version:
        raise StaleVersionError()
    old = opportunity.stage
    if stage.pk == old.pk:
        raise ValidationError({"stage": _("The opportunity is already in this stage.")}, code="same_stage")
    if not stage.is_active:
        raise ValidationError({"stage": _("This stage is no longer in use.")}, code="inactive_stage")
    if stage.is_closed:
        _close(opportunity, stage, reason=reason, note=note, lost_to=lost_to, at=at)
    else:
        opportunity.close_reason, opportunity.close_note, opportunity.lost_to, opportunity.closed_on = (
            "",
            "",
            None,
            None,
        )
        if old.is_closed or not opportunity.probability_is_custom:
            opportunity.probability = stage.probability
            opportunity.probability_is_custom = False
    now = _when(at, after=opportunity.stage_entered_at)
    opportunity.stage = stage
    opportunity.stage_entered_at = now
    save_versioned(opportunity, expected_version=None)
    if opportunity.lost_to_id:
        opportunity.competitors.add(opportunity.lost_to_id)
    StageChange.objects.create(
        opportunity=opportunity, from_stage=old, to_stage=stage, changed_at=now, changed_by=actor
    )
    events.opportunity_moved_event(opportunity=opportunity, actor=actor, old=old)
    return opportunity


def _close(opportunity: Opportunity, stage: Stage, *, reason: str, note: str, lost_to, at=None) -> None:
    errors = {}
    if reason not in CloseReason.values:
        errors["reason"] = _("Say why the opportunity was won or lost.")
    if stage.outcome == Stage.Outcome.LOST:
        if lost_to is None and reason != CloseReason.NO_DECISION:
            errors["lost_to"] = _("Name the competitor who won (or choose “No decision / project stopped”).")
    elif lost_to is not None:
        errors["lost_to"] = _("Only a lost opportunity names the competitor who won.")
    if errors:
        raise ValidationError(errors, code="close_reason")
    opportunity.close_reason = reason
    opportunity.close_note = note
    opportunity.lost_to = lost_to
    opportunity.closed_on = timezone.localdate(at) if at else timezone.localdate()
    opportunity.probability = stage.probability
    opportunity.probability_is_custom = False


@transaction.atomic
def opportunity_archive(*, opportunity: Opportunity, actor) -> Opportunity:
    """Archive (nothing is deleted): it leaves the board, lists and forecast."""
    opportunity = _lock(opportunity)
    if not opportunity.is_archived:
        opportunity.is_archived = True
        save_versioned(opportunity, expected_version=None)
    return opportunity


# --- the buying centre --------------------------------------------------------------------------


@transaction.atomic
def opportunity_contact_set(
    *, opportunity: Opportunity, actor, contact, role: str, note: str = ""
) -> OpportunityContact:
    """Link a contact of the opportunity's account with their role in this deal (or change it)."""
    if contact.account_id != opportunity.account_id:
        raise ValidationError({"contact": _("Choose a contact of this opportunity's account.")})
    if contact.is_archived:
        raise ValidationError({"contact": _("This contact is archived.")})
    link = OpportunityContact.objects.filter(opportunity=opportunity, contact=contact).first()
    if link is None:
        link = OpportunityContact(opportunity=opportunity, contact=contact)
    link.role = role
    link.note = note
    link.full_clean()
    link.save()
    return link


@transaction.atomic
def opportunity_contact_remove(*, link: OpportunityContact, actor) -> None:
    link.delete()


# --- quotes ---------------------------------------------------------------------------------------


def _check_lines(lines: list[dict]) -> list[QuoteLine]:
    if not lines:
        raise ValidationError({"lines": _("A quote needs at least one line.")}, code="no_lines")
    built = []
    for position, raw in enumerate(lines, start=1):
        line = QuoteLine(
            position=position,
            product=(raw.get("product") or "").strip(),
            quantity=raw.get("quantity"),
            unit_price=raw.get("unit_price"),
            discount_percent=raw.get("discount_percent") or Decimal("0"),
        )
        try:
            line.full_clean(exclude=["quote", "line_total"])
        except ValidationError as exc:
            raise ValidationError(
                {"lines": [_("Line %(n)s: %(error)s") % {"n": position, "error": " ".join(exc.messages)}]},
                code="bad_line",
            ) from exc
        line.line_total = line_total(
            quantity=line.quantity, unit_price=line.unit_price, discount_percent=line.discount_percent
        )
        built.append(line)
    return built


def _write_lines(quote: Quote, lines: list[QuoteLine]) -> None:
    quote.lines.all().delete()
    for line in lines:
        line.quote = quote
    QuoteLine.objects.bulk_create(lines)
    quote.total = quote_total(line.line_total for line in lines)
    quote.max_discount = max((line.discount_percent for line in lines), default=Decimal("0"))


def _check_valid_until(valid_until) -> None:
    if valid_until is None:
        raise ValidationError({"valid_until": _("Say until when the quote is valid.")})
    if valid_until < timezone.localdate():
        raise ValidationError({"valid_until": _("The validity date cannot be in the past.")})


@transaction.atomic
def quote_create(
    *, actor, opportunity: Opportunity, valid_until: datetime.date, lines: list[dict], notes: str = ""
) -> Quote:
    """A draft quote for an open opportunity, with its lines."""
    opportunity = _lock(opportunity)
    if opportunity.stage.is_closed or opportunity.is_archived:
        raise ValidationError(_("Quotes are made for open opportunities only."), code="closed")
    _check_valid_until(valid_until)
    built = _check_lines(lines)
    quote = Quote(
        opportunity=opportunity,
        valid_until=valid_until,
        notes=notes,
        created_by=actor,
        number=f"tmp-{uuid.uuid4().hex[:16]}",
    )
    quote.save()
    quote.number = f"BJ{timezone.localdate():%Y}{quote.pk:06d}"
    _write_lines(quote, built)
    quote.full_clean()
    quote.save()
    events.quote_event(quote=quote, actor=actor, kind="quote.created")
    return quote


@transaction.atomic
def quote_update(
    *,
    quote: Quote,
    actor,
    expected_version: int | None,
    valid_until: datetime.date,
    lines: list[dict],
    notes: str = "",
) -> Quote:
    """Change a draft quote: its validity, notes and (all of) its lines."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if expected_version is not None and int(expected_version) != quote.version:
        raise StaleVersionError()
    if not quote.is_editable:
        raise ValidationError(_("Only a draft quote is edited; make a new revision instead."), code="not_editable")
    _check_valid_until(valid_until)
    built = _check_lines(lines)
    quote.valid_until = valid_until
    quote.notes = notes
    _write_lines(quote, built)
    save_versioned(quote, expected_version=None)
    return quote


def _lock_quote(quote: Quote, expected_version=None) -> Quote:
    locked = Quote.objects.select_for_update().select_related("opportunity__account").get(pk=quote.pk)
    if expected_version not in (None, "") and int(expected_version) != locked.version:
        raise StaleVersionError()
    return locked


def _check_not_expired(quote: Quote) -> None:
    """An expired quote (marked by the sweep, or past its date before the sweep ran) is neither
    finished, approved, sent nor accepted: it is revised."""
    if quote.is_expired:
        raise ValidationError(
            _("This quote expired on %(date)s; make a new revision.") % {"date": quote.valid_until},
            code="expired",
        )


def _refuse(quote: Quote, action: str):
    raise ValidationError(
        _("A quote that is “%(status)s” cannot be %(action)s.")
        % {"status": quote.get_status_display(), "action": action},
        code="invalid_transition",
    )


@transaction.atomic
def quote_submit(*, quote: Quote, actor, expected_version: int | None = None) -> Quote:
    """Finish a draft: ready to send when every discount is within the limit, otherwise it
    waits for a director's approval."""
    quote = _lock_quote(quote, expected_version)
    _check_not_expired(quote)
    if quote.status != Quote.Status.DRAFT:
        _refuse(quote, _("submitted"))
    if not quote.lines.exists():
        raise ValidationError({"lines": _("A quote needs at least one line.")}, code="no_lines")
    if quote.max_discount > discount_limit():
        quote.status = Quote.Status.PENDING
    else:
        quote.status = Quote.Status.APPROVED
    save_versioned(quote, expected_version=None)
    events.quote_event(quote=quote, actor=actor, kind="quote.submitted")
    return quote


def can_approve(*, user, quote: Quote) -> bool:
    return (
        quote.status == Quote.Status.PENDING
        and bool(roles_of(user) & QUOTE_APPROVER_ROLES)
        and quote.created_by_id != user.pk
    )


@transaction.atomic
def quote_decide(*, quote: Quote, actor, approve: bool, comment: str = "") -> Quote:
    """A sales director approves a discount above the limit (ready to send) or sends the quote
    back to draft with a comment. Nobody approves their own quote."""
    quote = _lock_quote(quote)
    if approve:
        _check_not_expired(quote)
    if quote.status != Quote.Status.PENDING:
        _refuse(quote, _("approved") if approve else _("sent back"))
    if not roles_of(actor) & QUOTE_APPROVER_ROLES:
        raise PermissionDenied(_("Only a sales director approves a discount above the limit."))
    if quote.created_by_id == actor.pk:
        raise PermissionDenied(_("Nobody approves their own quote."))
    if not approve and not comment.strip():
        raise ValidationError({"comment": _("Say why the discount is not approved.")})
    if approve:
        quote.status = Quote.Status.APPROVED
        quote.approved_by = actor
        quote.approved_at = _now()
    else:
        quote.status = Quote.Status.DRAFT
    save_versioned(quote, expected_version=None)
    events.quote_event(
        quote=quote, actor=actor, kind="quote.approved" if approve else "quote.sent_back", comment=comment
    )
    return quote


@transaction.atomic
def quote_mark_sent(*, quote: Quote, actor, expected_version: int | None = None) -> Quote:
    quote = _lock_quote(quote, expected_version)
    _check_not_expired(quote)
    if quote.status != Quote.Status.APPROVED:
        _refuse(quote, _("sent"))
    quote.status = Quote.Status.SENT
    save_versioned(quote, expected_version=None)
    events.quote_event(quote=quote, actor=actor, kind="quote.sent")
    return quote


@transaction.atomic
def quote_decline(*, quote: Quote, actor, expected_version: int | None = None) -> Quote:
    """The customer declined this quote."""
    quote = _lock_quote(quote, expected_version)
    if quote.status not in ACCEPTABLE:
        _refuse(quote, _("declined"))
    quote.status = Quote.Status.DECLINED
    quote.decided_on = timezone.localdate()
    save_versioned(quote, expected_version=None)
    events.quote_event(quote=quote, actor=actor, kind="quote.declined")
    return quote


@transaction.atomic
def quote_revise(*, quote: Quote, actor) -> Quote:
    """A new revision (a draft copy with the same number); the old one is superseded."""
    quote = _lock_quote(quote)
    if quote.status not in REVISABLE:
        _refuse(quote, _("revised"))
    if hasattr(quote, "revised_by"):
        raise ValidationError(_("This quote already has a newer revision."), code="revised")
    today = timezone.localdate()
    # an expired quote's revision gets a fresh validity period (edit it on the draft)
    valid_until = quote.valid_until
    if valid_until < today:
        valid_until = today + datetime.timedelta(days=REVISION_VALID_DAYS)
    new = Quote.objects.create(
        opportunity=quote.opportunity,
        number=quote.number,
        revision=quote.revision + 1,
        previous=quote,
        valid_until=valid_until,
        notes=quote.notes,
        total=quote.total,
        max_discount=quote.max_discount,
        created_by=actor,
    )
    QuoteLine.objects.bulk_create(
        QuoteLine(
            quote=new,
            position=line.position,
            product=line.product,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            line_total=line.line_total,
        )
        for line in quote.lines.all()
    )
    quote.status = Quote.Status.SUPERSEDED
    save_versioned(quote, expected_version=None)
    events.quote_event(quote=new, actor=actor, kind="quote.revised")
    return new


@transaction.atomic
def quote_accept(
    *,
    quote: Quote,
    actor,
    start_on: datetime.date,
    end_on: datetime.date,
    expected_version: int | None = None,
) -> Quote:
    """The customer accepted: the quote is accepted and a draft contract with its value is made
    (through the contracts app's service) and linked. The contract still goes through approval."""
    quote = _lock_quote(quote, expected_version)
    _check_not_expired(quote)
    if quote.status not in ACCEPTABLE:
        _refuse(quote, _("accepted"))
    today = timezone.localdate()
    if quote.total <= 0:
        raise ValidationError(_("A quote with a total of zero cannot become a contract."), code="zero_total")
    opportunity = quote.opportunity
    contract = contract_services.contract_create(
        actor=actor,
        account=opportunity.account,
        title=opportunity.title[:200],
        value=quote.total,
        start_on=start_on,
        end_on=end_on,
        owner=opportunity.owner,
        notes=_("From quote %(number)s (revision %(revision)s).")
        % {"number": quote.number, "revision": quote.revision},
    )
    quote.status = Quote.Status.ACCEPTED
    quote.decided_on = today
    quote.contract = contract
    save_versioned(quote, expected_version=None)
    events.quote_event(quote=quote, actor=actor, kind="quote.accepted", contract=contract.number)
    return quote


def quotes_expire(*, today: datetime.date | None = None, batch_size: int = EXPIRE_BATCH) -> int:
    """The daily sweep: every quote still in play (draft, awaiting approval, ready, sent) whose
    validity date has passed becomes expired, with a history row and a timeline event each.

    Set-based, in bounded batches: per batch one locking SELECT of ids (skip_locked: a quote a
    person is changing right now waits for the next run), one UPDATE, one read of the rows, one
    insert of history and one of events. A rerun finds nothing more to do. Returns the count."""
    from accounts.models import AccountEvent
    from accounts.timeline import subject_type_of

    today = today or timezone.localdate()
    expired = 0
    while True:
        with transaction.atomic():
            ids = list(
                Quote.objects.select_for_update(skip_locked=True)
                .filter(status__in=EXPIRABLE, valid_until__lt=today)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                break
            now = _now()
            Quote.objects.filter(pk__in=ids, status__in=EXPIRABLE).update(
                status=Quote.Status.EXPIRED, version=F("version") + 1, updated_at=now
            )
            rows = list(Quote.objects.filter(pk__in=ids).select_related("opportunity"))
            Quote.history.bulk_history_create(rows, update=True)
            subject_type = subject_type_of(Quote)
            AccountEvent.objects.bulk_create(
                AccountEvent(
                    account_id=quote.opportunity.account_id,
                    kind="quote.expired",
                    data=events.quote_event_data(quote, valid_until=quote.valid_until.isoformat()),
                    actor=None,
                    occurred_at=now,
                    subject_type=subject_type,
                    subject_id=quote.pk,
                )
                for quote in rows
            )
            expired += len(rows)
        if len(ids) < batch_size:
            break
    return expired
