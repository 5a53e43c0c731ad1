"""Demo and benchmark data: Chinese and English companies, groups with subsidiaries,
contacts with birthdays over the year, and two years of revenue with a Pareto-like spread."""

import datetime
import itertools
import math
import random
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

from django.db import connection, transaction
from django.utils import timezone

from core.bulk import (
    COPY_NULL,
    LinesInBackground,
    bulk_insert,
    bulk_insert_text,
    copy_escape,
    indexes_dropped,
    next_id,
    reset_sequence,
)

from .models import (
    Account,
    AccountEvent,
    AccountSearch,
    Competitor,
    CompetitorPresence,
    Contact,
    Feedback,
    MonthlyRevenue,
    Transaction,
)
from .revenue import monthly_revenue_rebuild
from .search import build_search_text

CITIES = [
    ("北京", "Beijing"),
    ("上海", "Shanghai"),
    ("广州", "Guangzhou"),
    ("深圳", "Shenzhen"),
    ("杭州", "Hangzhou"),
    ("成都", "Chengdu"),
    ("武汉", "Wuhan"),
    ("南京", "Nanjing"),
    ("西安", "Xi'an"),
    ("天津", "Tianjin"),
    ("苏州", "Suzhou"),
    ("重庆", "Chongqing"),
    ("青岛", "Qingdao"),
    ("厦门", "Xiamen"),
    ("长沙", "Changsha"),
]
CORES_CN = [
    "华信",
    "恒通",
    "中联",
    "远航",
    "瑞丰",
    "金桥",
    "海纳",
    "天成",
    "嘉禾",
    "鼎盛",
    "博远",
    "宏达",
    "安泰",
    "星辰",
    "润泽",
    "万象",
]
TRADES_CN = [
    ("科技", "telecom"),
    ("银行", "finance"),
    ("制造", "manufacturing"),
    ("能源", "energy"),
    ("医疗", "healthcare"),
    ("物流", "logistics"),
    ("地产", "real_estate"),
    ("传媒", "media"),
    ("零售", "retail"),
    ("教育", "education"),
]
SUFFIX_CN = ["有限公司", "股份有限公司", "集团有限公司"]
CORES_EN = [
    "Apex",
    "Bluewave",
    "Cedar",
    "Delta",
    "Evergreen",
    "Falcon",
    "Granite",
    "Harbor",
    "Ion",
    "Juniper",
    "Keystone",
    "Lumen",
    "Meridian",
    "Northstar",
    "Orion",
    "Pinnacle",
    "Quantum",
    "Redwood",
    "Summit",
    "Vertex",
]
TRADES_EN = [
    ("Systems", "telecom"),
    ("Capital", "finance"),
    ("Industries", "manufacturing"),
    ("Power", "energy"),
    ("Health", "healthcare"),
    ("Logistics", "logistics"),
    ("Properties", "real_estate"),
    ("Media", "media"),
    ("Retail", "retail"),
    ("Learning", "education"),
]
GOV = [
    ("市政务服务中心", "Municipal Government Service Centre"),
    ("市公安局", "Municipal Public Security Bureau"),
    ("军区后勤部", "Military Logistics Department"),
    ("市税务局", "Municipal Tax Bureau"),
]
SURNAMES = [
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "黄",
    "赵",
    "吴",
    "周",
    "徐",
    "孙",
    "马",
    "朱",
    "胡",
    "郭",
    "何",
    "林",
]
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "磊",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "秀英",
    "建华",
    "晓东",
    "婷",
    "强",
]
EN_FIRST = [
    "James",
    "Mary",
    "David",
    "Linda",
    "Michael",
    "Susan",
    "Daniel",
    "Karen",
    "Kevin",
    "Grace",
    "Eric",
    "Helen",
]
EN_LAST = ["Smith", "Chan", "Wong", "Taylor", "Brown", "Lee", "Miller", "Ng", "Davis", "Clark"]
TITLES = [
    ("总经理", "economic"),
    ("财务总监", "financial"),
    ("CIO 信息总监", "technical"),
    ("IT 经理", "technical"),
    ("采购经理", "financial"),
    ("行政主管", "user"),
    ("业务部经理", "user"),
    ("总经理助理", "coach"),
]
PRODUCT_LINES = [
    "Dedicated line 专线",
    "Cloud 云服务",
    "5G private network 5G专网",
    "IDC hosting 机房托管",
    "Voice 语音",
    "IoT 物联网",
    "Security 安全服务",
]
COMPETITORS = [
    "China Telecom 中国电信",
    "China Unicom 中国联通",
    "Alibaba Cloud 阿里云",
    "Tencent Cloud 腾讯云",
    "Huawei Cloud 华为云",
    "AWS",
    "Local ISP 本地运营商",
    "Kingsoft Cloud 金山云",
]
SOURCES = [
    "Referral 转介绍",
    "Tender 招标",
    "Exhibition 展会",
    "Cold call 电话开发",
    "Partner 合作伙伴",
    "Website 官网",
]


