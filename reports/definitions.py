"""The reports: each turns its selectors' figures into the tables and charts that the page, the
CSV/XLSX export and `/api/reports/<name>/` show. Registered from `ReportsConfig.ready`."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from core.templatetags.money import money
from opportunities.models import CloseReason, Stage
from opportunities.selectors import forecast_by_month, pipeline_by_stage, won_lost_analysis
from users.models import User

from .registry import DATE, DECIMAL, INT, MONEY, PERCENT, Chart, Column, Report, ReportResult, Table, register_report
from .selectors import activity, composition, health, receivables, service
from .selectors.churn import (
    CHURN_FLAGS,
    FLAG_SEVERE,
    FLAG_WARNING,
    churn_warnings,
    default_churn_month,
    same_month_last_year,
)
from .selectors.visits import coverage_tables


def _num(value):
    return float(value) if value is not None else None


# --- customer composition ---------------------------------------------------------------------


def build_composition(*, user, params) -> ReportResult:
    figures = composition.composition(user=user, params=params)
    tiers, abc, curve, top = figures["tiers"], figures["abc"], figures["pareto"], figures["top"]
    grouped = [
        Column("label", pgettext_lazy("report breakdown", "Group")),
        Column("accounts", gettext_lazy("Accounts"), INT),
        Column("revenue", gettext_lazy("Revenue"), MONEY),
        Column("share", gettext_lazy("Share of revenue (%)"), PERCENT),
    ]
    tier_table = Table(
        "tiers",
        _("Revenue by tier"),
        grouped,
        tiers["rows"],
        totals={
            "label": _("Total"),
            "accounts": tiers["accounts"],
            "revenue": tiers["total"],
            "share": 100 if tiers["total"] else None,
        },
    )
    abc_table = Table(
        "abc",
        _("Revenue by ABC class"),
        grouped,
        abc["rows"],
        totals={
            "label": _("Total"),
            "accounts": abc["accounts"],
            "revenue": abc["total"],
            "share": 100 if abc["total"] else None,
        },
    )
    top_table = Table(
        "accounts",
        _("Largest accounts"),
        [
            Column("rank", "#", INT),
            Column("account", gettext_lazy("Account")),
            Column("tier", gettext_lazy("Tier")),
            Column("revenue", gettext_lazy("Revenue"), MONEY),
            Column("share", gettext_lazy("Share of revenue (%)"), PERCENT),
            Column("cumulative", gettext_lazy("Cumulative share (%)"), PERCENT),
        ],
        top,
        link_column="account",
    )
    notes = [
        _("Net revenue (purchases and recharges less refunds) of the whole months from %(start)s to %(end)s.")
        % {"start": params.months[0].strftime("%Y-%m"), "end": params.months[1].strftime("%Y-%m")},
    ]
    if curve["accounts"]:
        notes.append(
            _("%(n)d of %(total)d accounts with revenue make 80%% of it.")
            % {"n": curve["top_80"], "total": curve["accounts"]}
        )
    return ReportResult(
        tables=[tier_table, abc_table, top_table],
        charts=[
            Chart(
                "tiers",
                "doughnut",
                _("Revenue share by tier"),
                {
                    "labels": [r["label"] for r in tiers["rows"]],
                    "values": [_num(max(r["revenue"], 0)) for r in tiers["rows"]],
                },
            ),
            Chart(
                "pareto",
                "pareto",
                _("Cumulative share of revenue by share of accounts"),
                {
                    "x": curve["x"],
                    "y": curve["y"],
                    "series": _("Cumulative revenue share"),
                    "even": _("Even spread"),
                    "x_title": _("Share of accounts, largest first"),
                    "y_title": _("Share of revenue"),
                },
            ),
        ],
        notes=notes,
    )


# --- top 50 and churn warning -----------------------------------------------------------------


def build_churn(*, user, params) -> ReportResult:
    month = params.month or default_churn_month()
    baseline = params.baseline or same_month_last_year(month)
    rows = churn_warnings(user=user, month=month, baseline=baseline, owner_id=params.owner_id, team_id=params.team_id)
    table_rows = [
        {
            "rank": r.rank,
            "account": r.account.name,
            "url": r.account.get_absolute_url(),
            "owner": (r.account.owner.full_name or r.account.owner.username) if r.account.owner else "",
            "tier": r.account.get_tier_display(),
            "revenue_12m": r.account.revenue_12m,
            "month_revenue": r.month_revenue,
            "baseline_revenue": r.baseline_revenue,
            "change": r.change,
            "change_pct": r.change_pct,
            "flag": " · ".join(filter(None, [r.flag_label, _("lost") if r.lost else ""])),
            "flag_code": r.flag,
        }
        for r in rows
    ]
    m, b = month.strftime("%Y-%m"), baseline.strftime("%Y-%m")
    table = Table(
        "top50",
        _("Top %(n)d accounts: %(month)s against %(baseline)s") % {"n": len(rows), "month": m, "baseline": b},
        [
            Column("rank", "#", INT),
            Column("account", gettext_lazy("Account")),
            Column("owner", gettext_lazy("Account manager")),
            Column("tier", gettext_lazy("Tier")),
            Column("revenue_12m", gettext_lazy("12-month revenue"), MONEY),
            Column("baseline_revenue", _("Revenue %(month)s") % {"month": b}, MONEY),
            Column("month_revenue", _("Revenue %(month)s") % {"month": m}, MONEY),
            Column("change", pgettext_lazy("revenue change", "Change"), MONEY),
            Column("change_pct", gettext_lazy("Change (%)"), PERCENT),
            Column("flag", gettext_lazy("Warning")),
        ],
        table_rows,
        link_column="account",
    )
    flagged = [r for r in rows if r.flag]
    lost = [r for r in rows if r.lost]
    notes = [
        _("%(flagged)d of the top %(n)d accounts are down 10%% or more; %(severe)d by 20%% or more; %(lost)d lost.")
        % {
            "flagged": len(flagged),
            "n": len(rows),
            "severe": sum(1 for r in rows if r.flag == "drop_20"),
            "lost": len(lost),
        },
        _("Top accounts by 12-month revenue; monthly net revenue from the monthly rollup."),
    ]
    return ReportResult(
        tables=[table],
        charts=[
            Chart(
                "change",
                "bars",
                _("Change against %(baseline)s (%%), largest account first") % {"baseline": b},
                {
                    "labels": [f"{r.rank}. {r.account.name[:16]}" for r in rows],
                    "datasets": [
                        {
                            "label": str(label),
                            "values": [_num(r.change_pct) if r.flag == code else None for r in rows],
                            "tone": tone,
                        }
                        for code, label, tone in (
                            (FLAG_SEVERE, CHURN_FLAGS[FLAG_SEVERE], "danger"),
                            (FLAG_WARNING, CHURN_FLAGS[FLAG_WARNING], "warning"),
                            # xgettext:no-python-format
                            ("", _("Less than 10% down"), "primary"),
                        )
                    ],
                    "stacked": True,
                    "percent": True,
                },
            )
        ],
        notes=notes,
        scope={"month": m, "baseline": b},
    )


# --- account health ---------------------------------------------------------------------------


def build_health(*, user, params) -> ReportResult:
    result = health.health_scores(user=user, params=params)
    table = Table(
        "health",
        _("Riskiest accounts as of %(date)s") % {"date": result["as_of"].isoformat()},
        [
            Column("account", gettext_lazy("Account")),
            Column("owner", gettext_lazy("Account manager")),
            Column("tier", gettext_lazy("Tier")),
            Column("score", gettext_lazy("Churn risk (0–100)"), INT),
            Column("reasons", gettext_lazy("Reasons")),
            Column("recent", gettext_lazy("Revenue, last 3 months"), MONEY),
            Column("older", gettext_lazy("Revenue, 3 months before"), MONEY),
            Column("complaints", gettext_lazy("Complaints (90 days)"), INT),
            Column("breaches", gettext_lazy("SLA breaches (90 days)"), INT),
            Column("days_overdue", gettext_lazy("Days payment overdue"), INT),
            Column("days_since_contact", gettext_lazy("Days since contact"), INT),
        ],
        result["rows"],
        link_column="account",
    )
    bands = [(0, 19), (20, 39), (40, 59), (60, 79), (80, 100)]
    counts = [sum(1 for r in result["rows"] if lo <= r["score"] <= hi) for lo, hi in bands]
    return ReportResult(
        tables=[table],
        charts=[
            Chart(
                "scores",
                "bars",
                _("Risk scores of the listed accounts"),
                {
                    "labels": [f"{lo}–{hi}" for lo, hi in bands],
                    "datasets": [{"label": _("Accounts"), "values": counts}],
                },
            )
        ],
        notes=[
            _("%(risky)d of %(n)d accounts score %(at)d or more.")
            % {"risky": result["at_risk"], "n": result["scored"], "at": health.AT_RISK_SCORE},
            _(
                "Score: revenue of the last 3 complete months down 20%% (25 points) or 10%% (15) on the 3 before; "
                "10 per complaint and 10 per SLA breach in 90 days (at most 20 each); an installment overdue "
                "over 30 days (20) or 1–30 days (10); no contact for over 90 days or never (15), over 30 days (8)."
            ),
        ],
        scope={"as_of": result["as_of"].isoformat()},
    )


# --- service ----------------------------------------------------------------------------------

SLA_COLUMNS = [
    Column("requests", gettext_lazy("Requests"), INT),
    Column("complaints", gettext_lazy("Complaints"), INT),
    Column("dispatch_pct", gettext_lazy("Dispatched in time (%)"), PERCENT),
    Column("response_pct", gettext_lazy("Answered in time (%)"), PERCENT),
    Column("resolution_pct", gettext_lazy("Resolved in time (%)"), PERCENT),
    Column("breached", gettext_lazy("SLA breached"), INT),
    Column("rating", gettext_lazy("Average rating"), DECIMAL),
]


def build_service(*, user, params) -> ReportResult:
    by_category = service.service_by(user=user, params=params, field="category")
    by_channel = service.service_by(user=user, params=params, field="channel")
    totals = service.service_totals(user=user, params=params) | {"label": _("Total")}
    trend = service.satisfaction_trend(user=user, params=params)
    label = [Column("label", pgettext_lazy("report breakdown", "Group"))]
    return ReportResult(
        tables=[
            Table("category", _("By category"), label + SLA_COLUMNS, by_category, totals=totals),
            Table("channel", _("By channel"), label + SLA_COLUMNS, by_channel, totals=totals),
            Table(
                "trend",
                _("Satisfaction by month"),
                [
                    Column("month", gettext_lazy("Month")),
                    Column("requests", gettext_lazy("Requests"), INT),
                    Column("complaints", gettext_lazy("Complaints"), INT),
                    Column("rating", gettext_lazy("Average rating of requests"), DECIMAL),
                    Column("callbacks", gettext_lazy("Callbacks"), INT),
                    Column("callback_satisfaction", gettext_lazy("Average satisfaction of callbacks"), DECIMAL),
                ],
                trend,
            ),
        ],
        charts=[
            Chart(
                "categories",
                "bars",
                _("Requests by category"),
                {
                    "labels": [r["label"] for r in by_category],
                    "datasets": [
                        {"label": _("Requests"), "values": [r["requests"] for r in by_category]},
                        {"label": _("SLA breached"), "values": [r["breached"] for r in by_category], "tone": "danger"},
                    ],
                },
            ),
            Chart(
                "satisfaction",
                "lines",
                _("Satisfaction by month (1–5)"),
                {
                    "labels": [r["month"] for r in trend],
                    "datasets": [
                        {"label": _("Requests"), "values": [_num(r["rating"]) for r in trend]},
                        {
                            "label": _("Callbacks"),
                            "values": [_num(r["callback_satisfaction"]) for r in trend],
                            "tone": "muted",
                        },
                    ],
                    "min": 1,
                    "max": 5,
                    "step": 1,
                },
            ),
        ],
        notes=[
            _("Requests received from %(start)s to %(end)s; a rate counts the requests whose step has happened.")
            % {"start": params.start.isoformat(), "end": params.end.isoformat()}
        ],
    )


# --- visits -----------------------------------------------------------------------------------


def build_visits(*, user, params) -> ReportResult:
    tables = coverage_tables(user=user, params=params)
    rows = activity.visits_and_callbacks(user=user, params=params)
    people = Table(
        "people",
        _("Visits and callbacks per person"),
        [
            Column("person", gettext_lazy("Person")),
            Column("department", gettext_lazy("Department")),
            Column("visits", gettext_lazy("Visits done"), INT),
            Column("callbacks", gettext_lazy("Callbacks"), INT),
        ],
        rows,
        totals={
            "person": _("Total"),
            "visits": sum(r["visits"] for r in rows),
            "callbacks": sum(r["callbacks"] for r in rows),
        },
    )
    return ReportResult(
        tables=[*tables, people],
        charts=[
            Chart(
                "people",
                "bars",
                _("Visits and callbacks per person"),
                {
                    "labels": [r["person"] for r in rows],
                    "datasets": [
                        {"label": _("Visits done"), "values": [r["visits"] for r in rows]},
                        {"label": _("Callbacks"), "values": [r["callbacks"] for r in rows], "tone": "muted"},
                    ],
                },
            )
        ],
        notes=[
            _(
                "Coverage: the share of live accounts with a visit done or a callback in %(month)s, "
                "against the targets set in visits."
            )
            % {"month": params.end.strftime("%Y-%m")},
        ],
    )


# --- scorecard --------------------------------------------------------------------------------

SCORE_COLUMNS = [
    Column("visits", gettext_lazy("Visits done"), INT),
    Column("callbacks", gettext_lazy("Callbacks"), INT),
    Column("resolved", gettext_lazy("Requests resolved"), INT),
    Column("breached", gettext_lazy("SLA breaches"), INT),
    Column("revenue", gettext_lazy("Revenue of owned accounts"), MONEY),
    Column("previous", gettext_lazy("A year earlier"), MONEY),
    Column("growth", gettext_lazy("Growth (%)"), PERCENT),
    Column("lost", gettext_lazy("Accounts lost"), INT),
]


def build_scorecard(*, user, params) -> ReportResult:
    people = activity.person_scorecard(user=user, params=params)
    departments = activity.department_scorecard(people)
    totals = activity.scorecard_totals(people)
    return ReportResult(
        tables=[
            Table(
                "people",
                _("Per person"),
                [
                    Column("person", gettext_lazy("Person")),
                    Column("department", gettext_lazy("Department")),
                    *SCORE_COLUMNS,
                ],
                people,
                totals=totals | {"person": _("Total")},
            ),
            Table(
                "departments",
                _("Per department"),
                [
                    Column("department", gettext_lazy("Department")),
                    Column("people", gettext_lazy("People"), INT),
                    *SCORE_COLUMNS,
                ],
                departments,
                totals=totals | {"department": _("Total"), "people": len(people)},
            ),
        ],
        charts=[
            Chart(
                "revenue",
                "bars",
                _("Revenue of owned accounts per person"),
                {
                    "labels": [r["person"] for r in people],
                    "datasets": [
                        {
                            "label": _("A year earlier"),
                            "values": [_num(r["previous"]) for r in people],
                            "tone": "muted",
                        },
                        {"label": _("This period"), "values": [_num(r["revenue"]) for r in people]},
                    ],
                },
            )
        ],
        notes=[
            _(
                "Visits done, callbacks logged and requests resolved in the period; breaches of the requests received "
                "in it; revenue of the whole months of the period against the same months a year earlier; an account "
                "is lost when it had revenue then and none now."
            )
        ],
    )


# --- receivables ------------------------------------------------------------------------------


def build_receivables(*, user, params) -> ReportResult:
    aging = receivables.receivables_aging(user=user, params=params)
    overdue = receivables.most_overdue(user=user, params=params, limit=20)
    bucket_columns = [Column(key, label, MONEY) for key, label in aging["buckets"]]
    rows = [dict(r) for r in aging["rows"]]
    return ReportResult(
        tables=[
            Table(
                "aging",
                _("Receivables aging as of %(date)s") % {"date": aging["as_of"].isoformat()},
                [
                    Column("currency", gettext_lazy("Currency")),
                    *bucket_columns,
                    Column("total", gettext_lazy("Total"), MONEY),
                ],
                rows,
            ),
            Table(
                "overdue",
                _("Most overdue contracts and their late fees"),
                [
                    Column("number", gettext_lazy("Contract")),
                    Column("account", gettext_lazy("Account")),
                    Column("currency", gettext_lazy("Currency")),
                    Column("overdue", gettext_lazy("Overdue"), MONEY),
                    Column("late_fees", gettext_lazy("Late fees"), MONEY),
                    Column("end_on", gettext_lazy("Ends"), DATE),
                ],
                [
                    {
                        "number": c.number,
                        "url": c.get_absolute_url(),
                        "account": c.account.name,
                        "currency": c.currency,
                        "overdue": c.overdue_amount,
                        "late_fees": c.statement.late_fees,
                        "end_on": c.end_on,
                    }
                    for c in overdue
                ],
                link_column="number",
            ),
        ],
        charts=[
            Chart(
                "aging",
                "bars",
                _("Open balance by days past due"),
                {
                    "labels": [str(label) for _k, label in aging["buckets"]],
                    "datasets": [
                        {"label": r["currency"], "values": [_num(r[key]) for key, _l in aging["buckets"]]} for r in rows
                    ],
                    "stacked": True,
                },
            )
        ],
        notes=[
            _("Open installments of contracts in force, by days past their due date on %(date)s (the period's end).")
            % {"date": aging["as_of"].isoformat()}
        ],
    )


# --- pipeline ---------------------------------------------------------------------------------


def build_pipeline(*, user, params) -> ReportResult:
    owner = User.objects.filter(pk=params.owner_id).first() if params.owner_id else None
    team = params.team_id or None
    stages = pipeline_by_stage(user=user, owner=owner, team=team)
    forecast = forecast_by_month(user=user, owner=owner, team=team)
    won_lost = won_lost_analysis(user=user, date_from=params.start, date_to=params.end, owner=owner, team=team)
    months: dict = {}
    for row in forecast:
        m = months.setdefault(
            row["month"], {"month": row["month"].strftime("%Y-%m"), "count": 0, "amount": 0, "weighted": 0}
        )
        for key in ("count", "amount", "weighted"):
            m[key] += row[key]
    month_rows = [months[k] for k in sorted(months)]
    outcomes, reasons = dict(Stage.Outcome.choices), dict(CloseReason.choices)
    totals = won_lost["totals"]
    money_columns = [
        Column("count", gettext_lazy("Opportunities"), INT),
        Column("amount", gettext_lazy("Amount"), MONEY),
        Column("weighted", gettext_lazy("Weighted by probability"), MONEY),
    ]
    return ReportResult(
        tables=[
            Table(
                "stages",
                _("Open pipeline by stage"),
                [Column("name", gettext_lazy("Stage")), *money_columns],
                stages,
                totals={
                    "name": _("Total"),
                    "count": sum(r["count"] for r in stages),
                    "amount": sum((r["amount"] for r in stages), 0),
                    "weighted": sum((r["weighted"] for r in stages), 0),
                },
            ),
            Table(
                "forecast",
                _("Weighted forecast by expected close month"),
                [Column("month", gettext_lazy("Month")), *money_columns],
                month_rows,
            ),
            Table(
                "reasons",
                _("Won and lost by reason"),
                [
                    Column("outcome", pgettext_lazy("deal outcome", "Outcome")),
                    Column("reason", gettext_lazy("Reason")),
                    Column("count", gettext_lazy("Opportunities"), INT),
                    Column("amount", gettext_lazy("Amount"), MONEY),
                ],
                [
                    {
                        **r,
                        "outcome": str(outcomes.get(r["outcome"], r["outcome"])),
                        "reason": str(reasons.get(r["reason"], r["reason"] or "—")),
                    }
                    for r in won_lost["by_reason"]
                ],
            ),
            Table(
                "competitors",
                _("Lost to competitors"),
                [
                    Column("competitor", gettext_lazy("Competitor")),
                    Column("count", gettext_lazy("Opportunities"), INT),
                    Column("amount", gettext_lazy("Amount"), MONEY),
                ],
                won_lost["by_competitor"],
            ),
        ],
        charts=[
            Chart(
                "stages",
                "bars",
                _("Open pipeline by stage"),
                {
                    "labels": [r["name"] for r in stages],
                    "datasets": [
                        {"label": _("Amount"), "values": [_num(r["amount"]) for r in stages], "tone": "muted"},
                        {"label": _("Weighted by probability"), "values": [_num(r["weighted"]) for r in stages]},
                    ],
                },
            ),
            Chart(
                "forecast",
                "bars",
                _("Weighted forecast by expected close month"),
                {
                    "labels": [r["month"] for r in month_rows],
                    "datasets": [
                        {"label": _("Weighted by probability"), "values": [_num(r["weighted"]) for r in month_rows]}
                    ],
                },
            ),
        ],
        notes=[
            _(
                "Won %(won)d (%(won_amount)s), lost %(lost)d (%(lost_amount)s) from %(start)s to %(end)s; "
                "win rate %(rate)s."
            )
            % {
                "won": totals["won_count"],
                "won_amount": money(totals["won_amount"], "0"),
                "lost": totals["lost_count"],
                "lost_amount": money(totals["lost_amount"], "0"),
                "start": params.start.isoformat(),
                "end": params.end.isoformat(),
                "rate": f"{totals['win_rate']}%" if totals["win_rate"] is not None else "—",
            },
            _("The pipeline and the forecast count the open opportunities; won and lost those closed in the period."),
        ],
    )


def register_reports() -> None:
    for order, (name, title, description, icon, build, filters) in enumerate(
        [
            (
                "composition",
                gettext_lazy("Customer composition"),
                gettext_lazy("Revenue share by tier, ABC class and account; the Pareto curve."),
                "pie-chart",
                build_composition,
                ("period", "team", "owner"),
            ),
            (
                "churn",
                gettext_lazy("Top 50 and churn warning"),
                gettext_lazy(
                    "The largest accounts' monthly revenue against a baseline month, flagged at −10% and −20%."
                ),
                "graph-down-arrow",
                build_churn,
                ("month", "baseline", "team", "owner"),
            ),
            (
                "health",
                gettext_lazy("Account health"),
                gettext_lazy("A churn-risk score per account with its reasons."),
                "heart-pulse",
                build_health,
                ("period", "team", "owner"),
            ),
            (
                "service",
                gettext_lazy("Service"),
                gettext_lazy("Requests by category and channel, SLA rates, complaints, satisfaction."),
                "life-preserver",
                build_service,
                ("period", "team", "owner"),
            ),
            (
                "visits",
                gettext_lazy("Visits and coverage"),
                gettext_lazy("Contact coverage against targets; visits and callbacks per person."),
                "geo-alt",
                build_visits,
                ("period", "team", "owner"),
            ),
            (
                "scorecard",
                gettext_lazy("Scorecard (考核)"),
                gettext_lazy("Per person and per department: activity, service, revenue and growth."),
                "clipboard-data",
                build_scorecard,
                ("period", "team", "owner"),
            ),
            (
                "receivables",
                gettext_lazy("Receivables aging"),
                gettext_lazy("Open balances by days past due and late fees."),
                "cash-coin",
                build_receivables,
                ("period", "team", "owner"),
            ),
            (
                "pipeline",
                gettext_lazy("Pipeline"),
                gettext_lazy("Open value by stage, the weighted forecast, won and lost by reason and competitor."),
                "funnel",
                build_pipeline,
                ("period", "team", "owner"),
            ),
        ]
    ):
        register_report(
            Report(
                name=name, title=title, description=description, icon=icon, build=build, filters=filters, order=order
            )
        )
