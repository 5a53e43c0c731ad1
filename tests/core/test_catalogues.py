"""Every translation catalogue passes the format check of `msgfmt -c --check-format`.

scripts/compile_messages.py runs the check (in pure Python, and with GNU msgfmt where it is
installed) before compiling, so `make run` and `make test` refuse a catalogue whose translation
would break `%`-formatting or show a stray `%` sign."""

import importlib.util
import shutil

import polib
import pytest
from django.conf import settings

spec = importlib.util.spec_from_file_location("compile_messages", settings.BASE_DIR / "scripts" / "compile_messages.py")
compile_messages = importlib.util.module_from_spec(spec)
spec.loader.exec_module(compile_messages)

CATALOGUES = compile_messages.catalogues()


def _po(*entries: polib.POEntry) -> polib.POFile:
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Plural-Forms": "nplurals=1; plural=0;"}
    for entry in entries:
        po.append(entry)
    return po


def test_every_app_catalogue_is_checked():
    apps = {path.relative_to(settings.BASE_DIR).parts[0] for path in CATALOGUES}
    assert {"locale", "reports", "reminders", "contracts", "visits"} <= apps


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_the_catalogue_passes_the_format_check(path):
    assert compile_messages.format_problems(polib.pofile(str(path)), str(path)) == []


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext is not installed")
@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_gnu_msgfmt_finds_nothing_to_refuse(path):
    assert compile_messages.msgfmt_problems(path) == []


def test_the_check_refuses_a_stray_percent_and_a_lost_placeholder():
    stray = polib.POEntry(msgid="Down 10% or more", msgstr="下降 10% 以上", flags=["python-format"])
    lost = polib.POEntry(msgid="Hello %(name)s", msgstr="你好", flags=["python-format"])
    plain = polib.POEntry(msgid="Down 20% or more", msgstr="下降 20% 以上", flags=["no-python-format"])
    plural = polib.POEntry(
        msgid="%(n)s visit", msgid_plural="%(n)s visits", msgstr_plural={0: "%(n)s 次拜访"}, flags=["python-format"]
    )
    problems = compile_messages.format_problems(_po(stray, lost, plain, plural))
    assert len(problems) == 2
    assert "malformed directive '% 以上'" in problems[0]
    assert "placeholders differ" in problems[1]


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_every_string_of_the_code_has_a_simplified_chinese_translation(tmp_path):
    """`make messages` on a copy of the sources: each string it finds translates to zh-hans
    (in our catalogues or Django's own), so no page shows English in the middle of Chinese."""
    import os
    import subprocess  # nosec B404: runs our own manage.py
    import sys

    from django.utils import translation

    source = settings.BASE_DIR
    copy = tmp_path / "src"
    skip = shutil.ignore_patterns(".venv", "var", "static", "node_modules", ".git", "__pycache__", "*.mo")
    copy.mkdir()
    for entry in source.iterdir():
        if entry.name in {".venv", "var", "static", "node_modules", ".git", "tests", "bench", "docs"}:
            continue
        if entry.is_dir():
            shutil.copytree(entry, copy / entry.name, ignore=skip)
        elif entry.suffix == ".py":
            shutil.copy(entry, copy / entry.name)
    env = {**os.environ, "DJANGO_DEBUG": "1", "DJANGO_SETTINGS_MODULE": "config.settings"}
    subprocess.run(  # nosec B603: fixed arguments
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    missing = []
    with translation.override("zh-hans"):
        for path in copy.glob("**/zh_Hans/LC_MESSAGES/django.po"):
            for entry in polib.pofile(str(path)):
                if entry.obsolete or (entry.translated() and "fuzzy" not in entry.flags):
                    continue
                if entry.msgid_plural:
                    found = translation.ngettext(entry.msgid, entry.msgid_plural, 2) != entry.msgid_plural
                elif entry.msgctxt:
                    found = translation.pgettext(entry.msgctxt, entry.msgid) != entry.msgid
                else:
                    found = translation.gettext(entry.msgid) != entry.msgid
                if not found:
                    missing.append(f"{entry.msgid!r} ({', '.join(f'{f}:{n}' for f, n in entry.occurrences[:2])})")
    assert missing == []
