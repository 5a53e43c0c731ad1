"""iCalendar (RFC 5545) text of a user's visits, written by hand: a few fields need no library."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _


def _escape(text: str) -> str:
    return (
        (text or "")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> list[str]:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    out, current = [], ""
    for char in line:
        if len((current + char).encode()) > 75:
            out.append(current)
            current = " " + char
        else:
            current += char
    out.append(current)
    return out


STATUS = {"planned": "TENTATIVE", "confirmed": "CONFIRMED", "done": "CONFIRMED", "missed": "CANCELLED"}


def calendar_for(*, user, visits, host: str) -> str:
    now = _utc(timezone.now())
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Key-account CRM//Visits//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(_('Visits of %(name)s') % {'name': user.display_name})}",
        "X-WR-TIMEZONE:Asia/Shanghai",
    ]
    for visit in visits:
        description = "\n".join(
            part
            for part in [
                visit.get_kind_display(),
                visit.preparation,
                visit.materials and _("Bring: %(materials)s") % {"materials": visit.materials},
                visit.outcome,
            ]
            if part
        )
        lines += [
            "BEGIN:VEVENT",
            f"UID:visit-{visit.pk}@{host}",
            f"DTSTAMP:{now}",
            f"DTSTART:{_utc(visit.planned_start)}",
            f"DTEND:{_utc(visit.planned_end)}",
            f"SUMMARY:{_escape(f'{visit.account.name}: {visit.purpose}')}",
            f"DESCRIPTION:{_escape(description)}",
            f"LOCATION:{_escape(visit.location or visit.account.address)}",
            f"STATUS:{STATUS.get(visit.status, 'TENTATIVE')}",
            f"SEQUENCE:{visit.version}",
            f"URL:https://{host}{visit.get_absolute_url()}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    folded = [piece for line in lines for piece in _fold(line)]
    return "\r\n".join(folded) + "\r\n"
