"""Integrity of the ``live_event_harvest`` DAG: it parses cleanly and cheaply, and is declared the
way operations rely on (tasks and the mapped harvest group, retries, docs, params, deferral, the
season timetable and its schedule's warnings, importable triggers, Airflow 3 lint).

Checks that depend on how a fresh Airflow process starts (``[operators] default_deferrable`` is
read when the operator modules are imported, import-time AWS calls, the triggerer's ``sys.path``,
plugins) run in a new interpreter; the rest parse the DAG folder in this process. The DAG reads
``LIVE_TO_VOD_SCHEDULE_DIR`` each time it is parsed, so a test points it at its own schedule.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import textwrap
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

import pendulum
import pytest
from airflow.dag_processing.dagbag import DagBag
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import FormatChecker, ValidationError, validate

from live_to_vod.config import DeploymentConfig
from live_to_vod.timetables.season import SeasonScheduleTimetable
from live_to_vod.validation import KNOWN_FIELDS, InvalidParams, validate_harvest_request
from tests.support.dag_form import check_form
from tests.support.fresh_python import fresh_python

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "dags"
DAG_ID = "live_event_harvest"
GROUP_ID = "harvest"
GROUP_TASK_IDS = (
    "harvest.create_harvest_job",
    "harvest.wait_for_harvest",
    "harvest.verify_asset",
    "harvest.hand_off_to_vod",
    "harvest.transcode",
    "harvest.verify_transcode",
    "harvest.publish",
)
TASK_IDS = ("validate", "wait_for_event_end", *GROUP_TASK_IDS, "summarize")
# Each task's direct upstream: one chain, except that MediaPackage VOD and MediaConvert work side by side.
UPSTREAM = {
    "wait_for_event_end": {"validate"},
    "harvest.create_harvest_job": {"wait_for_event_end"},
    "harvest.wait_for_harvest": {"harvest.create_harvest_job"},
    "harvest.verify_asset": {"harvest.wait_for_harvest"},
    "harvest.hand_off_to_vod": {"harvest.verify_asset"},
    "harvest.transcode": {"harvest.verify_asset"},
    "harvest.verify_transcode": {"harvest.transcode"},
    "harvest.publish": {"harvest.hand_off_to_vod", "harvest.verify_transcode"},
    "summarize": {"harvest.publish"},
}
# Required for manual runs, absent from scheduled ones (their event comes from the schedule).
EVENT_PARAMS = ("event_id", "origin_endpoint_id", "start_time", "end_time")
DEFERRABLE_TASKS = ("harvest.wait_for_harvest", "harvest.hand_off_to_vod")
EXAMPLE_SCHEDULE = ROOT / "docs/examples"
EXAMPLE_EVENTS = [  # docs/examples/season-2026.yaml, in run order (by end); the cancelled game has none
    "ncaa-2026-10-03-osu-mich",
    "ncaa-2026-10-03-usc-ucla",
    "endurance-2026-24h",
    "nhl-2026-10-31-sea-vgk",
    "nfl-2026-wk12-buf-kc",
]


def parse(schedule_dir: Path | str | None = None) -> DagBag:
    """The DAG folder parsed in this process, with ``LIVE_TO_VOD_SCHEDULE_DIR`` set (or unset: the
    deployment default, ``include/schedules``) while it is."""
    with pytest.MonkeyPatch.context() as patch:
        if schedule_dir is None:
            patch.delenv("LIVE_TO_VOD_SCHEDULE_DIR", raising=False)
        else:
            patch.setenv("LIVE_TO_VOD_SCHEDULE_DIR", str(schedule_dir))
        # As the DAG processor sees them ("always"); what DagBag re-emits is recorded here, not shown.
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            return DagBag(dag_folder=str(DAGS))


def events(bag: DagBag) -> list[str]:
    timetable = bag.dags[DAG_ID].timetable
    assert isinstance(timetable, SeasonScheduleTimetable)
    return [slot.event_id for slot in timetable.slots]


@pytest.fixture(scope="module")
def dagbag() -> DagBag:
    return parse()


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
    assert sorted(t.task_id for t in dag.topological_sort()) == sorted(TASK_IDS)
    for task_id, upstream in UPSTREAM.items():
        assert upstream <= dag.get_task(task_id).upstream_task_ids, task_id
    # Trigger rules Airflow 3.3 judges per output inside the mapped group (see the stand-in test below).
    # publish runs when the MediaConvert pair was skipped (no MediaConvert asked), never after a failure.
    assert rule_name(dag.get_task("harvest.publish").trigger_rule) == "none_failed"


def test_each_planned_output_is_harvested_by_its_own_instance_of_the_mapped_group(dag):
    group = dag.task_group_dict[GROUP_ID]
    assert type(group).__name__ == "MappedTaskGroup"
    assert sorted(group.children) == sorted(GROUP_TASK_IDS)
    # Expanded over validate's return value (the list of planned outputs), one instance per output.
    (expand_arg,) = group.iter_mapped_dependencies()
    assert expand_arg.task_id == "validate"
    for task_id in GROUP_TASK_IDS:
        task = dag.get_task(task_id)
        assert task.get_closest_mapped_task_group() is group, task_id
        assert not task.is_mapped, task_id  # mapped through the group, not on their own
    # The request each group task gets is its own output's.
    create = dag.get_task("harvest.create_harvest_job")
    assert type(create.request).__name__ == "MappedArgument"
    # The wait and the summary take the whole plan.
    assert dag.get_task("wait_for_event_end").outputs.operator.task_id == "validate"
    summarize = dag.get_task("summarize")
    assert summarize.outputs.operator.task_id == "validate"
    assert summarize.publish_task_id == "harvest.publish"


def test_the_run_summary_is_the_only_leaf_and_runs_whatever_happened(dag):
    """The run's state is its leaves': summarize must run after failures too, and fail for them."""
    assert [t.task_id for t in dag.leaves] == ["summarize"]
    summarize = dag.get_task("summarize")
    assert summarize.trigger_rule == "all_done"
    assert summarize.upstream_task_ids == {"validate", "harvest.publish"}


def rule_name(rule: Any) -> str:
    return getattr(rule, "value", rule)


STAND_IN_DAG = """
import pendulum
from airflow.sdk import DAG, task, task_group

