"""Tasks only the fault tests' workers load (`celery worker -I tests.core.fault_tasks`)."""

import os
import time

from celery import shared_task


@shared_task(name="tests.fault.record_and_sleep", acks_late=True)
def record_and_sleep(path: str, seconds: float) -> int:
    """Append this worker's pid to `path`, then work for `seconds` (long enough to be killed)."""
    with open(path, "a") as fh:
        fh.write(f"{os.getpid()}\n")
    time.sleep(seconds)
    return os.getpid()
