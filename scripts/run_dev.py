"""Start web, Celery worker and Celery beat together; Ctrl-C stops all three."""

import os
import signal
import subprocess  # nosec B404 - see below
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")


def site_url(host: str, port: str) -> str:
    """Where the links of reminder e-mails point: the address this run serves, unless SITE_URL
    says otherwise (a server listening on every interface is reached here through 127.0.0.1)."""
    if os.environ.get("SITE_URL"):
        return os.environ["SITE_URL"]
    reachable = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # nosec B104
    return f"http://{reachable}:{port}"


def main() -> int:
    env = {
        **os.environ,
        "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "1"),
        "PYTHONUNBUFFERED": "1",
        "SITE_URL": site_url(HOST, PORT),
    }
    commands = {
        "web": [str(BIN / "python"), "manage.py", "runserver", f"{HOST}:{PORT}", "--noreload"],
        "worker": [
            str(BIN / "celery"),
            "-A",
            "config",
            "worker",
            "-l",
            "info",
            "--concurrency",
            "2",
            "--without-mingle",
            "--without-gossip",
        ],
        "beat": [
            str(BIN / "celery"),
            "-A",
            "config",
            "beat",
            "-l",
            "info",
            "--schedule",
            str(ROOT / "var" / "celerybeat-schedule"),
        ],
    }
    # bandit B404/B603: starts this project's own commands (fixed argument lists, no shell)
    procs = {name: subprocess.Popen(cmd, cwd=ROOT, env=env) for name, cmd in commands.items()}  # nosec B603
    credentials = ROOT / "var" / "demo-credentials.txt"
    print("\n" + "=" * 64)
    print(f"  Key-account CRM is starting at  http://{HOST}:{PORT}/")
    print(f"  Admin: http://{HOST}:{PORT}/admin/   API docs: http://{HOST}:{PORT}/api/docs/")
    if credentials.exists():
        for line in credentials.read_text().splitlines():
            print(f"  {line}")
    elif os.environ.get("DEMO_PASSWORD"):
        print("  Sign in as admin (password: DEMO_PASSWORD)")
    print("  Ctrl-C stops web, worker and beat.")
    print("=" * 64 + "\n", flush=True)

    def stop(*_args):
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        deadline = time.time() + 10
        for proc in procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                proc.kill()

    signal.signal(signal.SIGTERM, lambda *a: (stop(), sys.exit(0)))
    try:
        while True:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    print(f"{name} exited with {proc.returncode}; stopping the others.", flush=True)
                    stop()
                    return proc.returncode or 1
            time.sleep(1)
    except KeyboardInterrupt:
        stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
