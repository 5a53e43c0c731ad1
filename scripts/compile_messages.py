"""Compile locale/*/LC_MESSAGES/*.po (the project's and each app's <app>/locale/) to .mo in pure
Python (polib), so `make run` and `make test` need no GNU gettext on the machine.
`make messages` (extracting strings) does.

Before compiling, each catalogue's python-format entries are checked the way `msgfmt -c
--check-format` checks them (the translation has the same placeholders as the original, and no
stray `%`), in pure Python; where GNU msgfmt is installed it is run as well. A catalogue that
fails either check is not compiled and the script exits non-zero."""

import re
import shutil
import subprocess  # nosec B404: runs the machine's msgfmt on our own files, no shell
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent

# One Python %-directive: %(name)s, %5.2f, %%, ... (the grammar msgfmt's python-format checks).
DIRECTIVE = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<conversion>[diouxXeEfFgGcrsa%])"
)


def catalogues() -> list[Path]:
    found = [*ROOT.glob("locale/*/LC_MESSAGES/*.po"), *ROOT.glob("*/locale/*/LC_MESSAGES/*.po")]
    return sorted(set(found))


def directives(text: str) -> tuple[list[tuple[str | None, str]], str | None]:
    """The (name, conversion) of each directive in text, and the first malformed one (or None)."""
    found, position = [], 0
    while (start := text.find("%", position)) != -1:
        match = DIRECTIVE.match(text, start)
        if match is None:
            return found, text[start : start + 6]
        if match["conversion"] != "%":
            found.append((match["name"], "s" if match["conversion"] in "rsa" else match["conversion"]))
        position = match.end()
    return found, None


def _compare(original: str, translated: str) -> str | None:
    expected, bad = directives(original)
    if bad is not None:
        return None  # msgid is not a format string after all: msgfmt checks nothing either
    got, bad = directives(translated)
    if bad is not None:
        return f"the translation has a malformed directive {bad!r}"
    if any(name is not None for name, _ in expected):
        if dict(expected) != dict(got):
            return f"placeholders differ: {sorted(dict(expected).items())} vs {sorted(dict(got).items())}"
    elif expected != got:
        return f"directives differ: {expected} vs {got}"
    return None


def format_problems(po: polib.POFile, path: str = "") -> list[str]:
    """What `msgfmt --check-format` would refuse in this catalogue's python-format entries."""
    problems = []
    for entry in po:
        if entry.obsolete or "python-format" not in entry.flags or "fuzzy" in entry.flags:
            continue
        if entry.msgid_plural:  # a plural form may follow the singular or the plural original
            translations = [text for _, text in sorted(entry.msgstr_plural.items()) if text]
            originals = (entry.msgid_plural, entry.msgid)
        else:
            translations, originals = [entry.msgstr] if entry.msgstr else [], (entry.msgid,)
        for translated in translations:
            found = [_compare(original, translated) for original in originals]
            if all(found):
                problems.append(f"{path}:{entry.linenum}: {entry.msgid[:60]!r}: {found[0]}")
    return problems


def msgfmt_problems(path: Path) -> list[str]:
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        return []
    result = subprocess.run(  # nosec B603: fixed arguments, our own file
        [msgfmt, "-c", "--check-format", "-o", "/dev/null", str(path)], capture_output=True, text=True, check=False
    )
    return [] if result.returncode == 0 else [line for line in result.stderr.splitlines() if line.strip()]


def main() -> int:
    count, failed = 0, []
    for po_path in catalogues():
        po = polib.pofile(str(po_path))
        problems = format_problems(po, str(po_path.relative_to(ROOT))) or msgfmt_problems(po_path)
        if problems:
            failed.extend(problems)
            continue
        po.save_as_mofile(str(po_path.with_suffix(".mo")))
        count += 1
    print(f"compiled {count} catalogue(s)")
    if failed:
        print("format errors (fix the msgstr, or mark a string that is not formatted `#, no-python-format`):")
        print("\n".join(failed))
        return 1
    return 0 if count else 1


if __name__ == "__main__":
    sys.exit(main())