GROUP = {group!r}  # task id -> (trigger rule, upstream task ids in the group), copied from the real DAG
SUMMARIZE_RULE = {summarize!r}

with DAG("stand_in", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), default_args={{"retries": 0}}):

    @task
    def validate():
        return ["fails", "hands-off", "hands-off-too"]

    @task_group(group_id="harvest")
    def harvest(output):
        made = {{}}
        for task_id, (rule, upstream) in GROUP.items():

            @task(task_id=task_id, trigger_rule=rule)
            def step(output, task_id=task_id):
                if output == "fails" and task_id == "wait_for_harvest":
                    raise RuntimeError("harvest job FAILED")
                if output == "hands-off-too" and task_id == "transcode":  # verify skips it: no MediaConvert asked
                    from airflow.sdk.exceptions import AirflowSkipException

                    raise AirflowSkipException("no MediaConvert outputs asked for")
                return output

            made[task_id] = step(output)
            for name in upstream:
                made[name] >> made[task_id]

    @task(trigger_rule=SUMMARIZE_RULE)
    def summarize():
        pass

    harvest.expand(output=validate()) >> summarize()
"""


def test_one_failed_output_does_not_stop_the_others_from_publishing(dag, tmp_path):
    """A stand-in DAG with the real harvest group's dependencies and trigger rules, run with ``dag.test()``:
    output 0's harvest fails, outputs 1 and 2 succeed.

    In Airflow 3.3 a ``none_failed_min_one_success`` task in a mapped task group is judged on its
    unexpanded instance against every output's upstream (apache/airflow#69377): one failed output
    then marked ``publish`` upstream_failed for all, and no output was published. Output 2 gets no
    MediaConvert job: its pair is skipped, and ``publish`` (``none_failed``) still runs for it."""
    group = {}
    for task_id in GROUP_TASK_IDS:
        task = dag.get_task(task_id)
        upstream = sorted(u.removeprefix("harvest.") for u in task.upstream_task_ids if u in GROUP_TASK_IDS)
        group[task_id.removeprefix("harvest.")] = (rule_name(task.trigger_rule), upstream)
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "stand_in.py").write_text(
        STAND_IN_DAG.format(group=group, summarize=rule_name(dag.get_task("summarize").trigger_rule))
    )
    report = fresh_python(
        """
        import json
        from airflow.dag_processing.dagbag import DagBag
        from airflow.utils.db import initdb
        from airflow.utils.session import create_session

        initdb()  # a new SQLite database in this test's AIRFLOW_HOME
        bag = DagBag()
        assert not bag.import_errors, bag.import_errors
        run = bag.dags["stand_in"].test()
        with create_session() as session:
            states = {f"{ti.task_id}[{ti.map_index}]": str(ti.state) for ti in run.get_task_instances(session=session)}
        print(json.dumps(states))
        """,
        tmp_path,
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
    )

    assert report["harvest.wait_for_harvest[0]"] == "failed", report
    assert "harvest.publish[-1]" not in report, f"publish was never expanded, so no output published: {report}"
    assert report["harvest.publish[0]"] == "upstream_failed", report
    assert report["harvest.publish[1]"] == "success", report
    assert report["harvest.transcode[2]"] == "skipped", report
    assert report["harvest.verify_transcode[2]"] == "skipped", report
    assert report["harvest.publish[2]"] == "success", report
    assert report["summarize[-1]"] == "success", report  # ran (the real one then fails for output 0)


def test_no_run_can_stay_running_forever(dag):
    """Each wait has its own timeout; the run's timeout is the backstop past the longest of them."""
    config = DeploymentConfig.from_env()
    longest_waits = timedelta(
        hours=config.max_future_hours,  # wait_for_event_end: the window ends at most this far ahead
        minutes=config.harvest_timeout_minutes + config.vod_timeout_minutes,
    )
    assert dag.dagrun_timeout is not None
    assert longest_waits < dag.dagrun_timeout <= longest_waits + timedelta(hours=6)