def _pick(rng: random.Random, items):
    """One of `items`, equally likely: rng.choice at a third of its cost (one random() call)."""
    return items[int(rng.random() * len(items))]


def _company(rng: random.Random, i: int):
    """(name, short name, region, industry, category or None) of one demo company."""
    city_cn, city_en = _pick(rng, CITIES)
    region = f"{city_cn} {city_en}"  # findable in either language
    roll = rng.random()
    if roll < 0.04:
        cn, en = _pick(rng, GOV)
        return f"{city_cn}{cn}", f"{city_cn}{cn.removeprefix('市')[:3]}", region, "government", "important"
    if roll < 0.65:
        trade, industry = _pick(rng, TRADES_CN)
        core = _pick(rng, CORES_CN)
        return (f"{city_cn}{core}{trade}{_pick(rng, SUFFIX_CN)}", f"{city_cn}{core}", region, industry, None)
    trade, industry = _pick(rng, TRADES_EN)
    core = _pick(rng, CORES_EN)
    return f"{core} {trade} ({city_en}) Co., Ltd.", f"{core} {city_en}", region, industry, None


def _person(rng: random.Random) -> str:
    if rng.random() < 0.85:
        return _pick(rng, SURNAMES) + _pick(rng, GIVEN)
    return f"{_pick(rng, EN_FIRST)} {_pick(rng, EN_LAST)}"


def _phone(rng: random.Random) -> str:
    rand = rng.random
    return f"1{'3589'[int(rand() * 4)]}{int(rand() * 10)}{10000000 + int(rand() * 90000000)}"


# From this many accounts on, PostgreSQL loads with the tables' indexes and foreign keys dropped and
# builds them once afterwards (core.bulk.indexes_dropped); the small demo of `make run` and the
# tests load into the indexed tables as they are.
BIG_LOAD = 20_000
ACCOUNT_COLUMNS = [
    "id",
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
    "parent_id",
    "owner_id",
    "team_id",
    "status",
    "status_changed_on",
    "source",
    "tags",
    "notes",
    "tier",
    "abc_class",
    "rfm_segment",
    "revenue_12m",
    "last_contact_at",
    "is_archived",
    "archived_at",
    "version",
    "created_at",
    "updated_at",
]
CONTACT_COLUMNS = [
    "id",
    "account_id",
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
    "birth_leap_month",
    "interests",
    "family_notes",
    "preferred_channel",
    "is_primary",
    "is_archived",
    "version",
    "created_at",
    "updated_at",
]
TRANSACTION_COLUMNS = [
    "id",
    "account_id",
    "kind",
    "amount",
    "occurred_at",
    "product_line",
    "source_system",
    "external_ref",
    "note",
    "created_by_id",
    "created_at",
]
INTERESTS = ["高尔夫 golf", "茶 tea", "钓鱼 fishing", "跑步 running", "书法 calligraphy", ""]
CHANNELS = ["phone", "wechat", "email", "visit"]


class _Parts:
    """Seconds per part of the accounts step of a big load, written under it (bench/__main__
    prints them)."""

    def __init__(self, context: dict):
        self.stdout = context.get("stdout")
        self.started = time.monotonic()

    def __call__(self, name: str, *, copied: int = 0) -> None:
        """`copied`: the rows this part sent through COPY (its seconds count towards the COPY rate)."""
        now = time.monotonic()
        if self.stdout is not None:
            self.stdout.write(f"    accounts part: {name} {now - self.started:.2f} s")
            if copied:
                self.stdout.write(f"    accounts copy: {copied} rows {now - self.started:.2f} s")
        self.started = now


