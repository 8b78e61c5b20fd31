"""Tests for live_to_vod.naming: deterministic harvest job and VOD asset ids."""

from __future__ import annotations

import hashlib
import re

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from live_to_vod.harvest_request import HarvestWindow
from live_to_vod.naming import harvest_job_id, pipeline_event_id, vod_asset_id

JOB_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
WINDOW = HarvestWindow(pendulum.datetime(2026, 11, 27, 0, 0, 0), pendulum.datetime(2026, 11, 27, 3, 30, 0))


def test_id_is_event_id_plus_hash_of_endpoint_and_window():
    expected = hashlib.sha256(b"ep-1|2026-11-27T00:00:00Z|2026-11-27T03:30:00Z").hexdigest()[:12]
    assert harvest_job_id("game", "ep-1", WINDOW) == f"game-{expected}"


def test_id_is_deterministic_and_ignores_how_the_offset_was_written():
    new_york = HarvestWindow(
        pendulum.datetime(2026, 11, 26, 19, tz="America/New_York"),
        pendulum.datetime(2026, 11, 26, 22, 30, tz="America/New_York"),
    )
    assert harvest_job_id("game", "ep-1", WINDOW) == harvest_job_id("game", "ep-1", new_york)


def test_id_changes_with_endpoint_and_window():
    ids = {
        harvest_job_id("game", "ep-1", WINDOW),
        harvest_job_id("game", "ep-2", WINDOW),
        harvest_job_id("game", "ep-1", HarvestWindow(WINDOW.start, WINDOW.end.add(seconds=1))),
        harvest_job_id("game", "ep-1", HarvestWindow(WINDOW.start.subtract(seconds=1), WINDOW.end)),
    }
    assert len(ids) == 4
    # A harvest job asks for whole seconds (its window widened to them): a fraction names the same job.
    half = HarvestWindow(WINDOW.start.add(microseconds=500_000), WINDOW.end.subtract(microseconds=250_000))
    assert harvest_job_id("game", "ep-1", half) == harvest_job_id("game", "ep-1", WINDOW)


def test_attempts_append_a_suffix():
    base = harvest_job_id("game", "ep-1", WINDOW)
    assert harvest_job_id("game", "ep-1", WINDOW, attempt=1) == base
    assert harvest_job_id("game", "ep-1", WINDOW, attempt=2) == f"{base}-r2"
    assert harvest_job_id("game", "ep-1", WINDOW, attempt=17) == f"{base}-r17"


@pytest.mark.parametrize("attempt", [0, -1, 1.0, True, "2", None])
def test_bad_attempts_are_refused(attempt):
    with pytest.raises(ValueError, match="attempt"):
        harvest_job_id("game", "ep-1", WINDOW, attempt=attempt)  # type: ignore[arg-type]


@pytest.mark.parametrize("event_id", ["", "has space", "dot.ted", "x" * 300])
def test_event_ids_that_cannot_make_a_job_id_are_refused(event_id):
    with pytest.raises(ValueError):
        harvest_job_id(event_id, "ep-1", WINDOW)


def test_absurd_attempt_that_would_exceed_256_characters_is_refused():
    with pytest.raises(ValueError, match="256"):
        harvest_job_id("e" * 64, "ep-1", WINDOW, attempt=10**200)


@given(
    event_id=st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True),
    endpoint=st.text(max_size=300),
    attempt=st.integers(min_value=1, max_value=999_999),
    offset_seconds=st.integers(min_value=0, max_value=10**9),
)
def test_ids_always_match_the_mediapackage_pattern_and_parse_back(event_id, endpoint, attempt, offset_seconds):
    window = HarvestWindow(WINDOW.start.add(seconds=offset_seconds), WINDOW.end.add(seconds=offset_seconds))
    job_id = harvest_job_id(event_id, endpoint, window, attempt=attempt)
    assert JOB_ID_RE.fullmatch(job_id)
    assert pipeline_event_id(job_id, endpoint, window) == event_id


def test_pipeline_event_id_reads_back_only_ids_made_for_this_endpoint_and_window():
    base = harvest_job_id("game", "ep-1", WINDOW)
    assert pipeline_event_id(base, "ep-1", WINDOW) == "game"
    assert pipeline_event_id(f"{base}-r2", "ep-1", WINDOW) == "game"
    assert pipeline_event_id(f"{base}-r123", "ep-1", WINDOW) == "game"
    others = (f"{base}-r0", f"{base}-r02", f"{base}-r", f"{base}-rx", f"{base}x", "other", f"{base}-r2-r3", base[:-1])
    for other in others:
        assert pipeline_event_id(other, "ep-1", WINDOW) is None, other
    assert pipeline_event_id(base, "ep-2", WINDOW) is None
    assert pipeline_event_id(base, "ep-1", HarvestWindow(WINDOW.start, WINDOW.end.add(seconds=1))) is None


def test_vod_asset_id_is_the_harvest_job_id():
    job_id = harvest_job_id("game", "ep-1", WINDOW, attempt=3)
    assert vod_asset_id(job_id) == job_id
