"""docs/reliability.md names tests that exist: a page generated before a test moved or was renamed
fails here (regenerate it with `make reliability`)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.support.reliability_report import EXPECTED

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "reliability.md"


def test_every_test_the_page_names_exists():
    named = re.findall(r"\| `(tests/[^`:]+\.py)::([A-Za-z0-9_]+)", PAGE.read_text())
    assert len(named) >= len(EXPECTED), "rows without a full test path: regenerate with `make reliability`"
    for path, function in named:
        source = ROOT / path
        assert source.exists(), f"{path} (named in docs/reliability.md) does not exist: run `make reliability`"
        functions = {n.name for n in ast.walk(ast.parse(source.read_text())) if isinstance(n, ast.FunctionDef)}
        assert function in functions, f"{path}::{function} does not exist: run `make reliability`"


def test_every_expected_fault_has_a_row():
    page = PAGE.read_text()
    for fault in EXPECTED:
        assert f"| {fault} |" in page, f"no row for {fault!r} in docs/reliability.md: run `make reliability`"
