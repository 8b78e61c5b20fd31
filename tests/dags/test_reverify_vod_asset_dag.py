"""Integrity of the ``reverify_vod_asset`` DAG: it parses cleanly, runs only on request, is documented
(the conf and how to trigger it), asks in its form for exactly what its validation reads, and wires
validate -> verify_asset with nothing that creates or hands off anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk.definitions.timetables.simple import NullTimetable

from live_to_vod.aws.operators.verify import VerifyHarvestedAssetOperator
from live_to_vod.config import DeploymentConfig
from live_to_vod.pipeline.reverify import ValidateReverifyRequestOperator
from live_to_vod.validation import REVERIFY_FIELDS
from live_to_vod.verification import MiB
from tests.support.dag_form import check_form

ROOT = Path(__file__).resolve().parents[2]
DAG_ID = "reverify_vod_asset"


@pytest.fixture(scope="module")
def bag() -> DagBag:
    return DagBag(dag_folder=str(ROOT / "dags" / "reverify_vod_asset.py"))


@pytest.fixture(scope="module")
def dag(bag):
    return bag.dags[DAG_ID]


def test_the_dag_file_imports_without_errors_or_warnings(bag):
    assert bag.import_errors == {}
    assert bag.captured_warnings == {}
    assert bag.dag_ids == [DAG_ID]


def test_it_runs_only_on_request(dag):
    assert isinstance(dag.timetable, NullTimetable)  # schedule=None: the form, the REST API, the CLI
    assert dag.catchup is False


def test_validate_then_verify_and_nothing_else(dag):
    assert [t.task_id for t in dag.topological_sort()] == ["validate", "verify_asset"]
    validate, verify = dag.get_task("validate"), dag.get_task("verify_asset")
    assert type(validate) is ValidateReverifyRequestOperator  # no AWS call
    assert type(verify) is VerifyHarvestedAssetOperator  # reads S3, writes nothing
    assert verify.upstream_task_ids == {"validate"}
    assert verify.request.operator.task_id == "validate"  # the validated asset, not the raw conf
    assert verify.segments is None  # the request's verify_segments
    assert verify.full_max_bytes == DeploymentConfig().verify_full_max_mib * MiB
    for task in dag.tasks:  # S3 errors retry; bad conf and a defect fail at once (AirflowFailException)
        assert task.retries >= 1, task.task_id


def test_the_dag_is_documented_with_its_conf_and_how_to_trigger_it(dag):
    assert dag.description
    doc = dag.doc_md.strip()
    assert doc.startswith("# ")
    for topic in (*REVERIFY_FIELDS, "airflow dags trigger reverify_vod_asset --conf", "reads", "nothing"):
        assert topic in doc, topic


def test_the_form_asks_for_exactly_what_validation_reads(dag):
    assert list(dag.params) == list(REVERIFY_FIELDS)
    for name in dag.params:
        param = dag.params.get_param(name)
        assert param.value is None, name  # empty: the default (bucket, mode) or refused by validate
        assert param.schema.get("title") and param.schema.get("section"), name
        assert param.description and param.description.strip(), name
    schema = dag.params.get_param("verify_segments").schema
    assert schema["enum"] == [None, "auto", "sampled", "full"]
    assert schema["values_display"] == {"null": "full (default)"}
    for name in ("start_time", "end_time"):
        assert dag.params.get_param(name).schema["format"] == "date-time"


@pytest.mark.parametrize(
    ("conf", "refused"),
    [
        ({"manifest_key": "game/index.m3u8", "start_time": "2026-11-26T19:00:00-05:00"}, None),
        ({}, None),  # validate names every missing field
        ({"verify_segments": "sampled"}, None),
        ({"verify_segments": "everything"}, "verify_segments"),
        ({"start_time": "2026-11-26T19:00:00"}, "start_time"),  # no offset
        ({"end_time": "26 Nov 2026 22:15"}, "end_time"),
    ],
)
def test_the_form_s_schema_refuses_malformed_values_before_a_run_exists(dag, conf, refused):
    check_form(dag, conf, refused)
