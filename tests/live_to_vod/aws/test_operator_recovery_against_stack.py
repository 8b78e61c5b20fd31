"""Recovering an event after a failure fixed *in the run's own inputs*, through ``dag.test()``
against the real local stack (harness: ``harvest_pipeline.py``).

``test_operators_against_stack.py`` covers a failure fixed outside the run (the role's policy);
here the fix is what an operator would do next: re-trigger with the right ``role_arn``, or fix the
VOD source role and re-run: the -r2 attempt is created, a FAILED VOD asset is made again.
"""

from __future__ import annotations

import json

import pytest

from localrun.seed import vod_role_policy
from tests.support.harvest_pipeline import (
    assert_playable,
    assert_succeeded,
    one_output,
    ti,
)

pytestmark = pytest.mark.slow


def test_a_harvest_failed_for_a_wrong_role_is_redone_when_re_triggered_with_the_right_one(pipeline):
    typo = "arn:aws:iam::123456789012:role/mediapackage-harvest-typo"
    first_id, second_id = pipeline.job_id("game-f"), pipeline.job_id("game-f", attempt=2)

    failed, fixed = pipeline.run(pipeline.conf("game-f", role_arn=typo), pipeline.conf("game-f"))

    tasks = one_output(failed["tasks"])
    assert failed["state"] == "failed" and tasks[ti("harvest.wait_for_harvest")] == "failed", failed
    assert tasks[ti("harvest.publish")] == "upstream_failed" and tasks["summarize"] == "failed", failed
    assert "does not exist" in pipeline.harvest_failure(first_id)  # the role typo, nothing else
    assert_succeeded(fixed)
    assert fixed["xcom"][ti("harvest.create_harvest_job")] == {
        "harvest_job_id": second_id,
        "status": "IN_PROGRESS",
        "created": True,
        "v2_endpoint": None,
    }
    assert pipeline.jobs() == {first_id: "FAILED", second_id: "SUCCEEDED"}
    assert [a["Id"] for a in pipeline.assets()] == [second_id]


def test_a_vod_hand_off_failed_for_the_source_role_is_redone_once_the_role_is_fixed(pipeline):
    iam, role, bucket = pipeline.aws["iam"], pipeline.demo["vod_role"], pipeline.demo["bucket"]

    def vod_role_may(policy: dict) -> None:
        iam.put_role_policy(RoleName=role, PolicyName="s3-access", PolicyDocument=json.dumps(policy))

    vod_role_may(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}
    )
    job_id = pipeline.job_id("game-g")

    (failed,) = pipeline.run(pipeline.conf("game-g"))

    assert failed["state"] == "failed", failed
    tasks = one_output(failed["tasks"])
    assert tasks[ti("harvest.verify_asset")] == "success", failed
    assert tasks[ti("harvest.hand_off_to_vod")] == "failed", failed
    assert tasks[ti("harvest.publish")] == "upstream_failed", failed
    assert tasks["summarize"] == "failed", failed
    assert (
        failed["errors"][ti("harvest.hand_off_to_vod")]
        == f"VOD asset {job_id} FAILED on packaging configuration(s) demo-vod-hls"
    )

    vod_role_may(vod_role_policy(bucket))  # the role as seeded: s3:GetObject on the bucket
    (rerun,) = pipeline.run(pipeline.conf("game-g"))

    assert_succeeded(rerun)
    assert rerun["xcom"][ti("harvest.create_harvest_job")]["created"] is False
    assert [a["Id"] for a in pipeline.assets()] == [job_id]
    assert_playable(rerun["xcom"][ti("harvest.publish")]["vod_playback_urls"][0])
