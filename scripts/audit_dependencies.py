"""`make lint`: pip-audit of the installed dependencies against PyPI's advisories, where PyPI can be
reached. Offline (no route to PyPI, or a package index without PyPI's JSON API, so that no
dependency can be looked up) it says so and passes: the audit could not run, which is not a
finding. Known advisories that do not apply are listed in IGNORED with the reason."""

import json
import socket
import subprocess  # nosec B404 - runs pip-audit with a fixed argument list
import sys

# advisory id -> why it does not apply to this project
IGNORED: dict[str, str] = {}


def pypi_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=5).close()
    except OSError:
        return False
    return True


def main() -> int:
    if not pypi_reachable():
        print("pip-audit: PyPI cannot be reached from here; the dependency audit was skipped.")
        return 0
    command = [sys.executable, "-m", "pip_audit", "--skip-editable", "--progress-spinner", "off", "-f", "json"]
    for advisory in IGNORED:
        command += ["--ignore-vuln", advisory]
    done = subprocess.run(command, capture_output=True, text=True)  # nosec B603 - fixed arguments, no shell
    try:
        report = json.loads(done.stdout)
    except ValueError:
        print(done.stdout, done.stderr, sep="\n")
        return done.returncode or 1
    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if "skip_reason" not in d]
    if dependencies and not audited:
        print("pip-audit: no dependency could be looked up on PyPI from here; the audit was skipped.")
        return 0
    found = [(d["name"], d["version"], v["id"]) for d in audited for v in d.get("vulns", [])]
    for name, version, advisory in found:
        print(f"pip-audit: {name} {version} is affected by {advisory}")
    print(f"pip-audit: {len(audited)} dependencies audited, {len(found)} known vulnerabilities.")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
