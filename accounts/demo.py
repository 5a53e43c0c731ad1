"""Demo and benchmark data: Chinese and English companies, groups with subsidiaries,
contacts with birthdays over the year, and two years of revenue with a Pareto-like spread."""

import datetime
import random
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from core.bulk import bulk_insert, next_id, reset_sequence

from .models import (
    Account,
    AccountEvent,
    AccountSearch,
    Competitor,
    CompetitorPresence,
    Contact,
    Feedback,
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


def _company(rng: random.Random, i: int):
    """(name, short name, region, industry, category or None) of one demo company."""
    city_cn, city_en = rng.choice(CITIES)
    region = f"{city_cn} {city_en}"  # findable in either language
    roll = rng.random()
    if roll < 0.04:
        cn, en = rng.choice(GOV)
        return f"{city_cn}{cn}", f"{city_cn}{cn.removeprefix('市')[:3]}", region, "government", "important"
    if roll < 0.65:
        trade, industry = rng.choice(TRADES_CN)
        core = rng.choice(CORES_CN)
        return (f"{city_cn}{core}{trade}{rng.choice(SUFFIX_CN)}", f"{city_cn}{core}", region, industry, None)
    trade, industry = rng.choice(TRADES_EN)
    core = rng.choice(CORES_EN)
    return f"{core} {trade} ({city_en}) Co., Ltd.", f"{core} {city_en}", region, industry, None


def _person(rng: random.Random) -> str:
    if rng.random() < 0.85:
        return rng.choice(SURNAMES) + rng.choice(GIVEN)
    return f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}"


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"


def seed_accounts(context: dict) -> None:
    """Generate `context['accounts']` accounts and `context['transactions']` revenue rows."""
    # bandit B311: demo data wants a repeatable sequence, not secrecy
    rng = random.Random(context.get("seed", 2026))  # nosec B311
    n_accounts = int(context.get("accounts", 300))
    n_txns = int(context.get("transactions", 6000))
    managers = context.get("managers") or []
    team_of = {}
    for team in (context.get("teams") or {}).values():
        for member in team.members.all():
            team_of[member.pk] = team.pk
    now = timezone.now()
    today = timezone.localdate()

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

        def contact_rows():
            cid = first_contact_id
            for acc_id in ids:
                for k in range(rng.randint(2, 4)):
                    title, role = rng.choice(TITLES)
                    lunar = rng.random() < 0.25
                    yield (
                        cid,
                        acc_id,
                        _person(rng),
                        title,
                        "",
                        role,
                        rng.choices(["supporter", "neutral", "opponent"], [45, 40, 15])[0],
                        rng.randint(1, 5),
                        _phone(rng),
                        "",
                        "lunar" if lunar else "gregorian",
                        rng.choice([None, rng.randint(1960, 1995)]),
                        rng.randint(1, 12),
                        rng.randint(1, 28),
                        False,
                        rng.choice(
                            [
                                "高尔夫 golf",
                                "茶 tea",
                                "钓鱼 fishing",
                                "跑步 running",
                                "书法 calligraphy",
                                "",
                            ]
                        ),
                        "",
                        rng.choice(["phone", "wechat", "email", "visit"]),
                        k == 0,
                        False,
                        1,
                        now,
                        now,
                    )
                    cid += 1

        contact_list = list(contact_rows())
        contacts_of = defaultdict(list)
        for row in contact_list:
            contacts_of[row[1]].append((row[2], row[8]))  # name, phone

        search_rows = []

        def account_rows():
            for acc_id in ids:
                name, nickname, region, industry, category = _company(rng, acc_id)
                if acc_id in group_heads or acc_id in parent_of:
                    category = "group"
                elif category is None:
                    category = rng.choices(["high_value", "strategic"], [85, 15])[0]
                owner = rng.choice(managers) if managers else None
                owner_id = owner.pk if owner else None
                changed = today - datetime.timedelta(days=rng.randint(0, 700))
                row = (
                    acc_id,
                    f"KA{acc_id:08d}",
                    name,
                    nickname,
                    category,
                    industry,
                    region,
                    f"{region.split()[0]} {rng.randint(1, 999)}号",
                    _phone(rng),
                    f"info{acc_id}@example.cn",
                    "",
                    parent_of.get(acc_id),
                    owner_id,
                    team_of.get(owner_id),
                    status_of[acc_id],
                    changed,
                    rng.choice(SOURCES),
                    "",
                    "",
                    "small",
                    "",
                    "",
                    Decimal("0"),
                    now - datetime.timedelta(days=rng.randint(0, 120)),
                    False,
                    None,
                    1,
                    now,
                    now,
                )
                search_rows.append(
                    (
                        acc_id,
                        build_search_text(
                            name=name,
                            nickname=nickname,
                            number=row[1],
                            phone=row[8],
                            contacts=contacts_of[acc_id],
                        ),
                    )
                )
                yield row

        bulk_insert(
            Account,
            [
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
            ],
            account_rows(),
        )
        reset_sequence(Account)
        bulk_insert(AccountSearch, ["account_id", "text"], search_rows)

        bulk_insert(
            Contact,
            [
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
            ],
            contact_list,
        )
        reset_sequence(Contact)

        start = now - datetime.timedelta(days=730)
        cum = []
        total = 0.0
        for w in weights:
            total += w
            cum.append(total)

        def transaction_rows():
            tid = first_txn_id
            picked = rng.choices(ids, cum_weights=cum, k=n_txns)
            for acc_id in picked:
                kind = rng.choices(["purchase", "recharge", "refund"], [60, 36, 4])[0]
                amount = Decimal(str(round(rng.lognormvariate(9.5, 0.8), 2))) or Decimal("1.00")
                if kind == "refund":
                    amount = (amount / 4).quantize(Decimal("0.01")) or Decimal("1.00")
                when = start + datetime.timedelta(seconds=rng.randint(0, 730 * 86400))
                yield (
                    tid,
                    acc_id,
                    kind,
                    amount,
                    when,
                    rng.choice(PRODUCT_LINES),
                    "demo",
                    f"demo-{tid}",
                    "",
                    None,
                    now,
                )
                tid += 1

        bulk_insert(
            Transaction,
            [
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
            ],
            transaction_rows(),
        )
        reset_sequence(Transaction)
        monthly_revenue_rebuild()  # the rollup of the rows just loaded past the services

        competitors = [Competitor.objects.get_or_create(name=name)[0] for name in COMPETITORS]
        presence_rows, feedback_rows, event_rows = [], [], []
        fid, eid = next_id(Feedback), next_id(AccountEvent)
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
                suggestion = rng.choice(["服务很好", "Engineer on site was quick and helpful", "", "客户经理响应及时"])
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
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    context["account_ids"] = ids
    context.setdefault("summary", []).append(f"Demo accounts: {n_accounts:,}; transactions: {n_txns:,}")
