"""Helpers of the fault tests: a Redis of the test's own, a Celery worker in a subprocess."""

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REDIS_SERVER = "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")


class RedisServer:
    """`redis-server --port N --save ''` of one test; `stop()` and `start()` it at will."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None


@contextmanager
def redis_server():
    if not os.path.exists(REDIS_SERVER):
        pytest.skip("redis-server is not installed")
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.stop()


class Worker:
    """A real `celery worker` in its own process group (so `kill()` is a kill -9 of all of it)."""

    def __init__(self, *, broker_url: str, queue: str, include: str = "", env: dict | None = None, pool="solo"):
        self.broker_url, self.queue, self.include, self.pool = broker_url, queue, include, pool
        self.env = env or {}
        self.proc = None

    def start(self):
        env = {**os.environ, "REDIS_URL": self.broker_url, "CELERY_TASK_ALWAYS_EAGER": "0", **self.env}
        cmd = [sys.executable, "-m", "celery", "-A", "config", "worker", f"--pool={self.pool}", "-c", "1"]
        cmd += ["-Q", self.queue, "-l", "warning", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        cmd += [f"--hostname=fault-{os.getpid()}-{time.monotonic_ns()}@%h"]
        if self.include:
            cmd += ["-I", self.include]
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        return self

    def kill(self):
        """kill -9 the worker and its children."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_until(predicate, timeout: float, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()