def test_every_task_retries_with_back_off(dag):
    # Every task retries (AWS calls, the executor and deferrals can fail transiently); bad input, a
    # FAILED harvest job or a bad asset fail at once with AirflowFailException, which no retry repeats.
    for task in dag.tasks:
        assert task.retries >= 1, task.task_id
        assert task.retry_delay.total_seconds() > 0, task.task_id
        assert task.retry_exponential_backoff, task.task_id
        assert task.max_retry_delay is not None, task.task_id
    assert dag.get_task("validate").retries >= 1
    assert dag.get_task("harvest.create_harvest_job").retries >= 1
    # However often it is retried, the harvest wait is bounded by its timeout.
    assert 0 < dag.get_task("harvest.wait_for_harvest").timeout < float("inf")


def test_the_dag_is_documented(dag):
    assert dag.description
    doc = dag.doc_md.strip()
    assert doc.startswith("# ") and len(doc) > 300
    for topic in (
        "validate",
        "harvest job",
        "verify",
        "VOD",
        "summarize",
        "season schedule",
        "conf",
        "Re-running is safe",
    ):
        assert topic in doc, topic


def test_every_param_has_a_title_a_description_and_a_section(dag):
    assert list(dag.params) == list(KNOWN_FIELDS)  # the form asks for exactly what validation reads
    for name in dag.params:
        param = dag.params.get_param(name)
        assert param.schema.get("title"), name
        assert param.description and param.description.strip(), name
        assert param.schema.get("section"), name


def test_every_param_defaults_to_none_as_scheduled_runs_carry_no_conf(dag):
    for name in dag.params:
        param = dag.params.get_param(name)
        assert param.value is None, name
        # An empty form field is valid; the v2 manifests and MediaConvert outputs are lists (one per line).
        kind = {
            "manifests": "array",
            "mediaconvert": "array",
            "thumbnail_interval_seconds": "integer",
            "playable_within_minutes": "integer",
        }
        assert param.schema["type"] == ["null", kind.get(name, "string")], name
    # The event's own fields keep their string rules (JSON Schema applies them to strings only).
    for name in EVENT_PARAMS:
        schema = dag.params.get_param(name).schema
        assert schema.get("pattern", "").startswith("^[A-Za-z0-9_-]{1,") or schema.get("format") == "date-time", name
    # A scheduled run's params (no conf at all) pass the schema; validate takes its event from the schedule.
    assert dict(copy.deepcopy(dag.params).validate()) == dict.fromkeys(dag.params)


