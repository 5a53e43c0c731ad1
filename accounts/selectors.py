"""Read queries for accounts, always scoped by the visibility policy."""

import datetime
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, Min, Q, Sum, Value, When
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from core.search import SearchHit
from users.models import User
from users.roles import Role
from users.visibility import get_visible_or_404, has_role, visible_to

from .models import (
    Account,
    AccountEvent,
    AccountSearch,
    CompetitorPresence,
    Contact,
    Feedback,
    MonthlyRevenue,
    Tier,
    Transaction,
)
from .panels import panels_for
from .search import is_phone_term, normalise_term, phone_key
from .timeline import render_event

ACCOUNT_SORTS = {
    "name": "name",
    "-name": "-name",
    "number": "number",
    "-number": "-number",
    "revenue": "revenue_12m",
    "-revenue": "-revenue_12m",
    "status": "status",
    "-status": "-status",
    "tier": "tier",
    "-tier": "-tier",
    "contact": "last_contact_at",
    "-contact": "-last_contact_at",
    "updated": "updated_at",
    "-updated": "-updated_at",
    "owner": "owner__full_name",
    "-owner": "-owner__full_name",
}
DEFAULT_SORT = "-revenue"
STALE_CONTACT_DAYS = 30
RECENT_TRANSACTIONS = 10


def stale_contact_q() -> Q:
    """Accounts nobody has contacted in the last STALE_CONTACT_DAYS days, or ever.

    One definition for the dashboard's card and the list filter that card links to."""
    since = timezone.now() - datetime.timedelta(days=STALE_CONTACT_DAYS)
    return Q(last_contact_at__lt=since) | Q(last_contact_at__isnull=True)


def account_assignable_owners(*, user):
    """The account managers `user` may make owner of an account (and still see it afterwards).

    Administrators and sales directors: any active account manager. An account manager:
    themself and the active account managers in the teams they lead. Anyone else: nobody."""
    managers = User.objects.filter(groups__name=Role.MANAGER.value, is_active=True)
    if has_role(user, Role.ADMIN, Role.DIRECTOR):
        return managers.distinct().order_by("full_name", "username")
    if not has_role(user, Role.MANAGER):
        return User.objects.none()
    led_members = User.objects.filter(teams__leader_id=user.pk).values("pk")
    return managers.filter(Q(pk=user.pk) | Q(pk__in=led_members)).distinct().order_by("full_name", "username")


def signed_amount_expr():
    """Transaction amount with the kind's sign: refunds subtract."""
    return Case(
        When(kind=Transaction.Kind.REFUND, then=-F("amount")),
        default=F("amount"),
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )


def account_queryset_for(user):
    return visible_to(user, Account.objects.all())


def account_list(*, user, filterset_qs=None, sort: str = DEFAULT_SORT):
    """Accounts for a list, scoped here (callers pass an unscoped filtered queryset)."""
    qs = filterset_qs if filterset_qs is not None else Account.objects.filter(is_archived=False)
    order = ACCOUNT_SORTS.get(sort, ACCOUNT_SORTS[DEFAULT_SORT])
    return visible_to(user, qs).select_related("owner", "team").order_by(order, "pk")


def account_get_for_user(*, user, pk) -> Account:
    return get_visible_or_404(user, Account.objects.select_related("owner", "team", "parent"), pk=pk)


