"""The Grafana dashboard is generated from the metrics the pipeline emits, and is current."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from live_to_vod.pipeline.metrics import METRICS

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "deploy" / "grafana" / "dashboard.py"


def generator():
    spec = importlib.util.spec_from_file_location("grafana_dashboard", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_dashboard_is_what_the_generator_writes():
    module = generator()
    assert module.OUT.read_text() == module.render(), "stale: run python deploy/grafana/dashboard.py"


def test_every_metric_has_a_panel_querying_its_prometheus_series():
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "live-to-vod.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    for name in METRICS:
        series = "airflow_live_to_vod_" + name.removesuffix(".<step>").replace(".", "_")
        assert any(series in e for e in exprs), name
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
