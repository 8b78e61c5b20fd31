"""Tests for the catalog of checks (``catalog.py``): the page is current, and code and catalog agree."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import live_to_vod.verification as verification
from live_to_vod.verification import catalog
from live_to_vod.verification.catalog import CHECKS, DASH_RULES, ERROR, ROBUSTNESS, RULES, STAGES, WARNING, Check
from tests.support.verification_checks_page import PAGE, main

PACKAGE = Path(verification.__file__).parent
#: Every catalog constant, by name.
CONSTANTS = {name: value for name, value in vars(catalog).items() if isinstance(value, Check)}


def _catalog_references(source: str) -> set[str]:
    """The names used as ``catalog.NAME`` in a module's source."""
    return {
        node.attr
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "catalog"
    }


def _modules() -> dict[str, str]:
    return {path.stem: path.read_text(encoding="utf-8") for path in PACKAGE.glob("*.py") if path.stem != "catalog"}


def test_the_checks_page_is_current():
    expected = catalog.render_page()
    actual = PAGE.read_text(encoding="utf-8") if PAGE.is_file() else ""
    assert actual == expected, f"{PAGE} is stale: regenerate it with `{catalog.PAGE_COMMAND}`"


def test_the_page_generator_checks_and_writes(tmp_path, monkeypatch, capsys):
    page = tmp_path / "verification-checks.md"
    monkeypatch.setattr("tests.support.verification_checks_page.PAGE", page)
    assert main(["--check"]) == 1
    assert catalog.PAGE_COMMAND in capsys.readouterr().err
    assert main([]) == 0
    assert page.read_text(encoding="utf-8") == catalog.render_page()
    assert main(["--check"]) == 0


def test_every_catalog_check_is_reported_by_its_stage_module():
    modules = _modules()
    used = {name for source in modules.values() for name in _catalog_references(source)}
    assert set(CONSTANTS) == set(CONSTANTS) & used, f"never reported: {sorted(set(CONSTANTS) - used)}"
    assert used <= set(vars(catalog)), f"not in the catalog: {sorted(used - set(vars(catalog)))}"
    for name, check in CONSTANTS.items():
        assert name in _catalog_references(modules[check.stage.module]), (name, check.stage.module)


def _id_literals(source: str, ids: set[str]) -> set[str]:
    """String constants equal to a check id, other than dict keys (``data.get("version")``, ``data["version"]``)."""
    tree = ast.parse(source)
    keys = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
            keys.update(id(arg) for arg in node.args[:1])
        elif isinstance(node, ast.Subscript):
            keys.add(id(node.slice))
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in ids and id(node) not in keys
    }


def test_the_code_names_no_check_id_as_a_bare_string():
    ids = {c.id for c in CHECKS}
    for module, source in _modules().items():
        assert not _id_literals(source, ids), f"{module}.py names checks by string: {_id_literals(source, ids)}"


def test_every_check_is_well_formed():
    for check in CHECKS:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", check.id), check.id
        assert check.severity in (ERROR, WARNING), check
        assert check.meaning.endswith(".") and not check.meaning[0].islower(), check.id
        assert check.checklist_item in (*RULES, *DASH_RULES, ROBUSTNESS), check.id
        assert check.stage in STAGES, check.id
    assert len(CHECKS) == len(CONSTANTS) == len(set(CHECKS))


def test_an_id_with_two_checks_has_one_error_and_one_warning_for_one_rule():
    ids = [c.id for c in CHECKS]
    twice = {i for i in ids if ids.count(i) > 1}
    assert twice == {"playlist-content-type", "discontinuity-sequence"}
    for check_id in twice:
        error, warning = sorted(catalog.checks_with_id(check_id), key=lambda c: c.severity)
        assert (error.severity, warning.severity) == (ERROR, WARNING)
        assert error.checklist_item is warning.checklist_item and error.stage is warning.stage


def test_the_rules_are_numbered_once_and_each_is_kept_somehow():
    assert [r.number for r in RULES] == list(range(1, 23))
    assert all(r.name.startswith(f"HLS-{r.number} ") for r in RULES)
    enforced = {c.checklist_item for c in CHECKS}
    for rule in RULES:
        assert (rule in enforced) != bool(rule.unchecked), rule.name
    assert ROBUSTNESS in enforced and ROBUSTNESS.number is None


def test_the_page_lists_every_check_under_its_stage():
    page = catalog.render_page()
    for check in CHECKS:
        row = f"| `{check.id}` | {check.severity} | {check.meaning} | {check.checklist_item.name} |"
        assert row in page, row
        stage_heading = f"## {check.stage.title} (`{check.stage.module}`)"
        assert page.index(stage_heading) < page.index(row)