def seed_accounts(context: dict) -> None:
    """Generate `context['accounts']` accounts and `context['transactions']` revenue rows.

    The rows are made as COPY text lines (core.bulk.bulk_insert_text: one f-string a row, no
    Decimal or datetime per row); a big load on PostgreSQL drops the tables' indexes and foreign
    keys and builds them again once the rows and the monthly rollup are in."""
    # bandit B311: demo data wants a repeatable sequence, not secrecy
    rng = random.Random(context.get("seed", 2026))  # nosec B311
    rand = rng.random
    n_accounts = int(context.get("accounts", 300))
    n_txns = int(context.get("transactions", 6000))
    managers = context.get("managers") or []
    team_of = {}
    for team in (context.get("teams") or {}).values():
        for member in team.members.all():
            team_of[member.pk] = team.pk
    now = timezone.now()
    today = timezone.localdate()
    now_text = now.isoformat()
    big = connection.vendor == "postgresql" and n_accounts >= BIG_LOAD
    part = _Parts(context if big else {})  # the small demo of `make run` prints its total only

    with transaction.atomic():
        first_id = next_id(Account)
        ids = list(range(first_id, first_id + n_accounts))
        # Pareto weights: a few accounts carry most of the revenue
        weights = [rng.paretovariate(1.16) for _ in ids]
        group_heads = set(rng.sample(ids, k=max(1, n_accounts // 25))) if n_accounts >= 10 else set()
        parent_of = {}
        heads = sorted(group_heads)
        for acc_id in ids:
            if acc_id not in group_heads and heads and rng.random() < 0.12:
                parent_of[acc_id] = rng.choice(heads)
        statuses = ["active"] * 75 + ["prospect"] * 10 + ["dormant"] * 10 + ["churned"] * 5
        status_of = {acc_id: rng.choice(statuses) for acc_id in ids}
        if len(set(status_of.values())) > 1:  # prospects have bought nothing yet
            weights = [0.0 if status_of[a] == "prospect" else w for a, w in zip(ids, weights, strict=True)]

        first_contact_id = next_id(Contact)  # before COPY starts: the connection is busy during it
        first_txn_id = next_id(Transaction)
        # dates and moments as text, made once: `changed` up to 700 days back, last contact up to 120
        changed_on = [(today - datetime.timedelta(days=d)).isoformat() for d in range(701)]
        contacted_at = [(now - datetime.timedelta(days=d)).isoformat() for d in range(121)]
        owners = [(str(m.pk), copy_escape(team_of.get(m.pk))) for m in managers] or [(COPY_NULL, COPY_NULL)]
        titles = [(copy_escape(title), role) for title, role in TITLES]  # escaped once, not per row
        interests = [copy_escape(i) for i in INTERESTS]
        sources = [copy_escape(source) for source in SOURCES]
        search_lines: list[str] = []
        contact_lines: list[str] = []

        def account_lines():
            cid = first_contact_id
            for acc_id in ids:
                contacts = []
                for k in range(2 + int(rand() * 3)):  # 2-4 contacts
                    title, role = titles[int(rand() * len(titles))]
                    person, phone = _person(rng), _phone(rng)
                    contacts.append((person, phone))
                    attitude = rand()
                    attitude = "supporter" if attitude < 0.45 else "neutral" if attitude < 0.85 else "opponent"
                    birth_year = str(1960 + int(rand() * 36)) if rand() < 0.5 else COPY_NULL
                    contact_lines.append(
                        f"{cid}\t{acc_id}\t{copy_escape(person)}\t{title}\t\t{role}\t{attitude}\t"
                        f"{1 + int(rand() * 5)}\t{phone}\t\t{'lunar' if rand() < 0.25 else 'gregorian'}\t"
                        f"{birth_year}\t{1 + int(rand() * 12)}\t{1 + int(rand() * 28)}\tf\t"
                        f"{interests[int(rand() * len(interests))]}\t\t"
                        f"{CHANNELS[int(rand() * len(CHANNELS))]}\t{'t' if k == 0 else 'f'}\tf\t1\t"
                        f"{now_text}\t{now_text}\n"
                    )
                    cid += 1
                name, nickname, region, industry, category = _company(rng, acc_id)
                if acc_id in group_heads or acc_id in parent_of:
                    category = "group"
                elif category is None:
                    category = "high_value" if rand() < 0.85 else "strategic"
                owner_id, team_id = owners[int(rand() * len(owners))]
                number = f"KA{acc_id:08d}"
                phone = _phone(rng)
                search = build_search_text(name=name, nickname=nickname, number=number, phone=phone, contacts=contacts)
                search_lines.append(f"{acc_id}\t{copy_escape(search)}\n")
                yield (
                    f"{acc_id}\t{number}\t{copy_escape(name)}\t{copy_escape(nickname)}\t{category}\t{industry}\t"
                    f"{copy_escape(region)}\t{copy_escape(region.split()[0])} {1 + int(rand() * 999)}号\t{phone}\t"
                    f"info{acc_id}@example.cn\t\t{parent_of.get(acc_id, COPY_NULL)}\t{owner_id}\t{team_id}\t"
                    f"{status_of[acc_id]}\t{changed_on[int(rand() * 701)]}\t"
                    f"{sources[int(rand() * len(sources))]}\t\t\tsmall\t\t\t0\t"
                    f"{contacted_at[int(rand() * 121)]}\tf\t\\N\t1\t{now_text}\t{now_text}\n"
                )

        cum = list(itertools.accumulate(weights))
        span = 730 * 86400
        start = int(now.timestamp()) - span  # times uniform over the last 730 days, to the second
        first_day = start - start % 86400
        epoch = datetime.datetime(1970, 1, 1)
        days = [(epoch + datetime.timedelta(seconds=first_day + d * 86400)).strftime("%Y-%m-%d ") for d in range(732)]
        two = [f"{n:02d}" for n in range(60)]
        clock = [f"{h}:{m}:{s}+00" for h in two[:24] for m in two for s in two]
        offset = start - first_day
        id_texts = [str(acc_id) for acc_id in ids]
        product_lines = [copy_escape(p) for p in PRODUCT_LINES]

        def transaction_lines():
            tid = first_txn_id
            gauss, exp = rng.gauss, math.exp
            for chunk_start in range(0, n_txns, 50_000):
                k = min(50_000, n_txns - chunk_start)
                picked = rng.choices(id_texts, cum_weights=cum, k=k)
                kinds = rng.choices(("purchase", "recharge", "refund"), cum_weights=(60, 96, 100), k=k)
                products = rng.choices(product_lines, k=k)
                for acc, kind, product in zip(picked, kinds, products, strict=True):
                    amount = exp(gauss(9.5, 0.8))  # lognormal
                    if kind == "refund":
                        amount /= 4
                    if amount < 0.005:
                        amount = 1.0
                    day, second = divmod(offset + int(rand() * span), 86400)
                    yield (
                        f"{tid}\t{acc}\t{kind}\t{amount:.2f}\t{days[day]}{clock[second]}\t{product}\tdemo\t"
                        f"demo-{tid}\t\t\\N\t{now_text}\n"
                    )
                    tid += 1

        loaded = [Account, AccountSearch, Contact, Transaction, MonthlyRevenue]
        loaded += [CompetitorPresence, Feedback, AccountEvent]
        with indexes_dropped(loaded) if big else nullcontext() as dropped:
            if big:
                part("drop indexes")
            copied = bulk_insert_text(Account, ACCOUNT_COLUMNS, account_lines())
            reset_sequence(Account)
            part("accounts (and making the contacts)", copied=copied)
            copied = bulk_insert_text(AccountSearch, ["account_id", "text"], search_lines)
            part("search", copied=copied)
            copied = bulk_insert_text(Contact, CONTACT_COLUMNS, contact_lines)
            reset_sequence(Contact)
            part("contacts", copied=copied)
            if big:
                # a thread makes the transactions while the server builds these tables' indexes
                transactions = LinesInBackground(transaction_lines())
                dropped.rebuild([Account, AccountSearch, Contact])
                part("their indexes and foreign keys (the transactions made meanwhile)")
            else:
                transactions = transaction_lines()
            copied = bulk_insert_text(Transaction, TRANSACTION_COLUMNS, transactions)
            reset_sequence(Transaction)
            part("transactions", copied=copied)
            competitors = [Competitor.objects.get_or_create(name=name)[0] for name in COMPETITORS]
            first_fid, first_eid = next_id(Feedback), next_id(AccountEvent)

            def other_rows():
                presence_rows, feedback_rows, event_rows = [], [], []
                fid, eid = first_fid, first_eid
                for acc_id in rng.sample(ids, k=min(len(ids), max(1, n_accounts // 5))):
                    for comp in rng.sample(competitors, k=rng.randint(1, 2)):
                        presence_rows.append(
                            (
                                acc_id,
                                comp.pk,
                                rng.choice(PRODUCT_LINES),
                                rng.choice(["weak", "medium", "strong"]),
                                today - datetime.timedelta(days=rng.randint(30, 900)),
                                "",
                                now,
                            )
                        )
                for acc_id in rng.sample(ids, k=min(len(ids), max(1, n_accounts // 3))):
                    day = today - datetime.timedelta(days=rng.randint(0, 360))
                    score = rng.choices([1, 2, 3, 4, 5], [3, 7, 20, 40, 30])[0]
                    if score >= 4:
                        suggestion = rng.choice(
                            ["服务很好", "Engineer on site was quick and helpful", "", "客户经理响应及时"]
                        )
                    elif score == 3:
                        suggestion = rng.choice(["Invoice earlier each month", "专线带宽需要升级", ""])
                    else:
                        suggestion = rng.choice(
                            ["希望缩短故障响应时间", "Outage last week took two days to fix", "账单多次出错"]
                        )
                    feedback_rows.append(
                        (
                            fid,
                            acc_id,
                            None,
                            day,
                            rng.choice(["callback", "visit", "phone", "survey"]),
                            score,
                            suggestion,
                            rng.choice(["new", "acknowledged", "done"]),
                            None,
                            None,
                            now,
                        )
                    )
                    at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
                    event_rows.append(
                        (
                            eid,
                            acc_id,
                            at,
                            "feedback.received",
                            {"satisfaction": score, "suggestion": suggestion},
                            None,
                            "accounts.feedback",
                            fid,
                        )
                    )
                    fid += 1
                    eid += 1
                return presence_rows, feedback_rows, event_rows

            if big:  # a thread makes the feedback and competitor rows while the server writes the rollup
                with ThreadPoolExecutor(max_workers=1) as pool:
                    made = pool.submit(other_rows)
                    monthly_revenue_rebuild()  # the rollup of the rows just loaded past the services
                    part("rollup (the other rows made meanwhile)")
                    presence_rows, feedback_rows, event_rows = made.result()
            else:
                monthly_revenue_rebuild()
                presence_rows, feedback_rows, event_rows = other_rows()
            bulk_insert(
                CompetitorPresence,
                ["account_id", "competitor_id", "products", "strength", "since", "notes", "updated_at"],
                presence_rows,
            )
            bulk_insert(
                Feedback,
                [
                    "id",
                    "account_id",
                    "contact_id",
                    "received_on",
                    "channel",
                    "satisfaction",
                    "suggestion",
                    "status",
                    "handler_id",
                    "created_by_id",
                    "created_at",
                ],
                feedback_rows,
            )
            bulk_insert(
                AccountEvent,
                ["id", "account_id", "occurred_at", "kind", "data", "actor_id", "subject_type", "subject_id"],
                event_rows,
            )
            reset_sequence(Feedback)
            reset_sequence(AccountEvent)
            part("competitors, feedback, events")
        if big:
            part("the other tables' indexes and foreign keys")

    if connection.vendor == "postgresql":  # the next steps plan their queries on these counts
        with connection.cursor() as cursor:
            for model in loaded:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        part("analyze")
    context["account_ids"] = ids
    context.setdefault("summary", []).append(f"Demo accounts: {n_accounts:,}; transactions: {n_txns:,}")
