"""docs/benchmarks.md is what bench/report.py renders from the committed records, and every bench records.

bench/ is not a package: its modules are loaded from their files here, without touching sys.path.
"""

from __future__ import annotations

import copy
import difflib
import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
#: The tooling in bench/, not benchmarks.
NOT_BENCHES = {"report.py", "recording.py", "bench_stack.py"}
ENVELOPE = {"bench", "date", "recorded_at", "commit", "machine", "command", "result"}


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def report() -> ModuleType:
    return load("report")


def benches() -> list[Path]:
    return sorted(p for p in BENCH.glob("*.py") if p.name not in NOT_BENCHES and "def main(" in p.read_text())


def test_the_page_is_rendered_from_the_committed_records(report):
    rendered = report.render_page()
    page = report.PAGE.read_text()
    if page != rendered:
        diff = "".join(
            difflib.unified_diff(
                page.splitlines(keepends=True), rendered.splitlines(keepends=True), "docs/benchmarks.md", "rendered"
            )
        )
        pytest.fail(
            "docs/benchmarks.md differs from what bench/report.py renders from bench/results/*.jsonl and "
            f"bench/benchmarks.md.template: run `{report.COMMAND}` and commit the page "
            f"(edit the template or the records, not the page)\n{diff[:4000]}"
        )


def test_every_bench_records_its_result_and_has_a_table(report):
    template = report.TEMPLATE.read_text()
    assert benches(), "no bench found in bench/"
    for path in benches():
        name = path.stem
        assert re.search(rf"""\brecord\(\s*["']{name}["']""", path.read_text()), (
            f"bench/{path.name} does not record its result: call record({name!r}, result, sys.argv) from "
            "bench/recording.py where it prints its JSON result"
        )
        assert (name, None) in report.TABLES, f"bench/report.py has no table renderer for {name}"
        assert f"{{{{table:{name}}}}}" in template, f"bench/benchmarks.md.template has no {{{{table:{name}}}}}"


def test_records_share_one_envelope(report):
    records = report.load_records()
    assert set(records) == {p.stem for p in benches()}, "a bench without records, or records without a bench"
    for bench, rows in records.items():
        for row in rows:
            assert ENVELOPE <= row.keys(), (bench, sorted(ENVELOPE - row.keys()))
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["date"]), (bench, row["date"])
            assert row["command"].startswith(f"bench/{bench}.py"), (bench, row["command"])
            assert {"cpus", "python"} <= row["machine"].keys(), (bench, row["machine"])
            if row["recorded_at"] is None:  # not written by recording.record: says where it came from
                assert row.get("source"), (bench, row["date"])
            else:
                assert row["recorded_at"].startswith(row["date"]), (bench, row["recorded_at"])


def test_record_appends_one_line_per_run(tmp_path, monkeypatch):
    recording = load("recording")
    monkeypatch.setenv("BENCH_RESULTS_DIR", str(tmp_path))
    monkeypatch.delenv("BENCH_RECORD", raising=False)
    result = {"date": "2026-12-04", "parse_seconds": {0: 0.2}}
    recording.record("dag_parse_schedule", result, [str(BENCH / "dag_parse_schedule.py"), "--repeat", "1"])
    recording.record("dag_parse_schedule", result, ["bench/dag_parse_schedule.py"])
    first, second = (json.loads(line) for line in (tmp_path / "dag_parse_schedule.jsonl").read_text().splitlines())
    assert first.keys() == ENVELOPE
    assert first["result"] == {"date": "2026-12-04", "parse_seconds": {"0": 0.2}}
    assert first["command"] == "bench/dag_parse_schedule.py --repeat 1"
    assert second["command"] == "bench/dag_parse_schedule.py"
    assert re.fullmatch(r"[0-9a-f]{7,}(\+dirty)?", first["commit"]), first["commit"]
    assert first["recorded_at"].startswith(first["date"])
    assert first["machine"]["cpus"] >= 1

    monkeypatch.setenv("BENCH_RECORD", "0")
    assert recording.record("dag_parse_schedule", result, ["bench/dag_parse_schedule.py"]) is None
    assert len((tmp_path / "dag_parse_schedule.jsonl").read_text().splitlines()) == 2


def test_check_fails_with_a_diff_when_the_page_is_stale(report, tmp_path, capsys):
    page = tmp_path / "benchmarks.md"
    page.write_text(report.PAGE.read_text())
    assert report.main(["--check", "--page", str(page)]) == 0
    page.write_text(report.PAGE.read_text().replace("**12.1x**", "**12.2x**"))
    assert report.main(["--check", "--page", str(page)]) == 1
    out = capsys.readouterr().out
    assert "-| 2026-11-26 (indexed listing, current)" in out and report.COMMAND in out
    assert page.read_text().count("**12.2x**") == 1  # --check writes nothing


def test_a_newer_run_of_the_same_size_supersedes_the_older_row(report, tmp_path):
    records = report.load_records()
    old_shape = [r for r in records["verify_asset"] if "verify_mode" not in r["result"]]
    newer = copy.deepcopy(old_shape[-1])  # the current full-size run of the first-and-last design
    newer.update(date="2026-12-24", recorded_at="2026-12-24T00:00:00Z", commit="abcdef0", source=None, label=None)
    newer["result"].update(date="2026-12-24", verify_seconds=99.0, ratio_baseline_over_verify=9.9)
    rows = report.verify_asset([*records["verify_asset"], newer]).splitlines()[2:]
    assert rows[0].startswith("| 2026-12-24 (current) |")
    assert "**279 requests**" in rows[0] and "**9.9x** (targets: <= 300 requests met, >= 10x **missed**)" in rows[0]
    assert rows[1].startswith("| 2026-11-26 (indexed listing) |")  # superseded: no bold, no longer current
    assert "| 12.1x (" in rows[1] and "**" not in rows[1]
    assert rows[3].startswith("| 2026-11-26 |") and "**14.5x**" in rows[3]  # the 1-hour run is still current


def test_the_modes_table_shows_sampled_against_listing_and_the_full_mode_per_hour(report):
    records = report.load_records()
    run = copy.deepcopy(next(r for r in records["verify_asset"] if "verify_mode" in r["result"]))
    run["result"].update(verify_requests=401, ratio_verify_over_listing_only=1.6)
    (row,) = report.verify_asset_modes([run]).splitlines()[2:]
    assert "(targets: <= 400 requests **missed**, <= 1.5x **missed**)" in row
    assert "per hour" not in row and " s, " in row and "(measured on " in row


def test_an_unknown_placeholder_or_an_unshown_record_fails(report):
    records = report.load_records()
    with pytest.raises(KeyError, match="no such table"):
        report.render("{{table:no_such_bench}}\n", records)
    with pytest.raises(ValueError, match="shown nowhere"):
        report.render("{{table:verify_asset}}\n", records)
