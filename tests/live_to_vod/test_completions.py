"""The completion index's pure rules: which queue messages announce a completion, how a job is
keyed (v1 and MediaConvert by id, v2 by name on its endpoint) and how the index stays bounded."""

from __future__ import annotations

import json

import pendulum
from hypothesis import given, settings
from hypothesis import strategies as st

from live_to_vod.completions import (
    KEEP_SECONDS,
    MAX_ENTRIES,
    Completion,
    completion_from_message,
    is_harvest_notification,
    is_pipeline_success,
    job_key,
    merge_completions,
    split_batch,
)
from live_to_vod.harvest_request import HarvestWindow
from live_to_vod.naming import harvest_job_id
from tests.live_to_vod.test_notifications import END, START, V2, event, v2_event

NOW = pendulum.datetime(2026, 11, 26, 22, 10, tz="UTC").timestamp()


def mediaconvert_event(status: str = "COMPLETE", job_id: str = "1700000000000-abc123") -> dict:
    return {
        "source": "aws.mediaconvert",
        "detail-type": "MediaConvert Job State Change",
        "time": "2026-11-26T22:06:00Z",
        "detail": {"status": status, "jobId": job_id, "userMetadata": {"event_id": "game-1"}},
    }


def test_v1_and_v2_harvest_notifications_and_mediaconvert_completions_are_keyed_by_their_job():
    v1 = completion_from_message(json.dumps({**event(), "time": "2026-11-26T22:05:07Z"}), NOW)
    assert v1 == Completion("mediapackage/console-job", "SUCCEEDED", pendulum.parse("2026-11-26T22:05:07Z").timestamp())
    v2 = completion_from_message(json.dumps(v2_event("COMPLETED")), NOW)
    assert v2 is not None and v2.status == "SUCCEEDED"
    # A v2 name is unique only on its endpoint: the key says which.
    assert v2.key == job_key("mediapackagev2", "console-v2-job", V2) == f"mediapackagev2/{V2.ref}/console-v2-job"
    assert v2.at == NOW  # no event time: when it was received
    failed = completion_from_message(json.dumps(event("FAILED", message="no access")), NOW)
    assert failed is not None and failed.status == "FAILED"
    mc = completion_from_message(json.dumps(mediaconvert_event("ERROR")), NOW)
    assert mc == Completion(
        "mediaconvert/1700000000000-abc123", "ERROR", pendulum.parse("2026-11-26T22:06:00Z").timestamp()
    )


def test_messages_that_announce_no_completion_give_none():
    for body in (
        json.dumps(mediaconvert_event("PROGRESSING")),  # a running job's progress
        json.dumps(mediaconvert_event("STATUS_UPDATE")),
        json.dumps(mediaconvert_event(job_id="")),
        json.dumps({**mediaconvert_event(), "detail-type": "MediaConvert Job Queue Change"}),
        json.dumps({**mediaconvert_event(), "detail": "COMPLETE"}),
        json.dumps(event(status="IN_PROGRESS")),
        json.dumps({**event(), "source": "aws.s3"}),
        "not json",
        "[1, 2]",
        None,
        {"source": "aws.mediaconvert"},
    ):
        assert completion_from_message(body, NOW) is None, body


def test_only_harvest_notifications_go_to_the_harvest_notifications_dag():
    assert is_harvest_notification(json.dumps(event()))
    assert is_harvest_notification(json.dumps(v2_event()))
    assert not is_harvest_notification(json.dumps(mediaconvert_event()))
    # Anything else still goes there, to be reported as a problem rather than dropped in silence.
    assert is_harvest_notification("not json")
    assert is_harvest_notification(json.dumps({"source": "aws.s3"}))


def test_a_batch_is_split_into_completions_and_the_messages_for_the_notifications_dag():
    messages = [
        {"MessageId": "1", "Body": json.dumps(event())},
        {"MessageId": "2", "Body": json.dumps(mediaconvert_event())},
        {"MessageId": "3", "Body": json.dumps(mediaconvert_event("PROGRESSING"))},
        {"MessageId": "4", "Body": "not json"},
    ]
    completions, harvest = split_batch(messages, NOW)
    assert [c.key for c in completions] == ["mediapackage/console-job", "mediaconvert/1700000000000-abc123"]
    assert [m["MessageId"] for m in harvest] == ["1", "4"]  # junk goes on, to be reported there


def test_a_pipeline_job_s_success_is_recorded_but_makes_no_harvest_notifications_run():
    """live_event_harvest's own jobs (v1 id, v2 name: the digest of endpoint and window) end their
    run's wait; the notifications DAG would only skip them. A failure still goes there: the run's
    wait reads the reason from the asset's events."""
    window = HarvestWindow(pendulum.parse(START), pendulum.parse(END))
    v1_id, v2_name = harvest_job_id("game-1", "ep-1", window), harvest_job_id("game-1", V2.ref, window)
    ours = [
        event(id=v1_id),
        event(id=v1_id, status="COMPLETED"),  # AWS's own example spells success so
        v2_event(harvestJobName=v2_name),
    ]
    kept = [
        event(id=v1_id, status="FAILED", message="no access"),
        event(id=harvest_job_id("game-1", "ep-2", window)),  # the digest of another endpoint: not ours
        event(id=v1_id, end_time="2026-11-26T21:00:00Z"),  # nor of another window
        event(),  # the console's
        v2_event(harvestJobName=v2_name, status="CANCELLED"),
    ]
    assert all(is_pipeline_success(json.dumps(e)) for e in ours)
    assert not any(is_pipeline_success(json.dumps(e)) for e in kept)
    assert not is_pipeline_success("not json") and not is_pipeline_success(json.dumps(mediaconvert_event()))
    messages = [{"MessageId": str(i), "Body": json.dumps(e)} for i, e in enumerate([*ours, *kept])]
    completions, harvest = split_batch(messages, NOW)
    assert len(completions) == len(messages)  # every one a completion, for the waits
    assert [m["MessageId"] for m in harvest] == [str(i) for i in range(len(ours), len(messages))]


def test_a_duplicated_event_rewrites_the_same_entry():
    one = completion_from_message(json.dumps(event()), NOW)
    index = merge_completions({}, [one], NOW)
    assert merge_completions(index, [one], NOW) == index == {one.key: ["SUCCEEDED", one.at]}


def test_the_index_drops_old_entries_keeps_the_newest_and_survives_a_bad_stored_value():
    old = Completion("mediapackage/old", "SUCCEEDED", NOW - KEEP_SECONDS - 1)
    new = Completion("mediapackage/new", "FAILED", NOW - 5)
    assert merge_completions({}, [old, new], NOW) == {"mediapackage/new": ["FAILED", NOW - 5]}
    many = [Completion(f"mediaconvert/{i}", "COMPLETE", NOW - MAX_ENTRIES - 10 + i) for i in range(MAX_ENTRIES + 10)]
    index = merge_completions({}, many, NOW)
    assert len(index) == MAX_ENTRIES and "mediaconvert/0" not in index and f"mediaconvert/{MAX_ENTRIES + 9}" in index
    for stored in (None, "garbage", [1], {"k": "v"}, {"k": ["SUCCEEDED", "yesterday"]}):
        assert merge_completions(stored, [new], NOW) == {new.key: ["FAILED", new.at]}


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(), lambda c: st.lists(c) | st.dictionaries(st.text(), c)
    )
)
def test_any_message_body_is_read_without_raising(body):
    completion_from_message(json.dumps(body), NOW)
    completion_from_message(body, NOW)
