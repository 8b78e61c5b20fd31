"""Game day under a real Airflow (``airflow standalone``): the deadline alert (Airflow's Deadline
Alerts: the scheduler notices the miss, the triggerer runs the callback) and the last-chance alert
(the harvest wait, deferred in two parts around that moment), received by a stand-in Slack webhook
and a real SMTP server.

Each event's harvest is held IN_PROGRESS by the stack's ``harvest_stuck`` fault, so the alert
comes while the run is still going; then the harvest finishes and the run succeeds, and each alert
has come exactly once.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
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


def test_a_late_vod_alerts_once_naming_what_is_still_running(game_day, media_stack, sinks):
    smtp, slack = sinks
    event = "gameday-late"
    # Due a minute after an end 20 s ago, while the harvest is held for a minute more.
    conf, _, job_id = stuck_conf(
        game_day, media_stack, event, game_day.demo["endpoint_id"], ended_ago=20, stuck=60, playable_within_minutes=1
    )
    run_id, state, seen = game_day.run(conf, timeout=300)
    assert state == "success", sorted(seen)
    late = [t for t in alerts_about(slack, event) if "VOD late" in t]
    assert len(late) == 1, alerts_about(slack, event)
    assert "Still to finish: harvest.wait_for_harvest[0]" in late[0]  # what was running when the deadline passed
    assert "1 min after the event's end" in late[0]
    assert len([m for m in smtp.received.all() if m["subject"].startswith(f"[live-to-VOD] {event}")]) == 1
    assert WEBHOOK_TOKEN.split("/")[-1] not in late[0]
    assert len(game_day.jobs(event)) == 1


@pytest.mark.parametrize("when", ["during the wait", "before the wait starts"])
def test_content_about_to_expire_unharvested_alerts_once_with_its_expiry(game_day, media_stack, sinks, when):
    smtp, slack = sinks
    event = f"gameday-expiring-{when.split()[0]}"
    endpoint = f"short-startover-{when.split()[0]}"
    conf, start, job_id = stuck_conf(game_day, media_stack, event, endpoint, ended_ago=60, stuck=60,
                                     packaging_group_id="")  # fmt: skip
    # The last-chance moment (10 min before the content expires) 30 s into the harvest wait, or a
    # minute before the run starts.
    lead = 30 if when == "during the wait" else -60
    startover = int((pendulum.now("UTC") - start).total_seconds()) + LAST_CHANCE_MINUTES * 60 + lead
    game_day.mp.create_origin_endpoint(
        ChannelId=game_day.demo["channel_id"], Id=endpoint, StartoverWindowSeconds=startover, HlsPackage={}
    )
    run_id, state, seen = game_day.run(conf, timeout=300)
    assert state == "success", sorted(seen)
    (expiring,) = [t for t in alerts_about(slack, event) if "content expires at" in t]
    expires_at = start.add(seconds=startover).to_iso8601_string()
    assert f"content expires at {expires_at}" in expiring
    assert f"full (harvest job {job_id} still running) has no completed harvest" in expiring
    assert [m["subject"] for m in smtp.received.all() if event in m["subject"]] == [
        f"[live-to-VOD] {event}: content expires at {expires_at}"
    ]
    assert len(alerts_about(slack, event)) == 1  # and nothing else about it: the run succeeded


def test_an_ad_hoc_harvest_started_from_the_board_api_names_its_run_and_notes_its_outcome(game_day):
    conf = game_day.window_conf("gameday-named", minutes_ago=2)
    status, body = game_day.airflow.api.start_harvest({**conf, "end_time": "tomorrow"})
    assert status == 400 and any(p.startswith("end_time:") for p in body["detail"]["problems"]), body
    assert game_day.jobs("gameday-named") == []  # refused before anything was triggered
    status, body = game_day.airflow.api.start_harvest(conf)
    assert status == 201 and body["dag_run_id"] == "manual__gameday-named", body
    state, seen = game_day.follow(body["dag_run_id"], timeout=240)
    assert state == "success", sorted(seen)
    status, again = game_day.airflow.api.start_harvest(conf)  # the same game again: .2
    assert again["dag_run_id"] == "manual__gameday-named.2"
    _, run = game_day.airflow.api.call("GET", f"/dags/{DAG_ID}/dagRuns/manual__gameday-named")
    assert "**gameday-named**: harvested" in run["note"] and "4 renditions, plays at http" in run["note"], run["note"]
    status, rows = game_day.airflow.api.board("GET", "/api/board?stage=playable")
    assert status == 200 and any(r["run_id"] == "manual__gameday-named" for r in rows["rows"])
    game_day.follow(again["dag_run_id"], timeout=240)


def test_a_harvest_that_completes_in_time_sends_nothing_and_its_metrics_arrive(game_day, sinks, statsd):
    smtp, slack = sinks
    event = "gameday-on-time"
    published = len(statsd.named("live_to_vod.outputs_published"))
    run_id, state, seen = game_day.run(game_day.window_conf(event, minutes_ago=2), timeout=240)
    assert state == "success", sorted(seen)
    assert alerts_about(slack, event) == []
    # Over UDP from the run's own tasks: harvest, verify and end-to-playable timers, the published count.
    wait_for(lambda: len(statsd.named("live_to_vod.outputs_published")) > published, 30, "outputs_published")
    for timer in ("harvest_seconds", "verify_seconds", "end_to_playable_seconds"):
        lines = statsd.named(f"live_to_vod.{timer}")
        assert lines and all(line.endswith("|ms") for line in lines), (timer, statsd.lines[-20:])
    end_to_playable = float(statsd.named("live_to_vod.end_to_playable_seconds")[-1].split(":")[1].split("|")[0])
    assert 60_000 < end_to_playable < 600_000  # ms: the event ended 2 minutes before it was triggered
    assert statsd.named("ti.finish") or statsd.named("ti_successes")  # Airflow's own metrics on the same path


CHROMIUM = "/usr/bin/chromium"  # Debian's (.ci/run installs it); Playwright's own browsers are not used


def test_the_board_shows_events_moving_failing_and_playing(game_day, media_stack, statsd):
    """In Debian's Chromium: log in to the Airflow UI, open the board from its nav entry, watch an
    event go from harvesting to playable, see a failed event's reason, and play the VOD inline."""
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing (CI=true: .ci/run installs Debian's chromium)", pytrace=False)
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    demo = game_day.demo["endpoint_id"]
    good, _, _ = stuck_conf(game_day, media_stack, "board-demo", demo, ended_ago=30, stuck=20)
    bad, _, bad_job = stuck_conf(game_day, media_stack, "board-fails", demo, ended_ago=30, stuck=0)
    FaultControl(media_stack.settings.public_url).add("harvest_fail", job=bad_job, message="Origin unreachable")
    api = game_day.airflow.api
    runs = {conf["event_id"]: api.trigger(DAG_ID, conf)[1]["dag_run_id"] for conf in (good, bad)}
    base = api.base_url
    shots = ROOT / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--autoplay-policy=no-user-gesture-required"]
        )
        page = browser.new_page(viewport={"width": 1500, "height": 900})
        page.goto(f"{base}/auth/login")
        page.fill('input[name="username"]', api.username)
        page.fill('input[name="password"]', api.password)
        page.click('button[type="submit"]')
        page.wait_for_url(lambda url: "/auth/login" not in url, timeout=30_000)
        page.goto(f"{base}/plugin/live-to-vod-board")
        board = page.frame_locator("iframe").first
        seen: list[str] = []
        deadline = time.monotonic() + 240
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
    assert api.run_state(DAG_ID, runs["board-demo"]) == "success"
    assert statsd.named("live_to_vod.output_failures.wait_for_harvest")  # failures by step, counted
    _, failed_run = api.call("GET", f"/dags/{DAG_ID}/dagRuns/{runs['board-fails']}")
    assert "**board-fails**: FAILED" in failed_run["note"]
    assert f"- full: failed: harvest job {bad_job} FAILED" in failed_run["note"]