def _month_starts(*, months: int, today: datetime.date) -> list[datetime.date]:
    """The first days of the last `months` months, oldest first, ending with this month."""
    year, month = today.year, today.month
    starts = []
    for _ in range(months):
        starts.append(datetime.date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return starts[::-1]


def account_monthly_revenue(*, account: Account, months: int = 12) -> list[dict]:
    """Net revenue per local calendar month, the last `months` months, zero where nothing happened:
    at most `months` rows of the monthly rollup (accounts.revenue), whatever the account's history."""
    starts = _month_starts(months=months, today=timezone.localdate())
    totals = dict(
        MonthlyRevenue.objects.filter(account=account, month__gte=starts[0], month__lte=starts[-1]).values_list(
            "month", "revenue"
        )
    )
    return [{"month": m.strftime("%Y-%m"), "total": totals.get(m, Decimal("0"))} for m in starts]


def account_360(*, user, pk) -> dict:
    """Everything the 360° page shows, in a fixed, small number of queries."""
    account = account_get_for_user(user=user, pk=pk)
    contacts = list(Contact.objects.filter(account=account, is_archived=False))
    buying_centre = {role: [] for role, _label in Contact.Role.choices}
    for contact in contacts:
        buying_centre[contact.role].append(contact)
    events = account_timeline(account=account)
    # open feedback first (the header's alert links to these rows), then the latest
    feedback = list(
        Feedback.objects.filter(account=account)
        .select_related("contact", "handler")
        .order_by(Case(When(status=Feedback.Status.DONE, then=Value(1)), default=Value(0)), "-received_on", "-id")[:10]
    )
    competitors = list(CompetitorPresence.objects.filter(account=account).select_related("competitor"))
    subsidiaries = list(
        Account.objects.filter(parent=account, is_archived=False)
        .only("id", "name", "number", "tier", "status", "revenue_12m")
        .order_by("-revenue_12m")[:50]
    )
    # one row more than shown tells whether there are more, without counting (or windowing)
    # thousands of rows of a big account; the full list page counts them
    recent_txns = list(Transaction.objects.filter(account=account)[: RECENT_TRANSACTIONS + 1])
    more_transactions = len(recent_txns) > RECENT_TRANSACTIONS
    recent_txns = recent_txns[:RECENT_TRANSACTIONS]
    return {
        "account": account,
        "contacts": contacts,
        "buying_centre": [(role, label, buying_centre[role]) for role, label in Contact.Role.choices],
        "events": events,
        "feedback": feedback,
        "competitors": competitors,
        "subsidiaries": subsidiaries,
        "transactions": recent_txns,
        "more_transactions": more_transactions,
        "monthly_revenue": account_monthly_revenue(account=account),
        "panels": panels_for(user=user),
    }


def account_timeline(*, account: Account, limit: int = 40) -> list[dict]:
    """The newest events of one account (already visibility-checked), rendered for the reader."""
    return [render_event(e) for e in AccountEvent.objects.filter(account=account).select_related("actor")[:limit]]


def contact_list(*, user):
    return visible_to(user, Contact.objects.select_related("account"))


def transaction_list(*, user):
    return visible_to(user, Transaction.objects.select_related("account"))


def account_transactions(*, account: Account):
    """All transactions of one account (already visibility-checked), newest first."""
    return Transaction.objects.filter(account=account).order_by("-occurred_at", "-id")


def feedback_list(*, user):
    return visible_to(user, Feedback.objects.select_related("account", "contact", "handler"))


def presence_list(*, user):
    return visible_to(user, CompetitorPresence.objects.select_related("account", "competitor"))


def accounts_summary(
    *, user, contacted_since: datetime.datetime | None = None, also_count: dict[str, Q] | None = None
) -> dict:
    """Dashboard figures for what the user may see, in one pass over their live accounts: how
    many, active, VIP, churned, 12-month revenue, not contacted lately, and (with
    `contacted_since`) contacted since then — the director's figures read the same pass.
    `also_count`: more {name: condition} counts for the same pass (a higher app's rule, e.g. the
    visits app's overdue-for-contact)."""
    qs = account_queryset_for(user).filter(is_archived=False)
    totals = qs.aggregate(
        accounts=Sum(Value(1)),
        active=Sum(Case(When(status=Account.Status.ACTIVE, then=1), default=0)),
        churned=Sum(Case(When(status=Account.Status.CHURNED, then=1), default=0)),
        vip=Sum(Case(When(tier="vip", then=1), default=0)),
        revenue=Sum("revenue_12m"),
        stale=Sum(Case(When(stale_contact_q(), then=1), default=0)),
        **(
            {"contacted": Sum(Case(When(last_contact_at__gte=contacted_since, then=1), default=0))}
            if contacted_since
            else {}
        ),
        **{name: Sum(Case(When(condition, then=1), default=0)) for name, condition in (also_count or {}).items()},
    )
    return {k: (v or 0) for k, v in totals.items()}


def account_search_q(term: str) -> Q:
    """Name, short name, number, main phone, or any live contact's name or phone (accounts.search)."""
    matches = AccountSearch.objects.filter(text__contains=normalise_term(term)).values("account_id")
    return Q(pk__in=matches)


def account_quick_search(*, user, term: str, limit: int = 8) -> list[SearchHit]:
    """The top bar's search, caller-ID style: which account (and which of its people) a name or
    phone number belongs to. Two queries: the matching accounts the user may see, then their
    live contacts, to say who matched."""
    term = term.strip()
    phone = is_phone_term(term)
    needle = normalise_term(term)
    accounts = list(
        visible_to(user, Account.objects.filter(account_search_q(term), is_archived=False))
        .select_related("owner")
        .order_by(Case(*[When(tier=t, then=Value(i)) for i, t in enumerate(Tier)], default=Value(9)), "name")[:limit]
    )
    contacts: dict[int, list[Contact]] = {}
    for contact in Contact.objects.filter(account__in=[a.pk for a in accounts], is_archived=False).order_by(
        "-is_primary", "name"
    ):
        contacts.setdefault(contact.account_id, []).append(contact)
    hits: list[SearchHit] = []
    for account in accounts:
        meta = [account.number or "", str(account.owner or "")]
        common = {"title": account.name, "url": account.get_absolute_url(), "badge": account.get_tier_display()}
        matched = []
        if phone and needle in phone_key(account.phone):
            matched.append(
                SearchHit(kind=gettext("Main phone"), icon="telephone", phone=account.phone, meta=meta, **common)
            )
        for contact in contacts.get(account.pk, []):
            if (phone and needle in phone_key(contact.phone)) or (not phone and needle in contact.name.lower()):
                detail = " · ".join(p for p in (contact.name, contact.title, contact.get_role_display()) if p)
                matched.append(
                    SearchHit(
                        kind=gettext("Contact"),
                        icon="person",
                        phone=contact.phone if phone else "",
                        detail=detail,
                        meta=meta,
                        **common,
                    )
                )
        hits.extend(
            matched or [SearchHit(kind=gettext("Account"), icon="building", phone=account.phone, meta=meta, **common)]
        )
    return hits[:limit]


UNHAPPY = 2  # a satisfaction score at or below this is an unhappy customer
STALE_CONTACT_DAYS = 30


def account_feedback_alerts(*, user, account) -> list:
    """The accounts app's own alerts: open feedback (unhappy first) and a customer no one has
    spoken to for a month. One query."""
    from .alerts import AccountAlert

    open_feedback = Feedback.objects.filter(account=account).exclude(status=Feedback.Status.DONE)
    counts = open_feedback.aggregate(
        n=Count("pk"), unhappy=Count("pk", filter=Q(satisfaction__lte=UNHAPPY)), oldest=Min("received_on")
    )
    alerts = []
    url = f"{account.get_absolute_url()}#feedback"
    if counts["unhappy"]:
        text = ngettext(
            "%(n)s unhappy customer feedback open (score %(max)s or lower)",
            "%(n)s unhappy customer feedback items open (score %(max)s or lower)",
            counts["unhappy"],
        ) % {"n": counts["unhappy"], "max": UNHAPPY}
        alerts.append(AccountAlert(level="danger", icon="emoji-frown", text=text, url=url, count=counts["unhappy"]))
    rest = counts["n"] - counts["unhappy"]
    if rest:
        text = ngettext(
            "%(n)s open feedback item, the oldest from %(day)s",
            "%(n)s open feedback items, the oldest from %(day)s",
            rest,
        ) % {"n": rest, "day": date_format(counts["oldest"], "SHORT_DATE_FORMAT")}
        alerts.append(AccountAlert(level="warning", icon="chat-left-dots", text=text, url=url, count=rest))
    if not account.is_archived:
        last = account.last_contact_at
        days = (timezone.now() - last).days if last else None
        if days is None:
            alerts.append(AccountAlert(level="warning", icon="telephone-x", text=gettext("No contact recorded yet.")))
        elif days >= STALE_CONTACT_DAYS:
            text = ngettext("No contact for %(n)s day.", "No contact for %(n)s days.", days) % {"n": days}
            timeline = f"{account.get_absolute_url()}#timeline"
            alerts.append(AccountAlert(level="warning", icon="telephone-x", text=text, url=timeline))
    return alerts
