from django.db.models import F
from django.utils import timezone

from .models import Heartbeat


def heartbeat_record(*, name: str = "beat", hostname: str = "") -> Heartbeat:
    """Stamp the heartbeat row, creating it on the first run; one UPDATE otherwise."""
    now = timezone.now()
    updated = Heartbeat.objects.filter(name=name).update(
        last_run_at=now, run_count=F("run_count") + 1, hostname=hostname
    )
    if not updated:
        Heartbeat.objects.get_or_create(name=name, defaults={"last_run_at": now, "run_count": 1, "hostname": hostname})
    return Heartbeat.objects.get(name=name)
