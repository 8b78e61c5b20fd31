"""Integrity of the ``live_event_harvest`` DAG: it parses cleanly and cheaply, and is declared the
way operations rely on (retries, docs, params, deferral, importable triggers, Airflow 3 lint).

Checks that depend on how a fresh Airflow process starts (``[operators] default_deferrable`` is
read when the operator modules are imported, import-time AWS calls, the triggerer's ``sys.path``)
run in a new interpreter; the rest parse the DAG folder in this process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pendulum
import pytest
from airflow.dag_processing.dagbag import DagBag
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import FormatChecker, ValidationError, validate

from live_to_vod.config import DeploymentConfig
from live_to_vod.validation import InvalidParams, validate_harvest_request

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "dags"
DAG_ID = "live_event_harvest"
TASK_IDS = (
    "validate",
    "wait_for_event_end",
    "create_harvest_job",
    "wait_for_harvest",
    "verify_asset",
    "hand_off_to_vod",
    "publish",
)
# Tasks deliberately without retries, and why. Every other task retries (AWS calls can fail
# transiently); bad input or a bad asset fails those at once with AirflowFailException anyway.
NO_RETRIES = {
    "wait_for_harvest": "a FAILED harvest job stays FAILED and MediaPackage cannot restart it; the sensor's "
    "timeout bounds the wait. A new attempt is a re-run, whose create task makes the -r2 job.",
}
REQUIRED_PARAMS = ("event_id", "origin_endpoint_id", "start_time", "end_time")
DEFERRABLE_TASKS = ("wait_for_harvest", "hand_off_to_vod")


def fresh_python(code: str, tmp_path: Path, cwd: Path | str = ROOT, **env: str) -> dict[str, Any]:
    """Run ``code`` in a new interpreter with its own AIRFLOW_HOME; it prints one JSON line last."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW") and k != "PYTHONPATH"}
    environ.update(
        AIRFLOW_HOME=str(tmp_path / "airflow"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
        **env,
    )
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def dagbag() -> DagBag:
    return DagBag(dag_folder=str(DAGS))


@pytest.fixture(scope="module")
def dag(dagbag):
    return dagbag.dags[DAG_ID]


# --------------------------------------------------------------------------- parsing


def test_the_dag_folder_imports_without_errors_or_warnings(dagbag):
    assert dagbag.import_errors == {}
    assert dagbag.captured_warnings == {}
    assert DAG_ID in dagbag.dag_ids


def test_parsing_makes_no_aws_calls(tmp_path):
    # A new interpreter, so import-time code of every module the DAG imports runs under the patch
    # too. The connection points at a closed port: a call could not succeed anyway.
    report = fresh_python(
        """
        import json
        import botocore.client

        calls = []

        def refuse(self, operation_name, api_params):
            calls.append(operation_name)
            raise RuntimeError(f"AWS call {operation_name} while parsing the DAG")

        botocore.client.BaseClient._make_api_call = refuse

        from airflow.dag_processing.dagbag import DagBag

        bag = DagBag()
        parse_calls = list(calls)
        # The patch is live: a real client call is refused.
        import boto3
        client = boto3.client("s3", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                              aws_access_key_id="x", aws_secret_access_key="x")
        try:
            client.list_buckets()
            patched = False
        except RuntimeError:
            patched = True
        print(json.dumps({"errors": {str(k): v for k, v in bag.import_errors.items()},
                          "dags": list(bag.dag_ids), "calls": parse_calls, "patched": patched}))
        """,
        tmp_path,
        AIRFLOW_CONN_AWS_DEFAULT=json.dumps({"conn_type": "aws", "extra": {"endpoint_url": "http://127.0.0.1:9"}}),
        LIVE_TO_VOD_S3_BUCKET="live-to-vod-demo",
        LIVE_TO_VOD_HARVEST_ROLE_ARN="arn:aws:iam::123456789012:role/mediapackage-harvest",
        LIVE_TO_VOD_PACKAGING_GROUP_ID="demo-vod",
    )
    assert report["patched"]
    assert report["errors"] == {}
    assert DAG_ID in report["dags"]
    assert report["calls"] == []


# --------------------------------------------------------------------------- declaration


def test_tasks_and_their_order(dag):
    assert [t.task_id for t in dag.topological_sort()] == list(TASK_IDS)
    for upstream, downstream in zip(TASK_IDS, TASK_IDS[1:], strict=False):
        assert upstream in dag.get_task(downstream).upstream_task_ids
    # Without a packaging group the hand-off is skipped; publish must still run.
    assert dag.get_task("publish").trigger_rule == "none_failed_min_one_success"


def test_every_task_has_retries_set_deliberately(dag):
    for task in dag.tasks:
        if task.task_id in NO_RETRIES:
            assert task.retries == 0, f"{task.task_id}: {NO_RETRIES[task.task_id]}"
            continue
        assert task.retries >= 1, task.task_id
        assert task.retry_delay.total_seconds() > 0, task.task_id
        assert task.retry_exponential_backoff, task.task_id
        assert task.max_retry_delay is not None, task.task_id
    assert dag.get_task("validate").retries >= 1
    assert dag.get_task("create_harvest_job").retries >= 1
    # Without retries, the harvest wait is bounded by its timeout instead.
    assert 0 < dag.get_task("wait_for_harvest").timeout < float("inf")


def test_the_dag_is_documented(dag):
    assert dag.description
    doc = dag.doc_md.strip()
    assert doc.startswith("# ") and len(doc) > 300
    for topic in ("validate", "harvest job", "verify", "VOD", "conf", "Re-running is safe"):
        assert topic in doc, topic


def test_every_param_has_a_title_a_description_and_a_section(dag):
    assert list(dag.params) == [
        "event_id",
        "origin_endpoint_id",
        "start_time",
        "end_time",
        "s3_bucket",
        "manifest_key",
        "role_arn",
        "packaging_group_id",
    ]
    for name in dag.params:
        param = dag.params.get_param(name)
        assert param.schema.get("title"), name
        assert param.description and param.description.strip(), name
        assert param.schema.get("section"), name


def test_required_params_have_no_default_and_optional_ones_default_to_none(dag):
    for name in dag.params:
        param = dag.params.get_param(name)
        if name in REQUIRED_PARAMS:
            assert not param.has_value, f"{name} must not have a default"
            assert param.schema["type"] == "string", name
        else:
            assert param.value is None, name
            assert "null" in param.schema["type"], name  # an empty form field is valid


def test_start_and_end_are_date_times_in_the_form(dag):
    for name in ("start_time", "end_time"):
        schema = dag.params.get_param(name).schema
        assert schema["format"] == "date-time", name
        # The format is enforced (as Airflow enforces it: jsonschema with a FormatChecker).
        validate("2026-11-26T19:00:00-05:00", schema, format_checker=FormatChecker())
        with pytest.raises(ValidationError):
            validate("2026-11-26T19:00:00", schema, format_checker=FormatChecker())


ID_CHARACTERS = st.text(alphabet=st.sampled_from("abcXYZ019_- .:/é\n\t"), min_size=0, max_size=70) | st.from_regex(
    r"[A-Za-z0-9_-]{60,70}", fullmatch=True
)


@settings(max_examples=300, deadline=None)
@given(value=ID_CHARACTERS)
def test_the_form_accepts_every_event_id_the_pipeline_accepts(dag, value):
    """The param schema is the form's (and the REST API's) gate: it must not refuse a valid id."""
    now = pendulum.datetime(2026, 11, 26, 20, tz="UTC")
    params = {
        "event_id": value,
        "origin_endpoint_id": value,
        "start_time": "2026-11-26T19:00:00Z",
        "end_time": "2026-11-26T19:05:00Z",
        "s3_bucket": "live-to-vod-demo",
        "role_arn": "arn:aws:iam::123456789012:role/mediapackage-harvest",
    }
    try:
        validate_harvest_request(params, DeploymentConfig(), now)
        refused: tuple[str, ...] = ()
    except InvalidParams as exc:
        refused = exc.fields
    for name in ("event_id", "origin_endpoint_id"):
        schema = dag.params.get_param(name).schema
        try:
            validate(value, schema, format_checker=FormatChecker())
            form_accepts = True
        except ValidationError:
            form_accepts = False
        if name not in refused:
            assert form_accepts, (name, value)
        if form_accepts and name in refused:
            # Only where JSON Schema's "$" differs from a full match: a trailing newline.
            assert value.endswith("\n") and re.fullmatch(r"[A-Za-z0-9_-]+", value[:-1]), (name, value)


def test_deferrable_tasks_follow_the_default_deferrable_setting(tmp_path):
    code = """
        import json
        from airflow.dag_processing.dagbag import DagBag

        dag = DagBag().dags["live_event_harvest"]
        print(json.dumps({t.task_id: [getattr(t, "deferrable", None), getattr(t, "mode", None)] for t in dag.tasks}))
    """
    on = fresh_python(code, tmp_path, AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE="True")
    off = fresh_python(code, tmp_path, AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE="False")
    for task_id in DEFERRABLE_TASKS:
        assert on[task_id][0] is True, task_id
        assert off[task_id][0] is False, task_id
    # Not deferred, the harvest wait pokes in reschedule mode: no worker slot held between pokes either.
    assert off["wait_for_harvest"][1] == "reschedule"


def test_the_triggerer_can_import_the_triggers_without_the_dag_folder(tmp_path):
    report = fresh_python(
        """
        import json, sys
        import live_to_vod.aws.triggers.mediapackage as triggers
        from airflow.sdk.module_loading import import_string

        classpaths = [cls(resource_id="x").serialize()[0]
                      for cls in (triggers.HarvestJobTrigger, triggers.VodAssetPlayableTrigger)]
        print(json.dumps({"file": triggers.__file__, "path": sys.path, "classpaths": classpaths,
                          "imported": [import_string(c).__name__ for c in classpaths]}))
        """,
        tmp_path,
        cwd="/",
    )
    assert not any(Path(p or "/").resolve() == DAGS for p in report["path"]), report["path"]
    assert Path(report["file"]).resolve() == ROOT / "include/live_to_vod/aws/triggers/mediapackage.py"
    assert report["classpaths"] == [
        "live_to_vod.aws.triggers.mediapackage.HarvestJobTrigger",
        "live_to_vod.aws.triggers.mediapackage.VodAssetPlayableTrigger",
    ]
    assert report["imported"] == ["HarvestJobTrigger", "VodAssetPlayableTrigger"]


def test_airflow_3_lint_passes_on_the_dag_and_its_code():
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run(
        [str(ruff), "check", "--no-cache", "--select", "AIR", "dags", "include"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The AIR rules are live in this ruff: an Airflow 2 idiom is flagged.
    legacy = subprocess.run(
        [str(ruff), "check", "--no-cache", "--select", "AIR", "--stdin-filename", "legacy.py", "-"],
        input='from airflow.sdk import DAG\n\nwith DAG("x", schedule_interval="@daily"):\n    pass\n',
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert legacy.returncode == 1 and "AIR301" in legacy.stdout, legacy.stdout + legacy.stderr
