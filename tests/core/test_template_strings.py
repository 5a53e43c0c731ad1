"""Text that a screen reader or a tooltip shows is translated like the rest of the page.

Issue 10: `aria-label="breadcrumb"` was English in zh-hans. Every aria-label, title, placeholder
and alt in the templates goes through {% translate %} (or blocktranslate), and each such string
has a zh-hans translation."""

import re
from pathlib import Path

from django.conf import settings
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
ATTRIBUTES = ("aria-label", "aria-description", "aria-roledescription", "title", "placeholder", "alt")
BLOCK = re.compile(r"\{%\s*blocktrans(?:late)?\b.*?%\}.*?\{%\s*endblocktrans(?:late)?\s*%\}", re.S)
TRANSLATE = re.compile(r"""\{%\s*trans(?:late)?\s+(["'])(.*?)\1(?:\s+context\s+(["'])(.*?)\3)?[^%]*%\}""", re.S)
OTHER_TAG = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", re.S)
ATTRIBUTE = re.compile(r"""\s(""" + "|".join(ATTRIBUTES) + r""")\s*=\s*("[^"]*"|'[^']*')""")
WORDS = re.compile(r"[A-Za-z]{2,}")


def template_files():
    skip = {".venv", "bench", "var", "static", "node_modules", ".git"}
    return [p for p in sorted(ROOT.rglob("*.html")) if not skip.intersection(p.relative_to(ROOT).parts)]


def literal_attributes(text: str):
    """(line, attribute, literal text) for each attribute value with words outside a template tag."""
    # template tags may hold quotes of their own: stand each in for one character first
    masked = BLOCK.sub(lambda m: "§" * len(m.group(0).replace("\n", "")) + "\n" * m.group(0).count("\n"), text)
    masked = OTHER_TAG.sub(lambda m: "§" * len(m.group(0).replace("\n", "")) + "\n" * m.group(0).count("\n"), masked)
    for match in ATTRIBUTE.finditer(masked):
        value = match.group(2)[1:-1].replace("§", "")
        if WORDS.search(value):
            yield masked[: match.start()].count("\n") + 1, match.group(1), value


def test_the_scan_finds_a_literal_label_and_passes_a_translated_one():
    html = '<nav aria-label="breadcrumb"><i title="{% translate "Reset" %}"></i>\n<b alt="{{ x }}">'
    found = list(literal_attributes(html))
    assert found == [(1, "aria-label", "breadcrumb")]


def test_no_template_has_an_untranslated_label_title_or_placeholder():
    problems = [
        f'{path.relative_to(ROOT)}:{line}: {attribute}="{value}"'
        for path in template_files()
        for line, attribute, value in literal_attributes(path.read_text(encoding="utf-8"))
    ]
    assert not problems, "wrap these in {% translate %}:\n" + "\n".join(problems)


def test_the_labels_titles_and_placeholders_have_a_chinese_translation():
    missing = set()
    with translation.override("zh-hans"):
        for path in template_files():
            text = path.read_text(encoding="utf-8")
            for attribute in ATTRIBUTES:
                for value in re.findall(r"\s" + attribute + r"\s*=\s*\"((?:\{%.*?%\}|[^\"])*)\"", text, re.S):
                    for tag in TRANSLATE.finditer(value):
                        message, context = tag.group(2), tag.group(4)
                        shown = translation.pgettext(context, message) if context else translation.gettext(message)
                        if WORDS.search(message) and shown == message:
                            missing.add(f"{path.relative_to(ROOT)}: {message!r}")
    assert not missing, "no zh-hans msgstr:\n" + "\n".join(sorted(missing))
