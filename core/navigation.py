"""The main menu. Apps add entries in AppConfig.ready; each entry says which roles see it."""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from .registry import Registry


@dataclass(frozen=True)
class NavItem:
    order: int
    label: str  # lazy translation
    url_name: str
    icon: str
    visible: Callable  # (user) -> bool


NAV_ITEMS: Registry[NavItem] = Registry("menu item")  # keyed by url_name


def register_nav_item(*, order, label, url_name, icon="circle", visible=lambda user: True):
    NAV_ITEMS.add(url_name, NavItem(order, label, url_name, icon, visible))


def navigation_for(request):
    path = request.path
    items = []
    for item in sorted(NAV_ITEMS, key=lambda i: i.order):
        if not item.visible(request.user):
            continue
        url = reverse(item.url_name)
        active = path == url if url == "/" else path.startswith(url)
        items.append({"label": item.label, "url": url, "icon": item.icon, "active": active})
    return items
