"""The DAG under a real Airflow: scheduler, dag-processor, triggerer and API server
(``airflow standalone``), against the local media stack in its own process.

Proves what ``dag.test()`` cannot: the harvest wait is deferred to the triggerer (the trigger
imports there, without the DAG folder on ``sys.path``), re-running tasks creates nothing twice,
and bad input through the REST API is refused or fails in ``validate`` with the field named.
"""

from __future__ import annotations

import io
import json
import subprocess
import time
import urllib.error
import urllib.request

import av
import pendulum
import psutil
import pytest

from devstack.encoder.pattern import FPS, read_frame_mark
from devstack.encoder.segments import frame_mark_at
from localrun.seed import push_content_v2

pytestmark = pytest.mark.slow

DAG_ID = "live_event_harvest"
REVERIFY_DAG_ID = "reverify_vod_asset"


def test_event_run_defers_the_harvest_wait_and_succeeds(deployment):
    run_id, state, seen = deployment.run(deployment.window_conf("e2e-game", minutes_ago=2))
    assert state == "success", sorted(seen)
    assert ("harvest.wait_for_harvest", "deferred") in seen  # waited in the triggerer, no worker slot held
    assert len(deployment.jobs("e2e-game")) == 1
    assert len(deployment.assets("e2e-game")) == 1
    summary = deployment.airflow.api.xcom(DAG_ID, run_id, "harvest.publish", map_index=0)
    assert summary["segment_count"] > 0 and summary["vod_playback_urls"]
    log = deployment.task_log(run_id, "harvest.wait_for_harvest", map_index=0)
    assert "in the triggerer" in log
    # It started and ended in the triggerer: no worker ever ran it.
    (wait,) = [
        ti
        for ti in deployment.airflow.api.task_instances(DAG_ID, run_id)
        if ti["task_id"] == "harvest.wait_for_harvest"
    ]
    assert wait["state"] == "success" and not wait["hostname"], wait
    # Its console link is there all the same (a task ending in the triggerer writes no links of its
    # own), as is the hand-off's playback link: the triggers write them.
    (job,) = deployment.jobs("e2e-game")
    links = {}
    for task_id in ("harvest.wait_for_harvest", "harvest.hand_off_to_vod"):
        status, body = deployment.airflow.api.call(
            "GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{task_id}/links?map_index=0"
        )
        assert status == 200, body
        links.update(body["extra_links"])
    assert links == {
        "Harvest job (MediaPackage console)": "https://console.aws.amazon.com/mediapackage/home"
        f"?region={job['Arn'].split(':')[3]}#/harvest_jobs/{job['Id']}",
        "VOD playback URL": summary["vod_playback_urls"][0],
    }
    # Downstream DAGs see the harvested asset: an asset event for its s3:// URI, with the summary.
    status, body = deployment.airflow.api.call("GET", "/assets/events?limit=100")
    assert status == 200, body
    events = [e for e in body["asset_events"] if (e.get("extra") or {}).get("event_id") == "e2e-game"]
    assert len(events) == 1
    assert events[0]["uri"] == summary["asset_uri"]
    assert events[0]["extra"]["segment_count"] == summary["segment_count"]


@pytest.mark.parametrize("api", ["v1", "v2"])
def test_clearing_create_and_handoff_creates_nothing_twice(deployment, api):
    event_id = f"e2e-rerun-{api}"
    if api == "v1":
        conf = deployment.window_conf(event_id, minutes_ago=3)  # once: the re-trigger asks for the same window
        jobs = deployment.jobs
    else:  # back-dated content on the v2 channel (the e2e stack runs no v2 encoder), its TS endpoint
        encoder = push_content_v2(deployment.settings, deployment.demo, preroll_seconds=150)
        conf = deployment.v2_conf(event_id, encoder.start.add(seconds=60), encoder.start.add(seconds=120))
        jobs = deployment.v2_jobs
    run_id, state, _ = deployment.run(conf)
    assert state == "success"
    status, body = deployment.airflow.api.call(
        "POST",
        f"/dags/{DAG_ID}/clearTaskInstances",
        {
            "dry_run": False,
            "dag_run_id": run_id,
            "task_ids": ["create_harvest_job", "hand_off_to_vod"],
            "include_downstream": True,
            "only_failed": False,
            "reset_dag_runs": True,
        },
    )
    assert status == 200, body
    state, _ = deployment.follow(run_id)
    assert state == "success"
    # A second run for the same event and window: found, not created.
    second_id, state, _ = deployment.run(conf)
    assert state == "success"
    assert deployment.airflow.api.xcom(DAG_ID, second_id, "harvest.create_harvest_job", map_index=0)["created"] is False
    assert len(jobs(event_id)) == 1
    assert len(deployment.assets(event_id)) == 1