@pytest.mark.parametrize(
    ("conf", "refused"),
    [
        ({}, None),  # the schema lets it through; validate then names every missing field
        ({"event_id": None, "origin_endpoint_id": None}, None),
        ({"event_id": "game-a", "start_time": "2026-11-26T19:00:00-05:00"}, None),
        ({"event_id": "game a"}, "event_id"),
        ({"event_id": "x" * 65}, "event_id"),
        ({"origin_endpoint_id": "east/hls"}, "origin_endpoint_id"),
        ({"start_time": "2026-11-26T19:00:00"}, "start_time"),  # naive: no offset
        ({"end_time": "26 Nov 2026 19:00"}, "end_time"),
        ({"verify_segments": "full"}, None),
        ({"verify_segments": None}, None),  # an emptied drop-down: auto
        ({"verify_segments": "everything"}, "verify_segments"),
        ({"verify_segments": "listing"}, "verify_segments"),  # the verifier's no-read mode is not offered
    ],
)
def test_the_param_schema_refuses_malformed_event_fields_but_not_missing_ones(dag, conf, refused):
    check_form(dag, conf, refused)


def test_verify_segments_is_a_drop_down_of_the_modes_validation_accepts(dag):
    schema = dag.params.get_param("verify_segments").schema
    assert schema["enum"] == [None, "auto", "sampled", "full"]  # the form renders an enum as a drop-down
    assert schema["values_display"] == {"null": "auto (default)"}
    assert "LIVE_TO_VOD_VERIFY_FULL_MAX_MIB" in dag.params.get_param("verify_segments").description
    now = pendulum.datetime(2026, 11, 26, 20, tz="UTC")
    params = {
        "event_id": "game",
        "origin_endpoint_id": "east-hls",
        "start_time": "2026-11-26T19:00:00Z",
        "end_time": "2026-11-26T19:05:00Z",
        "s3_bucket": "live-to-vod-demo",
        "role_arn": "arn:aws:iam::123456789012:role/mediapackage-harvest",
    }
    for value in schema["enum"]:
        request = validate_harvest_request({**params, "verify_segments": value}, DeploymentConfig(), now)
        assert request.verify_segments == (value or "auto")


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
    assert off["harvest.wait_for_harvest"][1] == "reschedule"


def test_the_harvest_wait_reads_the_notification_asset_only_with_a_queue(tmp_path):
    """A FAILED job's reason is only in its notification: with the queue, the wait has its asset as inlet."""
    code = """
        import json
        from airflow.dag_processing.dagbag import DagBag

        bag = DagBag()
        wait = bag.dags["live_event_harvest"].get_task("harvest.wait_for_harvest")
        print(json.dumps({"inlets": [a.name for a in wait.inlets],
                          "dags": sorted(bag.dags), "warnings": [str(w) for w in bag.captured_warnings]}))
    """
    queue = "http://127.0.0.1:4566/123456789012/harvest-notifications"
    with_queue = fresh_python(code, tmp_path, LIVE_TO_VOD_NOTIFICATION_QUEUE_URL=queue)
    without = fresh_python(code, tmp_path)
    assert with_queue["inlets"] == ["mediapackage-harvest-notifications"]
    assert with_queue["dags"] == ["harvest_notifications", "live_event_harvest", "reverify_vod_asset"]
    assert not with_queue["warnings"]
    assert without["inlets"] == [] and without["dags"] == ["live_event_harvest", "reverify_vod_asset"]


# --------------------------------------------------------------------------- season schedule


def test_the_dag_is_scheduled_by_the_season_timetable(dag):
    assert isinstance(dag.timetable, SeasonScheduleTimetable)
    assert dag.catchup is True  # events missed while the scheduler was down still run
    assert dag.start_date == pendulum.datetime(2026, 1, 1, tz="UTC")
    assert dag.timetable.margin_seconds == DeploymentConfig().end_margin_seconds
    # The deployment default, include/schedules, holds only its README: manual runs only.
    assert dag.timetable.slots == []
    assert dag.timetable.description.startswith("No scheduled events")


def test_the_dag_parses_with_an_empty_schedule_directory(tmp_path):
    bag = parse(tmp_path)

    assert bag.import_errors == {} and bag.captured_warnings == {}
    assert events(bag) == []
    assert str(tmp_path) in bag.dags[DAG_ID].timetable.description


