"""Write ``docs/verification-checks.md``, the page of every verification check, from the catalog.

    python -m tests.support.verification_checks_page          # rewrite the page
    python -m tests.support.verification_checks_page --check  # exit 1 when the page is stale

The page is ``live_to_vod.verification.catalog.render_page()``; edit the catalog, not the page.
``tests/live_to_vod/verification/test_catalog.py`` fails when the page and the catalog disagree.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from live_to_vod.verification.catalog import PAGE_COMMAND, render_page

PAGE = Path(__file__).resolve().parents[2] / "docs" / "verification-checks.md"


def is_current() -> bool:
    """Whether the page on disk is what the catalog renders."""
    return PAGE.is_file() and PAGE.read_text(encoding="utf-8") == render_page()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether the page is current")
    args = parser.parse_args(argv)
    if args.check:
        if is_current():
            return 0
        print(f"{PAGE} is stale: run `{PAGE_COMMAND}`", file=sys.stderr)
        return 1
    PAGE.write_text(render_page(), encoding="utf-8")
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