def test_a_highlight_gets_a_frame_accurate_mp4_and_thumbnails_and_reruns_make_no_second_job(deployment):
    """Under a real triggerer: the MediaConvert wait is deferred; the MP4's first and last frames are
    the requested instants (read from the encoder's frame marks); clearing the task and triggering
    the event again find the job instead of transcoding twice."""
    end = pendulum.now("UTC").subtract(minutes=4).start_of("minute")
    start, stop = end.subtract(seconds=60).add(microseconds=3_250_000), end.subtract(microseconds=2_610_000)
    conf = {
        **deployment.window_conf("e2e-mp4", minutes_ago=4),
        "start_time": start.isoformat(),
        "end_time": stop.isoformat(),
        "mediaconvert": ["mp4", "thumbnails"],
        "thumbnail_interval_seconds": 20,
    }
    run_id, state, seen = deployment.run(conf, timeout=420)
    assert state == "success", sorted(seen)
    assert ("harvest.transcode", "deferred") in seen  # waited in the triggerer
    plan = deployment.airflow.api.xcom(DAG_ID, run_id, "harvest.transcode", map_index=0)
    checked = deployment.airflow.api.xcom(DAG_ID, run_id, "harvest.verify_transcode", map_index=0)
    clip = plan["clip"]
    frame_ms = 1000 // FPS
    first_ms = round(pendulum.parse(clip["asset_start"]).timestamp() * 1000) + clip["first_frame"] * frame_ms
    last_ms = first_ms + (clip["frames"] - 1) * frame_ms
    start_ms, stop_ms = round(start.timestamp() * 1000), round(stop.timestamp() * 1000)
    assert start_ms <= first_ms < start_ms + frame_ms and last_ms < stop_ms <= last_ms + frame_ms, clip
    (mp4,) = checked["mp4"]
    body = deployment.s3.get_object(Bucket=deployment.demo["bucket"], Key=mp4["uri"].split("/", 3)[3])["Body"].read()
    with av.open(io.BytesIO(body)) as container:
        marks = [read_frame_mark(frame) for frame in container.decode(video=0)]
    assert len(marks) == clip["frames"] == mp4["frames"]
    assert (marks[0], marks[-1]) == (frame_mark_at(first_ms), frame_mark_at(last_ms)), "0 frames off at both ends"
    assert len(checked["thumbnails"]) == 3 and checked["poster"] == checked["thumbnails"][0]
    (job,) = deployment.mediaconvert_jobs("e2e-mp4")
    assert job["Status"] == "COMPLETE" and job["Id"] == plan["job_id"]

    status, body = deployment.airflow.api.call(
        "POST",
        f"/dags/{DAG_ID}/clearTaskInstances",
        {"dry_run": False, "dag_run_id": run_id, "task_ids": ["transcode"], "include_downstream": True,
         "only_failed": False, "reset_dag_runs": True},
    )  # fmt: skip
    assert status == 200, body
    assert deployment.follow(run_id, timeout=240)[0] == "success"
    second_id, state, _ = deployment.run(conf, timeout=240)
    assert state == "success"
    assert deployment.airflow.api.xcom(DAG_ID, second_id, "harvest.transcode", map_index=0)["job_id"] == job["Id"]
    assert [j["Id"] for j in deployment.mediaconvert_jobs("e2e-mp4")] == [job["Id"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start_time": "2026-11-26T19:00:00"}, "start_time"),
        ({"event_id": "game 7"}, "event_id"),
        ({"origin_endpoint_id": "bad endpoint!"}, "origin_endpoint_id"),
    ],
)
def test_conf_breaking_the_param_schema_is_refused_by_the_api(deployment, change, field):
    conf = {**deployment.window_conf("e2e-refused", minutes_ago=2), **change}
    conf = {k: v for k, v in conf.items() if v is not None}
    status, body = deployment.airflow.api.trigger(DAG_ID, conf)
    assert status == 400, body
    assert field in str(body)
    assert deployment.jobs("e2e-refused") == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"end_time": "2026-01-01T00:00:00Z", "start_time": "2026-01-01T01:00:00Z"}, "end_time"),
        ({"manifest_key": "../outside/index.m3u8"}, "manifest_key"),
        ({"manifest_key": "{event_id}/{season}/index.m3u8"}, "manifest_key"),
        ({"role_arn": "arn:aws-cn:iam::123456789012:role/x"}, "role_arn"),
        ({"origin_endpoint_id": "no-such-endpoint"}, "origin_endpoint_id"),
        ({"event_id": None}, "event_id"),
    ],
)
def test_semantically_bad_conf_fails_in_validate_naming_the_field(deployment, change, field):
    event_id = f"e2e-bad-{field.replace('_', '-')}"
    conf = {**deployment.window_conf(event_id, minutes_ago=2), **change}
    run_id, state, seen = deployment.run(conf, timeout=120)
    assert state == "failed"
    assert ("validate", "failed") in seen
    # Nothing past validate ran (summarize only reports the failure: it runs on all_done).
    assert not any(
        task not in ("validate", "summarize") and s in ("success", "running", "deferred") for task, s in seen
    )
    assert ("summarize", "failed") in seen
    assert field in deployment.task_log(run_id, "validate")
    assert deployment.jobs(event_id) == []


