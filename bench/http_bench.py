"""Requests per second under gunicorn, against a hello-world view of the same Django.

Starts gunicorn (4 sync workers, the production WSGI app with `bench.settings`) on a free port,
then runs `wrk` (Debian package `wrk`) at 16 connections against each target, alternating with the
hello-world view: hello, target 1, hello, target 2, ... hello. Each target's ratio is its rate over
the mean of the two hello-world runs around it, so a change in the machine's load during the run
moves both sides. The load average is read before and after each run.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKERS = 4
CONNECTIONS = 16


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"


def start_gunicorn(port: int, extra_env: dict | None = None) -> subprocess.Popen:
    env = {
        **os.environ,
        **(extra_env or {}),
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DB_POOL_MIN": "1",
        "DB_POOL_MAX": "2",
        # the per-token throttle still runs (its cost is part of every API request) but never
        # refuses: a 429 is a cheap answer that would pass for throughput
        "API_RATE_PER_TOKEN": "100000000/min",
    }
    proc = subprocess.Popen(  # from the project's root, as `python -m bench` runs
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={WORKERS}",
            "--worker-class=sync",
            "--log-level=warning",
            "--timeout=120",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/hello/", timeout=5) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("gunicorn did not start: " + proc.stderr.read().decode(errors="replace")[-2000:])


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def check_answers_200(url: str, headers: dict) -> None:
    """wrk counts a redirect as a success: a target that sends the bench to the sign-in page
    would measure the redirect. Refuse to measure anything but the page itself."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=30) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    if status != 200:
        raise RuntimeError(f"{url} answered {status}, not 200: the bench would measure the wrong page")


def wrk(url: str, headers: dict, seconds: int) -> dict:
    cmd = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    for key, value in headers.items():
        cmd += ["-H", f"{key}: {value}"]
    before = load_average()
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    return {
        "rate": rate,
        "non_2xx": int(errors.group(1)) if errors else 0,
        "p99": p99.group(1) + p99.group(2) if p99 else "?",
        "load": f"{before} → {load_average()}",
    }


def run(
    targets: list[tuple[str, str, dict, float]], *, seconds: int = 10, report=print, env: dict | None = None
) -> list[dict]:
    """targets: (label, path, headers, wanted ratio); `env`: settings for this gunicorn (e.g.
    RESPONSE_CACHE_SECONDS). Returns one dict per target."""
    if shutil.which("wrk") is None:
        raise RuntimeError("the HTTP bench needs wrk: apt-get install wrk")
    port = _free_port()
    proc = start_gunicorn(port, env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _label, path, headers, _want in targets:  # warm every worker's caches and pools
            check_answers_200(base + path, headers)
            wrk(base + path, headers, 2)
        hello = [wrk(base + "/bench/hello/", {}, seconds)]
        report(f"  hello world: {hello[-1]['rate']:.0f} req/s (load {hello[-1]['load']})")
        results = []
        for label, path, headers, want in targets:
            measured = wrk(base + path, headers, seconds)
            hello.append(wrk(base + "/bench/hello/", {}, seconds))
            around = (hello[-2]["rate"] + hello[-1]["rate"]) / 2
            ratio = measured["rate"] / around if around else 0.0
            row = {
                "label": label,
                "rate": measured["rate"],
                "hello": around,
                "ratio": ratio,
                "want": want,
                "met": ratio >= want and not measured["non_2xx"],  # refusals are not throughput
                "non_2xx": measured["non_2xx"],
                "load": measured["load"],
            }
            results.append(row)
            report(
                f"  {label}: {measured['rate']:.0f} req/s, hello {around:.0f} → 1/{1 / ratio if ratio else 0:.1f}"
                f" (target ≥ 1/{1 / want:.0f}), load {measured['load']}"
                + (f", {measured['non_2xx']} non-2xx!" if measured["non_2xx"] else "")
            )
        return results
    finally:
        stop(proc)
