"""Serving: idle clients cannot hold every web worker (gunicorn with config/gunicorn.conf.py)."""

import os
import socket
import subprocess
import sys
import time

import pytest

from tests.faults import ROOT, free_port, wait_for_port


def _gunicorn(*args, port):
    env = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_WORKERS": "1",
        "WEB_THREADS": "4",
    }
    cmd = [sys.executable, "-m", "gunicorn", *args, "--bind", f"127.0.0.1:{port}", "config.wsgi:application"]
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def _get(port, path="/auth/login/", timeout=5.0) -> tuple[int, float]:
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        head = s.recv(64).decode(errors="replace")
    return int(head.split()[1]), time.monotonic() - started


def _serve_with_idle_clients(args, *, idle: int) -> float | None:
    """Start gunicorn, open `idle` connections that send nothing, then time one real request
    (None when it gets no answer within 3 s)."""
    port = free_port()
    server = _gunicorn(*args, port=port)
    held = []
    try:
        wait_for_port(port, timeout=60)
        _get(port, timeout=60)  # the first request loads Django
        for _ in range(idle):
            held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        time.sleep(0.3)
        try:
            status, seconds = _get(port, timeout=3)
        except TimeoutError:
            return None
        assert status == 200
        return seconds
    finally:
        for s in held:
            s.close()
        os.killpg(server.pid, 9)
        server.wait(10)


@pytest.mark.skipif(not os.path.exists(ROOT / "config" / "gunicorn.conf.py"), reason="no gunicorn config")
def test_idle_connections_do_not_stall_the_threaded_workers():
    """Sync workers: one idle connection per worker stalled the site (reproduced below with one
    sync worker). The project's gthread configuration answers while 16 connections sit idle."""
    assert _serve_with_idle_clients(["--worker-class", "sync", "--workers", "1", "--timeout", "30"], idle=1) is None
    seconds = _serve_with_idle_clients(["-c", "config/gunicorn.conf.py"], idle=16)
    assert seconds is not None and seconds < 2
