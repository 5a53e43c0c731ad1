"""Demo staff: an administrator, one user per role, a few more account managers and teams."""

import secrets

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from .models import Department, Team, User
from .roles import Role

CREDENTIALS_FILE = settings.VAR_DIR / "demo-credentials.txt"

DEPARTMENTS = [
    ("sales", "Key Account Sales / 大客户销售部"),
    ("service", "Customer Service / 客户服务中心"),
    ("finance", "Finance / 财务部"),
    ("network", "Network Operations / 网络维护部"),
    ("billing", "Billing / 计费部"),
]

# username, full name, role, department code, title
DEMO_USERS = [
    ("admin", "Admin 管理员", Role.ADMIN, "sales", "System administrator"),
    ("director", "Zhao Min 赵敏", Role.DIRECTOR, "sales", "Sales director / 销售总监"),
    ("manager", "Li Na 李娜", Role.MANAGER, "sales", "Senior account manager / 高级客户经理"),
    ("wang.wei", "Wang Wei 王伟", Role.MANAGER, "sales", "Account manager / 客户经理"),
    ("chen.jie", "Chen Jie 陈杰", Role.MANAGER, "sales", "Account manager / 客户经理"),
    ("emma.liu", "Emma Liu 刘艺", Role.MANAGER, "sales", "Account manager / 客户经理"),
    ("zhou.qiang", "Zhou Qiang 周强", Role.MANAGER, "sales", "Account manager / 客户经理"),
    ("service", "Sun Li 孙丽", Role.SERVICE, "service", "Customer service agent / 客服专员"),
    ("finance", "Qian Hui 钱慧", Role.FINANCE, "finance", "Accountant / 会计"),
]


def demo_password() -> tuple[str, bool]:
    """The demo password: DEMO_PASSWORD, else generated once (and kept in var/ for `make run`)."""
    if settings.DEMO_PASSWORD:
        return settings.DEMO_PASSWORD, False
    return secrets.token_urlsafe(9), True


def seed_users(context: dict) -> None:
    password, generated = demo_password()
    hashed = make_password(password)
    departments = {
        code: Department.objects.get_or_create(code=code, defaults={"name": name})[0] for code, name in DEPARTMENTS
    }
    groups = {g.name: g for g in Group.objects.all()}
    users = {}
    for username, full_name, role, dept, title in DEMO_USERS:
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "full_name": full_name,
                "email": f"{username}@example.com",
                "department": departments[dept],
                "title": title,
                "password": hashed,
                "is_staff": role in (Role.ADMIN, Role.DIRECTOR, Role.FINANCE),
                "is_superuser": role == Role.ADMIN,
            },
        )
        user.groups.set([groups[role.value]])
        users[username] = user
    north, _ = Team.objects.get_or_create(
        name="North key accounts / 北区大客户组", defaults={"department": departments["sales"]}
    )
    north.leader = users["manager"]
    north.save()
    north.members.set([users["manager"], users["wang.wei"], users["chen.jie"]])
    south, _ = Team.objects.get_or_create(
        name="South key accounts / 南区大客户组", defaults={"department": departments["sales"]}
    )
    south.leader = users["emma.liu"]
    south.save()
    south.members.set([users["emma.liu"], users["zhou.qiang"]])

    context["users"] = users
    context["managers"] = [u for u in users.values() if u.groups.filter(name=Role.MANAGER.value).exists()]
    context["teams"] = {"north": north, "south": south}
    context["departments"] = departments
    names = ", ".join(u for u, *_ in DEMO_USERS)
    CREDENTIALS_FILE.write_text(f"users: {names}\npassword: {password}\n")
    CREDENTIALS_FILE.chmod(0o600)
    context.setdefault("summary", []).append(
        f"Demo users: {names}; password: {password}"
        + (" (generated; also in var/demo-credentials.txt)" if generated else " (from DEMO_PASSWORD)")
    )
