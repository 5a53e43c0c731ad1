"""Compile locale/*/LC_MESSAGES/*.po (the project's and each app's <app>/locale/) to .mo in pure
Python (polib), so `make run` and `make test` need no GNU gettext on the machine.
`make messages` (extracting strings) does."""

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    count = 0
    catalogues = [*ROOT.glob("locale/*/LC_MESSAGES/*.po"), *ROOT.glob("*/locale/*/LC_MESSAGES/*.po")]
    for po_path in sorted(set(catalogues)):
        po = polib.pofile(str(po_path))
        po.save_as_mofile(str(po_path.with_suffix(".mo")))
        count += 1
    print(f"compiled {count} catalogue(s)")
    return 0 if count else 1


if __name__ == "__main__":
    sys.exit(main())
