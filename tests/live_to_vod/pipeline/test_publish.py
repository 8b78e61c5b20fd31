"""``SummarizeLiveEventOperator``, the run's only leaf: it reads every output's ``harvest.publish``
summary (per map index) and fails the run if any output failed. No stack, no database: the task
instance is a stand-in answering ``xcom_pull`` as Airflow's task runner does."""

from __future__ import annotations

from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from live_to_vod.pipeline.publish import SummarizeLiveEventOperator


class PublishedSummaries:
    """A task instance whose ``harvest.publish`` XComs are ``summaries`` (map index -> summary)."""

    def __init__(self, summaries: dict[int, dict[str, Any]]):
        self.summaries = summaries
        self.pulls: list[tuple[Any, Any]] = []

    def xcom_pull(self, task_ids: Any = None, map_indexes: Any = None, default: Any = None, **_: Any) -> Any:
        self.pulls.append((task_ids, map_indexes))
        assert task_ids == "harvest.publish"
        if isinstance(map_indexes, int):
            return self.summaries.get(map_indexes, default)
        return [self.summaries.get(i, default) for i in map_indexes]  # an iterable of indexes: a list


def unit(output: str, endpoint: str = "east-hls") -> dict[str, Any]:
    return {
        "event_id": "game-a",
        "origin_endpoint_id": endpoint,
        "output": output,
        "manifest_key": f"game-a/{output}/index.m3u8",
    }


def summary(segments: int = 30) -> dict[str, Any]:
    return {"segment_count": segments, "total_bytes": 12_500_000, "vod_playback_urls": ["http://vod/x.m3u8"]}


def summarize(outputs: Any, summaries: dict[int, dict[str, Any]]) -> tuple[dict[str, Any], PublishedSummaries]:
    ti = PublishedSummaries(summaries)
    operator = SummarizeLiveEventOperator(task_id="summarize", outputs=outputs, publish_task_id="harvest.publish")
    return operator.execute({"ti": ti}), ti


def test_every_output_published_is_a_success_with_one_line_each():
    outputs = [unit("full"), unit("clip-opening-drive"), unit("full", "west-hls")]

    result, ti = summarize(outputs, {0: summary(), 1: summary(4), 2: summary()})

    assert ti.pulls == [("harvest.publish", [0, 1, 2])]
    assert result["event_id"] == "game-a"
    assert [(o["output"], o["origin_endpoint_id"], o["ok"]) for o in result["outputs"]] == [
        ("full", "east-hls", True),
        ("clip-opening-drive", "east-hls", True),
        ("full", "west-hls", True),
    ]
    assert result["outputs"][1]["summary"] == summary(4)
    lines = result["report"].splitlines()
    assert lines[0] == "Event game-a: 3 of 3 outputs harvested"
    assert len(lines) == 4 and all(line.lstrip().startswith("ok") for line in lines[1:])


def test_a_single_output_is_read_by_its_map_index():
    result, ti = summarize([unit("full")], {0: summary()})

    assert ti.pulls == [("harvest.publish", [0])]
    assert result["outputs"][0]["ok"] is True


def test_an_output_that_did_not_publish_fails_the_run_after_the_report():
    outputs = [unit("full"), unit("clip-opening-drive"), unit("full", "west-hls")]

    with pytest.raises(AirflowFailException) as failure:
        summarize(outputs, {0: summary(), 2: summary()})

    message = str(failure.value)
    assert message.startswith("1 of 3 outputs of event game-a failed;")
    assert "Event game-a: 2 of 3 outputs harvested" in message
    (failed_line,) = [line for line in message.splitlines() if "FAILED" in line]
    assert "clip-opening-drive" in failed_line and "game-a/clip-opening-drive/index.m3u8" in failed_line


@pytest.mark.parametrize("outputs", [None, []])
def test_a_run_with_no_planned_output_fails(outputs):
    with pytest.raises(AirflowFailException, match="No outputs were planned"):
        summarize(outputs, {})