def test_an_asset_is_re_verified_on_request_through_the_rest_api_and_the_cli(deployment):
    conf = deployment.window_conf("e2e-reverify", minutes_ago=4)
    _, state, _ = deployment.run(conf)
    assert state == "success"
    deployment.airflow.wait_for_dag(REVERIFY_DAG_ID)
    asset = {"manifest_key": "e2e-reverify/index.m3u8", "start_time": conf["start_time"], "end_time": conf["end_time"]}

    run_id, state, seen = deployment.run(asset, dag_id=REVERIFY_DAG_ID)

    assert state == "success", sorted(seen)
    assert {task for task, _ in seen} == {"validate", "verify_asset"}
    report = deployment.airflow.api.xcom(REVERIFY_DAG_ID, run_id, "verify_asset")
    assert report["segments"] == "full" and report["reads"]["mode"] == "full"
    assert report["reads"]["decoded"] == report["segment_count"] > 0
    assert "segments read (full)" in deployment.task_log(run_id, "verify_asset", dag_id=REVERIFY_DAG_ID)
    # The form's schema, through the REST API: an unknown mode is refused, no run made.
    status, body = deployment.airflow.api.trigger(REVERIFY_DAG_ID, {**asset, "verify_segments": "everything"})
    assert status == 400 and "verify_segments" in str(body), body

    # The CLI, as docs/pipeline.md shows it.
    cli_run_id = "manual__e2e-reverify-cli"
    sampled = json.dumps({**asset, "verify_segments": "sampled"})
    cli = subprocess.run(
        ["airflow", "dags", "trigger", REVERIFY_DAG_ID, "--conf", sampled, "--run-id", cli_run_id],
        env=deployment.airflow.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stdout + cli.stderr
    state, _ = deployment.follow(cli_run_id, dag_id=REVERIFY_DAG_ID)
    assert state == "success"
    assert deployment.airflow.api.xcom(REVERIFY_DAG_ID, cli_run_id, "verify_asset")["reads"]["mode"] == "sampled"
    # Re-verifying made nothing: the event's one harvest job and one VOD asset.
    assert len(deployment.jobs("e2e-reverify")) == 1
    assert len(deployment.assets("e2e-reverify")) == 1


# --------------------------------------------------------------------------- secrets and exposure
# Last in the module: they look at everything the runs above left behind.

SIGNED_URL_MARKERS = ("X-Amz-Signature", "X-Amz-Credential", "AWSAccessKeyId=", "Signature=")


def every_task_instance_try(deployment) -> list[tuple[str, str, dict]]:
    found = []
    for dag_id in ("live_event_harvest", "harvest_notifications", REVERIFY_DAG_ID):
        status, body = deployment.airflow.api.call("GET", f"/dags/{dag_id}/dagRuns?limit=100")
        for run in body.get("dag_runs", []) if status == 200 else []:
            for ti in deployment.airflow.api.task_instances(dag_id, run["dag_run_id"]):
                found.append((dag_id, run["dag_run_id"], ti))
    return found


def test_no_credentials_or_signed_urls_in_task_logs_xcom_or_run_summaries(deployment):
    assert deployment.secrets and all(len(s) >= 12 for s in deployment.secrets)
    api = deployment.airflow.api
    texts: dict[str, str] = {}
    for dag_id, run_id, ti in every_task_instance_try(deployment):
        base = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{ti['task_id']}"
        for attempt in range(1, (ti.get("try_number") or 0) + 1):
            status, log = api.call("GET", f"{base}/logs/{attempt}?full_content=true&map_index={ti['map_index']}")
            texts[f"log {ti['task_id']}[{ti['map_index']}] try {attempt} of {run_id}"] = json.dumps(log)
        status, xcoms = api.call("GET", f"{base}/xcomEntries?map_index={ti['map_index']}")
        for entry in xcoms.get("xcom_entries", []) if status == 200 else []:
            _, value = api.call("GET", f"{base}/xcomEntries/{entry['key']}?map_index={ti['map_index']}")
            texts[f"xcom {entry['key']} of {ti['task_id']}[{ti['map_index']}] in {run_id}"] = json.dumps(value)
    # The runs above made logs, XComs and summaries: something was looked at.
    assert sum(name.startswith("log ") for name in texts) >= 20
    assert any(name.startswith("xcom return_value of summarize") for name in texts)
    leaks = [
        (name, marker)
        for name, text in texts.items()
        for marker in (*deployment.secrets, *SIGNED_URL_MARKERS)
        if marker in text
    ]
    assert leaks == [], [(name, marker[:4] + "...") for name, marker in leaks]


def listening_sockets(pids: set[int]) -> list[tuple[str, int, int]]:
    """(address, port, pid) of every listening TCP socket of these processes."""
    return [
        (c.laddr.ip, c.laddr.port, c.pid)
        for c in psutil.net_connections(kind="tcp")
        if c.status == psutil.CONN_LISTEN and c.pid in pids
    ]


def test_the_stack_and_airflow_listen_on_loopback_and_nothing_answers_without_auth(deployment, media_stack):
    airflow_root = psutil.Process(deployment.airflow.process.pid)
    airflow_pids = {airflow_root.pid, *(p.pid for p in airflow_root.children(recursive=True))}
    stack_pids = {media_stack.process.pid}
    sockets = listening_sockets(airflow_pids | stack_pids)
    loopback = {"127.0.0.1", "::1"}
    exposed = [(ip, port) for ip, port, _ in sockets if ip not in loopback]
    assert any(port == deployment.settings.port for ip, port, _ in sockets if ip in loopback)  # the stack
    api_port = int(deployment.airflow.api.base_url.rsplit(":", 1)[1])
    assert any(port == api_port for ip, port, _ in sockets if ip in loopback)  # the API server
    # Airflow's own log servers (serve-logs: worker and triggerer) bind every interface, hard-coded in
    # Airflow; they refuse any request without a JWT signed with the deployment's secret.
    for ip, port in exposed:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/log/any.log", timeout=5) as response:
                raise AssertionError(f"{ip}:{port} answered {response.status} without a token")
        except urllib.error.HTTPError as exc:
            assert exc.code in (401, 403), (ip, port, exc.code)
    # The API server refuses a request without a token.
    request = urllib.request.Request(f"{deployment.airflow.api.base_url}/api/v2/dags")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401


def test_a_v2_run_marked_failed_mid_harvest_cancels_its_job_and_hands_nothing_off(deployment):
    now = pendulum.now("UTC")
    # Still on: the job is created now and runs in real time.
    conf = deployment.v2_conf("e2e-v2-stop", now.subtract(seconds=60), now.add(minutes=4))
    status, body = deployment.airflow.api.trigger(DAG_ID, conf)
    assert status == 200, body
    run_id = body["dag_run_id"]
    deadline = time.monotonic() + 120
    while not any(
        ti["task_id"] == "harvest.wait_for_harvest" and ti.get("state") == "deferred"
        for ti in deployment.airflow.api.task_instances(DAG_ID, run_id)
    ):
        assert time.monotonic() < deadline, "the v2 harvest wait never deferred"
        time.sleep(0.5)

    def job() -> dict:
        (found,) = deployment.v2_jobs("e2e-v2-stop")
        return found

    assert job()["Status"] in ("QUEUED", "IN_PROGRESS")
    # Only a trigger the triggerer runs can be stopped: one marked failed within a second of its
    # deferral, before the triggerer loaded it, is dropped without on_kill (docs/mediapackage-v2.md).
    deadline = time.monotonic() + 60
    while f"harvest job {job()['HarvestJobName']} is" not in deployment.task_log(
        run_id, "harvest.wait_for_harvest", map_index=0
    ):
        assert time.monotonic() < deadline, "the triggerer never ran the v2 wait's trigger"
        time.sleep(0.5)
    # A person marks the run failed (the UI's action is this REST call): the deferred wait's trigger cancels the job.
    status, body = deployment.airflow.api.call("PATCH", f"/dags/{DAG_ID}/dagRuns/{run_id}", {"state": "failed"})
    assert status == 200, body
    deadline = time.monotonic() + 60
    while job()["Status"] != "CANCELLED":
        assert time.monotonic() < deadline, f"the job was not cancelled: {job()['Status']}"
        time.sleep(0.5)
    time.sleep(3)  # nothing downstream may still run
    assert deployment.assets("e2e-v2-stop") == []
    states = {ti["task_id"]: ti.get("state") for ti in deployment.airflow.api.task_instances(DAG_ID, run_id)}
    assert states["harvest.hand_off_to_vod"] != "success" and states["harvest.publish"] != "success"