def test_the_dag_schedules_every_event_of_the_example_season():
    bag = parse(EXAMPLE_SCHEDULE)

    assert bag.import_errors == {} and bag.captured_warnings == {}
    assert events(bag) == EXAMPLE_EVENTS
    timetable = bag.dags[DAG_ID].timetable
    assert timetable.description.startswith("5 scheduled events from 2026-10-03 to 2026-11-27")
    assert timetable.source == str(EXAMPLE_SCHEDULE)


def test_schedule_errors_are_the_dag_s_warnings_and_the_good_events_still_run(tmp_path):
    (tmp_path / "a-good.yaml").write_text(
        textwrap.dedent(
            """
            timezone: America/New_York
            events:
              - {id: good-game, endpoint: east-hls, start: 2026-11-26 20:15, end: 2026-11-26 23:30}
            """
        )
    )
    (tmp_path / "b-broken.yaml").write_text(
        textwrap.dedent(
            """
            timezone: America/New_York
            events:
              - {id: ok-game, endpoint: west-hls, start: 2026-11-27 20:15, end: 2026-11-27 23:30}
              - {id: backwards-game, endpoint: west-hls, start: 2026-11-28 23:30, end: 2026-11-28 20:15}
              - {id: typo-game, endpoint: west-hls, start: 2026-11-29 20:15, end: 2026-11-29 23:30, paddding_after: 5m}
              - {id: good-game, endpoint: north-hls, start: 2026-11-30 20:15, end: 2026-11-30 23:30}
            """
        )
    )
    (tmp_path / "c-not-yaml.yaml").write_text("events: [unclosed\n")

    bag = parse(tmp_path)

    assert bag.import_errors == {}  # refused entries never stop the DAG
    ((fileloc, captured),) = bag.captured_warnings.items()
    assert Path(fileloc).resolve() == DAGS / "live_event_harvest.py"
    messages = [w.split(": UserWarning: ", 1)[1] for w in captured]
    assert all(m.startswith("season schedule: ") for m in messages), captured
    # Each names file, entry and field.
    assert len(messages) == 4, messages
    assert any("b-broken.yaml: backwards-game: end: " in m for m in messages), messages
    assert any("b-broken.yaml: typo-game: paddding_after: " in m and "padding_after" in m for m in messages), messages
    assert any("b-broken.yaml: good-game: id: " in m and "a-good.yaml" in m for m in messages), messages
    assert any(m.startswith("season schedule: c-not-yaml.yaml: is not valid YAML") for m in messages), messages
    # The valid events of both files are scheduled; the timetable says how many entries were refused.
    assert events(bag) == ["good-game", "ok-game"]
    timetable = bag.dags[DAG_ID].timetable
    assert timetable.errors == 4 and "4 schedule entries refused" in timetable.description


def test_schedule_warnings_reach_python_s_warning_system_too(tmp_path):
    (tmp_path / "broken.yaml").write_text("events: [{id: game}]\n")

    with pytest.MonkeyPatch.context() as patch, pytest.warns(UserWarning, match="season schedule: broken.yaml: game"):
        patch.setenv("LIVE_TO_VOD_SCHEDULE_DIR", str(tmp_path))
        bag = DagBag(dag_folder=str(DAGS))

    assert bag.import_errors == {} and events(bag) == []


def test_a_missing_schedule_directory_is_a_warning_not_an_import_error(tmp_path):
    bag = parse(tmp_path / "no-such-dir")

    assert bag.import_errors == {}
    ((_, captured),) = bag.captured_warnings.items()
    assert len(captured) == 1 and "the schedule directory does not exist" in captured[0], captured
    assert events(bag) == []
    assert bag.dags[DAG_ID].timetable.description.startswith("No scheduled events")


def test_the_triggerer_can_import_the_triggers_without_the_dag_folder(tmp_path):
    report = fresh_python(
        """
        import json, sys
        import live_to_vod.aws.triggers.mediapackage as triggers
        from airflow.sdk.module_loading import import_string

        classpaths = [triggers.HarvestJobTrigger(harvest_job_id="x").serialize()[0],
                      triggers.VodAssetPlayableTrigger(asset_id="x").serialize()[0]]
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
