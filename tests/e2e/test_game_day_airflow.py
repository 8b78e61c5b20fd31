"""Game day under a real Airflow (``airflow standalone``): the deadline alert (Airflow's Deadline
Alerts: the scheduler notices the miss, the triggerer runs the callback), the last-chance alert
(the harvest wait, deferred in two parts around that moment), received by a stand-in Slack webhook
and a real SMTP server; run ids and notes; metrics over UDP; and the board in a real browser.

Every scenario's run starts at once (``started``), so the module costs about one run's time; each
test then follows its own. Harvests are held IN_PROGRESS by the stack's ``harvest_stuck`` fault,
so an alert comes while its run is still going; then the harvest finishes, the run succeeds, and
each alert has come exactly once.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pendulum
import pytest

from devstack.faults import FaultControl
from devstack.net import free_port
from live_to_vod.harvest_request import HarvestWindow
from live_to_vod.naming import harvest_job_id
from localrun.standalone import AirflowStandalone, airflow_env
from tests.support.alert_sinks import WEBHOOK_TOKEN, SmtpSink, WebhookSink

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

DAG_ID = "live_event_harvest"
LAST_CHANCE_MINUTES = 10


@pytest.fixture(scope="module")
def sinks() -> Iterator[tuple[SmtpSink, WebhookSink]]:
    with SmtpSink() as smtp, WebhookSink() as slack:
        yield smtp, slack


class StatsdSink:
    """A UDP socket where Airflow's StatsD client sends: every datagram's lines, as received."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.lines: list[str] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._receive, daemon=True)
        self.thread.start()

    def _receive(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            self.lines += data.decode("utf-8", "replace").splitlines()

    def named(self, name: str) -> list[str]:
        return [line for line in list(self.lines) if line.startswith(f"airflow.{name}:")]

    def close(self) -> None:
        self._stop.set()
        self.thread.join(timeout=2)
        self.sock.close()


@pytest.fixture(scope="module")
def statsd() -> Iterator[StatsdSink]:
    sink = StatsdSink()
    yield sink
    sink.close()


@pytest.fixture(scope="module")
def game_day(media_stack, sinks, statsd):
    smtp, slack = sinks
    airflow = AirflowStandalone(
        airflow_env(
            Path(media_stack.base / "airflow-game-day"),
            api_port=free_port(),
            stack_url=media_stack.settings.public_url,
            seed=media_stack.demo,
            LIVE_TO_VOD_END_MARGIN_SECONDS="2",
            LIVE_TO_VOD_ALERT_CHANNELS="slack,smtp",
            LIVE_TO_VOD_ALERT_EMAIL_TO="ops@example.test",
            LIVE_TO_VOD_LAST_CHANCE_MINUTES=str(LAST_CHANCE_MINUTES),
            AIRFLOW_CONN_SLACK_ALERTS=slack.connection(),
            AIRFLOW_CONN_SMTP_ALERTS=smtp.connection(),
            # Airflow's own metrics path: StatsD over UDP, as the Helm chart's statsd exporter receives it.
            AIRFLOW__METRICS__STATSD_ON="True",
            AIRFLOW__METRICS__STATSD_HOST="127.0.0.1",
            AIRFLOW__METRICS__STATSD_PORT=str(statsd.port),
            AIRFLOW__METRICS__STATSD_PREFIX="airflow",
        )
    )
    try:
        airflow.start()
        airflow.wait_for_dag(DAG_ID)
        yield media_stack.deployment(airflow)
    finally:
        airflow.stop()


def alerts_about(slack: WebhookSink, event_id: str) -> list[str]:
    return [t for t in slack.texts() if t.startswith(f"[live-to-VOD] {event_id}")]


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(1)


def stuck_conf(game_day, media_stack, event: str, endpoint: str, *, ended_ago: int, stuck: int, **extra):
    """A one-minute event that ended ``ended_ago`` seconds ago, whose harvest the stack holds
    IN_PROGRESS ``stuck`` seconds more than usual."""
    end = pendulum.now("UTC").subtract(seconds=ended_ago).set(microsecond=0)
    start = end.subtract(minutes=1)
    job_id = harvest_job_id(event, endpoint, HarvestWindow(start, end), 1)
    FaultControl(media_stack.settings.public_url).add("harvest_stuck", job=job_id, seconds=stuck)
    conf = {"event_id": event, "origin_endpoint_id": endpoint, "start_time": start.isoformat(),
            "end_time": end.isoformat(), **extra}  # fmt: skip
    return conf, start, job_id


@dataclass
class Scenario:
    run_id: str
    start: pendulum.DateTime
    job_id: str
    startover: int | None = None
    end: pendulum.DateTime | None = None


@dataclass
class LateChanges:
    """What happened to the two events whose times change while their runs wait (``started``)."""

    thread: threading.Thread
    ad_hoc: dict = field(default_factory=dict)  # the PUT's (status, body), and the new end
    scheduled: dict = field(default_factory=dict)  # the schedule's event, its revisions

    def done(self) -> None:
        self.thread.join(timeout=300)
        assert not self.thread.is_alive(), "the late changes were not made in time"
        assert "error" not in self.ad_hoc, (self.ad_hoc["error"], self.ad_hoc, self.scheduled)


def season_file(event_id: str, endpoint: str, start, end, revised_end=None) -> str:
    revised = f"\n    revised_end: {revised_end.isoformat()}" if revised_end is not None else ""
    return (
        "defaults:\n  padding_before: 0\n  padding_after: 0\n  destination:\n    packaging_group_id: ''\n"
        f"events:\n  - id: {event_id}\n    endpoint: {endpoint}\n    start: {start.isoformat()}\n"
        f"    end: {end.isoformat()}{revised}\n"
    )


def waiting(api, run_id: str) -> bool:
    """Whether the run's wait_for_event_end is deferred (the run exists; no job is made yet)."""
    status, body = api.call("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/wait_for_event_end")
    return status == 200 and body.get("state") == "deferred"


@pytest.fixture(scope="module")
def started(game_day, media_stack, late_changes) -> dict[str, Scenario]:
    """Every scenario's run, triggered together (the late changes' first)."""
    api, demo = game_day.airflow.api, game_day.demo["endpoint_id"]
    faults = FaultControl(media_stack.settings.public_url)
    scenarios: dict[str, Scenario] = {}

    def start(event: str, endpoint: str, *, ended_ago: int, stuck: int, startover_lead: int | None = None, **extra):
        conf, begin, job_id = stuck_conf(game_day, media_stack, event, endpoint, ended_ago=ended_ago, stuck=stuck,
                                         **extra)  # fmt: skip
        startover = None
        if startover_lead is not None:  # an endpoint whose last-chance moment is startover_lead s from now
            startover = int((pendulum.now("UTC") - begin).total_seconds()) + LAST_CHANCE_MINUTES * 60 + startover_lead
            game_day.mp.create_origin_endpoint(
                ChannelId=game_day.demo["channel_id"], Id=endpoint, StartoverWindowSeconds=startover, HlsPackage={}
            )
        if event == "board-fails":
            faults.add("harvest_fail", job=job_id, message="Origin unreachable")
        status, body = api.start_harvest(conf)
        assert status == 201, body
        scenarios[event] = Scenario(body["dag_run_id"], begin, job_id, startover)

    # Seen moving on the board: harvesting for a while, then playable.
    start("board-demo", demo, ended_ago=30, stuck=45)
    start("board-fails", demo, ended_ago=30, stuck=0)
    # Due a minute after an end 20 s ago, while the harvest is held for a minute and a half more.
    start("gameday-late", demo, ended_ago=20, stuck=90, playable_within_minutes=1)
    # The last-chance moment (10 min before the content expires) a minute into the harvest wait, or
    # a minute before the run starts.
    start("gameday-expiring-during", "short-startover-during", ended_ago=60, stuck=120, startover_lead=60,
          packaging_group_id="")  # fmt: skip
    start("gameday-expiring-before", "short-startover-before", ended_ago=60, stuck=30, startover_lead=-60,
          packaging_group_id="")  # fmt: skip
    start("gameday-on-time", demo, ended_ago=120, stuck=0)
    return scenarios


@pytest.fixture(scope="module")
def late_changes(game_day) -> LateChanges:
    """Two events whose times change after their runs exist, before their jobs are made: an ad-hoc
    one whose end an operator extends through the board's API, and a scheduled one whose entry is
    revised in the schedule file (once before its run exists, once while it waits). The changes are
    made from a thread as soon as each run waits, whatever test runs meanwhile."""
    api, demo = game_day.airflow.api, game_day.demo["endpoint_id"]
    now = pendulum.now("UTC").set(microsecond=0)
    # Margins for a loaded machine: the run's first tasks must reach the wait before the end (CI saw
    # validate take 34 s while the other scenarios started beside it).
    ad_hoc: dict = {"end": now.add(seconds=90), "new_end": now.add(seconds=120)}
    conf = {
        "event_id": "gameday-overtime",
        "origin_endpoint_id": demo,
        "start_time": now.subtract(seconds=60).isoformat(),
        "end_time": ad_hoc["end"].isoformat(),
        "packaging_group_id": "",
        "mediaconvert": ["mp4"],
    }  # fmt: skip  (an MP4 master, no HLS VOD)
    status, body = api.start_harvest(conf)
    assert status == 201, body
    ad_hoc["run_id"] = body["dag_run_id"]
    # Scheduled: first written with a revision already (its run keeps the slot of the planned end),
    # revised again once the run waits.
    # The DAG file is parsed again within seconds (min_file_process_interval), but a run whose
    # end + margin has passed when its slot is parsed is skipped (no catch-up): a minute's room.
    end = now.add(seconds=60)
    scheduled: dict = {"event_id": "gameday-revised", "start": now.subtract(seconds=60), "end": end,
                       "first_revision": end.add(seconds=60), "revised_end": end.add(seconds=80)}  # fmt: skip
    schedules = game_day.airflow.home / "schedules"
    schedules.mkdir(exist_ok=True)
    scheduled["file"] = schedules / "game-day.yaml"
    scheduled["file"].write_text(
        season_file("gameday-revised", demo, scheduled["start"], end, scheduled["first_revision"])
    )

    def change() -> None:
        try:
            deadline = time.monotonic() + 240
            while not waiting(api, ad_hoc["run_id"]):
                assert time.monotonic() < deadline, "the ad-hoc run never waited for its end"
                time.sleep(0.5)
            for _ in range(5):  # standalone's SQLite answers "database is locked" (a 500) under load: retried
                ad_hoc["response"] = game_day.airflow.api.board(
                    "PUT", f"/api/runs/{ad_hoc['run_id']}/times",
                    {"end_time": ad_hoc["new_end"].isoformat(), "reason": "overtime"},
                )  # fmt: skip
                if ad_hoc["response"][0] < 500:
                    break
                time.sleep(1)
            while not waiting(api, "scheduled__gameday-revised"):
                assert time.monotonic() < deadline, "the scheduled run never waited for its end"
                time.sleep(0.5)
            scheduled["file"].write_text(
                season_file("gameday-revised", demo, scheduled["start"], end, scheduled["revised_end"])
            )
            scheduled["revised_at"] = pendulum.now("UTC")
        except BaseException as exc:  # reported by done()
            run = api.call("GET", f"/dags/{DAG_ID}/dagRuns/scheduled__gameday-revised")
            ad_hoc.setdefault("error", f"{exc!r} (the scheduled run: {run})")

    thread = threading.Thread(target=change, daemon=True)
    thread.start()
    return LateChanges(thread, ad_hoc, scheduled)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def assert_mp4_plays_through_the_board(game_day, run_id: str) -> None:
    """The board's MP4 link (an output without an HLS VOD) redirects to a presigned S3 URL that
    serves the MediaConvert master itself; an output without an MP4 has no link."""
    _, board = game_day.airflow.api.board("GET", f"/api/board?day={pendulum.now('UTC').to_date_string()}")
    (row,) = [r for r in board["rows"] if r["run_id"] == run_id]
    assert row["playback_url"] is None and row["mp4_uri"] and row["mp4_url"], row
    api = game_day.airflow.api
    opener = urllib.request.build_opener(_NoRedirect)
    headers = {"Authorization": f"Bearer {api.token()}"}
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(urllib.request.Request(f"{api.base_url}/live-to-vod/{row['mp4_url']}", headers=headers))
    assert redirect.value.code == 307
    with urllib.request.urlopen(redirect.value.headers["Location"], timeout=30) as response:  # no Airflow token
        body = response.read()
    bucket, _, key = row["mp4_uri"].removeprefix("s3://").partition("/")
    assert body[4:8] == b"ftyp" and body == game_day.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    status, _ = api.board("GET", f"/api/media?run_id={run_id}&map_index=7")
    assert status == 404


def harvested_end(game_day, run_id: str) -> tuple[pendulum.DateTime, pendulum.DateTime, float]:
    """(first PDT, end of the last segment, target duration) of the output's asset in S3, read with m3u8."""
    import m3u8

    request = game_day.airflow.api.xcom(DAG_ID, run_id, "harvest.create_harvest_job", "request", map_index=0)
    bucket, key = request["s3_bucket"], request["manifest_key"]
    master = m3u8.loads(game_day.s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode())
    media_key = f"{key.rsplit('/', 1)[0]}/{master.playlists[0].uri}" if master.is_variant else key
    media = m3u8.loads(game_day.s3.get_object(Bucket=bucket, Key=media_key)["Body"].read().decode())
    first, last = media.segments[0], media.segments[-1]
    end = pendulum.instance(last.current_program_date_time).add(microseconds=int(last.duration * 1e6))
    return pendulum.instance(first.current_program_date_time), end, float(media.target_duration)


CHROMIUM = "/usr/bin/chromium"  # Debian's (.ci/run installs it); Playwright's own browsers are not used


def test_the_board_shows_events_moving_failing_and_playing(game_day, started, statsd):
    """In Debian's Chromium: log in to the Airflow UI, open the board from its nav entry, watch an
    event go from harvesting to playable, see a failed event's reason, and play the VOD inline."""
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing (CI=true: .ci/run installs Debian's chromium)", pytrace=False)
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    api = game_day.airflow.api
    bad_job = started["board-fails"].job_id
    shots = ROOT / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--autoplay-policy=no-user-gesture-required"]
        )
        page = browser.new_page(viewport={"width": 1500, "height": 900})
        page.goto(f"{api.base_url}/auth/login")
        page.fill('input[name="username"]', api.username)
        page.fill('input[name="password"]', api.password)
        page.click('button[type="submit"]')
        page.wait_for_url(lambda url: "/auth/login" not in url, timeout=30_000)
        page.goto(f"{api.base_url}/plugin/live-to-vod-board")
        board = page.frame_locator("iframe").first
        seen: list[str] = []
        deadline = time.monotonic() + 300
        row = board.locator('tr[data-event="board-demo"]')
        while time.monotonic() < deadline:
            if row.count():
                stage = row.first.get_attribute("data-stage")
                if not seen or seen[-1] != stage:
                    seen.append(stage)
                if stage in ("playable", "failed"):
                    break
            time.sleep(0.5)
        assert seen and seen[-1] == "playable", seen
        assert "harvesting" in seen, seen  # seen moving: the board refreshed itself while the run went on
        failed = board.locator('tr[data-event="board-fails"][data-stage="failed"]')
        failed.wait_for(timeout=120_000)
        assert f"harvest job {bad_job} FAILED" in failed.locator("td.reason").inner_text()
        page.screenshot(path=str(shots / "board.png"), full_page=True)
        row.first.locator("button", has_text="Play").click()
        video = board.locator("#video")
        played = 0.0
        deadline = time.monotonic() + 60
        while played <= 2 and time.monotonic() < deadline:  # the video element's clock advances: it plays
            played = video.evaluate("v => v.currentTime")
            time.sleep(0.5)
        assert played > 2, (played, video.evaluate("v => v.error && v.error.message"))
        page.screenshot(path=str(shots / "board-playing.png"), full_page=True)
        browser.close()
    assert game_day.follow(started["board-demo"].run_id)[0] == "success"
    assert game_day.follow(started["board-fails"].run_id)[0] == "failed"
    assert statsd.named("live_to_vod.output_failures.wait_for_harvest")  # failures by step, counted
    _, failed_run = api.call("GET", f"/dags/{DAG_ID}/dagRuns/{started['board-fails'].run_id}")
    assert "**board-fails**: FAILED" in failed_run["note"]
    assert f"- full: failed: harvest job {bad_job} FAILED" in failed_run["note"]


def test_a_late_vod_alerts_once_naming_what_is_still_running(game_day, started, sinks):
    smtp, slack = sinks
    event = "gameday-late"
    state, seen = game_day.follow(started[event].run_id, timeout=300)
    assert state == "success", sorted(seen)
    late = [t for t in alerts_about(slack, event) if "VOD late" in t]
    assert len(late) == 1, alerts_about(slack, event)
    assert "Still to finish: harvest.wait_for_harvest[0]" in late[0]  # what was running when the deadline passed
    assert "1 min after the event's end" in late[0]
    assert len([m for m in smtp.received.all() if m["subject"].startswith(f"[live-to-VOD] {event}")]) == 1
    assert WEBHOOK_TOKEN.split("/")[-1] not in late[0]
    assert len(game_day.jobs(event)) == 1


@pytest.mark.parametrize("when", ["during", "before"])
def test_content_about_to_expire_unharvested_alerts_once_with_its_expiry(game_day, started, sinks, when):
    smtp, slack = sinks
    event = f"gameday-expiring-{when}"
    scenario = started[event]
    state, seen = game_day.follow(scenario.run_id, timeout=300)
    assert state == "success", sorted(seen)
    (expiring,) = [t for t in alerts_about(slack, event) if "content expires at" in t]
    expires_at = scenario.start.add(seconds=scenario.startover).to_iso8601_string()
    assert f"content expires at {expires_at}" in expiring
    assert f"full (harvest job {scenario.job_id} still running) has no completed harvest" in expiring
    assert [m["subject"] for m in smtp.received.all() if event in m["subject"]] == [
        f"[live-to-VOD] {event}: content expires at {expires_at}"
    ]
    assert len(alerts_about(slack, event)) == 1  # and nothing else about it: the run succeeded


def test_a_harvest_that_completes_in_time_sends_nothing_and_its_metrics_arrive(game_day, started, sinks, statsd):
    smtp, slack = sinks
    event = "gameday-on-time"
    state, seen = game_day.follow(started[event].run_id, timeout=300)
    assert state == "success", sorted(seen)
    assert alerts_about(slack, event) == []
    # Over UDP from the runs' own tasks: harvest, verify and end-to-playable timers, the published count.
    wait_for(lambda: statsd.named("live_to_vod.outputs_published"), 30, "outputs_published")
    for timer in ("harvest_seconds", "verify_seconds", "end_to_playable_seconds"):
        lines = statsd.named(f"live_to_vod.{timer}")
        assert lines and all(line.endswith("|ms") for line in lines), (timer, statsd.lines[-20:])
    end_to_playable = [
        float(line.split(":")[1].split("|")[0]) for line in statsd.named("live_to_vod.end_to_playable_seconds")
    ]
    assert all(30_000 < ms < 900_000 for ms in end_to_playable), end_to_playable  # events ended before they ran
    assert statsd.named("ti.finish") or statsd.named("ti_successes")  # Airflow's own metrics on the same path


def test_an_ad_hoc_harvest_started_from_the_board_api_names_its_run_and_notes_its_outcome(game_day, started):
    run_id = started["gameday-on-time"].run_id
    assert run_id == "manual__gameday-on-time"  # started through the board's API: the run id names the game
    conf = game_day.window_conf("gameday-named", minutes_ago=2)
    status, body = game_day.airflow.api.start_harvest({**conf, "end_time": "tomorrow"})
    assert status == 400 and any(p.startswith("end_time:") for p in body["detail"]["problems"]), body
    assert game_day.jobs("gameday-named") == []  # refused before anything was triggered
    assert game_day.follow(run_id, timeout=300)[0] == "success"
    _, again = game_day.airflow.api.start_harvest(
        game_day.airflow.api.call("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}")[1]["conf"]
    )
    assert again["dag_run_id"] == "manual__gameday-on-time.2"  # the same game again
    _, run = game_day.airflow.api.call("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}")
    assert "**gameday-on-time**: harvested" in run["note"] and "4 renditions, plays at http" in run["note"], run["note"]
    status, rows = game_day.airflow.api.board("GET", "/api/board?stage=playable")
    assert status == 200 and any(r["run_id"] == run_id for r in rows["rows"])


def test_an_end_extended_before_the_job_is_made_is_harvested_and_after_it_the_extra_time_is_one_action(
    game_day, late_changes
):
    """Overtime on an ad-hoc run: the operator extends the end through the board's API while the run
    waits; the job is made for the new end (the asset's last PDT says so). Once the job exists the
    window is fixed: another change is refused saying so, and the extra time is one POST away."""
    late_changes.done()
    ad_hoc = late_changes.ad_hoc
    run_id = ad_hoc["run_id"]
    status, body = ad_hoc["response"]
    assert status == 200 and body["end_time"] == ad_hoc["new_end"].to_iso8601_string(), body
    assert game_day.follow(run_id, timeout=300)[0] == "success"
    _, last, target = harvested_end(game_day, run_id)
    assert ad_hoc["new_end"] <= last <= ad_hoc["new_end"].add(seconds=target + 1), (last, ad_hoc)
    _, run = game_day.airflow.api.call("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}")
    assert "Times changed (overtime)" in run["note"], run["note"]
    assert_mp4_plays_through_the_board(game_day, run_id)

    later = ad_hoc["new_end"].add(seconds=20)
    status, body = game_day.airflow.api.board("PUT", f"/api/runs/{run_id}/times", {"end_time": later.isoformat()})
    assert status == 409 and "the harvested window is fixed" in body["detail"]["message"], body
    status, bad = game_day.airflow.api.board("POST", f"/api/runs/{run_id}/extra-time", {"end_time": "later"})
    assert status == 400 and bad["detail"]["problems"][0].startswith("end_time:"), bad
    extra_time = f"/api/runs/{run_id}/extra-time"
    status, extra = game_day.airflow.api.board("POST", extra_time, {"end_time": later.isoformat()})
    assert status == 201, extra
    (started,) = extra["runs"]
    _, again = game_day.airflow.api.board("POST", extra_time, {"end_time": later.isoformat()})
    assert again["runs"] == [{"dag_run_id": started["dag_run_id"], "existing": True}]  # asked twice: one harvest
    assert game_day.follow(started["dag_run_id"], timeout=300)[0] == "success"
    first, last, target = harvested_end(game_day, started["dag_run_id"])
    assert first <= ad_hoc["new_end"] and later <= last <= later.add(seconds=target + 1), (first, last)
    assert len(game_day.jobs("gameday-overtime")) == 2  # the first window's and the extra time's


def test_a_schedule_revised_while_the_run_waits_is_harvested_and_after_the_job_the_board_offers_the_rest(
    game_day, late_changes
):
    """Overtime in the schedule: a scheduled run keeps its slot (one run, at the planned end) and
    harvests the entry's latest revised_end, revised again while it waited. A revision after its job
    exists shows on the board as a fixed window with the extra time offered, which then harvests."""
    late_changes.done()
    revised = late_changes.scheduled
    run_id = "scheduled__gameday-revised"
    assert game_day.follow(run_id, timeout=300)[0] == "success"
    _, last, target = harvested_end(game_day, run_id)
    assert revised["revised_end"] <= last <= revised["revised_end"].add(seconds=target + 1), (last, revised)
    _, runs = game_day.airflow.api.call("GET", f"/dags/{DAG_ID}/dagRuns?limit=100")
    mine = [r["dag_run_id"] for r in runs["dag_runs"] if r["dag_run_id"].endswith("__gameday-revised")]
    assert mine == [run_id]  # the revisions made no second run

    more = revised["revised_end"].add(seconds=20)
    revised["file"].write_text(
        season_file("gameday-revised", game_day.demo["endpoint_id"], revised["start"], revised["end"], more)
    )
    _, board = game_day.airflow.api.board("GET", f"/api/board?day={revised['end'].to_date_string()}")
    (row,) = [r for r in board["rows"] if r["run_id"] == run_id]
    assert "fixed when its job was made" in row["window_note"] and more.to_iso8601_string() in row["window_note"]
    (action,) = row["actions"]
    assert action["label"] == "Harvest extra time" and action["end_time"] == more.to_iso8601_string()
    status, extra = game_day.airflow.api.board("POST", f"/{action['url']}", {"end_time": action["end_time"]})
    assert status == 201, extra
    (started,) = extra["runs"]
    assert started["dag_run_id"] == "manual__gameday-revised"
    assert game_day.follow(started["dag_run_id"], timeout=300)[0] == "success"
    first, last, target = harvested_end(game_day, started["dag_run_id"])
    assert first <= revised["revised_end"] and more <= last <= more.add(seconds=target + 1), (first, last)
