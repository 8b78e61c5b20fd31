"""
# Re-verify a VOD asset

Checks an asset already in S3 against the HLS VOD checklist again, on request: after a fault,
before re-publishing, or to decode every segment of an asset a harvest only sampled. It harvests,
creates and hands off nothing.

**validate** checks the conf and names each bad field (no AWS call); **verify_asset** runs the
harvest's own verification on the asset and fails with the report when it has a defect. Its XCom
and log hold the report, with `reads`: the mode used, segments probed and decoded, bytes read.

Conf (the form, the REST API or the CLI):

- `manifest_key` (required): the key of the asset's parent manifest, e.g. `nfl-wk12/index.m3u8`.
- `start_time`, `end_time` (required): the window the asset must cover, ISO 8601 with an offset;
  at most 24 h, already ended.
- `s3_bucket`: empty takes `LIVE_TO_VOD_S3_BUCKET`.
- `verify_segments`: `full` (default: every segment decoded), `sampled` or `auto`.

```sh
airflow dags trigger reverify_vod_asset --conf '{"manifest_key": "nfl-wk12/index.m3u8",
  "start_time": "2026-11-26T19:00:00-05:00", "end_time": "2026-11-26T22:15:00-05:00"}'
```
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG

from live_to_vod.config import DeploymentConfig
from live_to_vod.pipeline.defaults import default_args
from live_to_vod.pipeline.params import reverify_params
from live_to_vod.pipeline.reverify import ValidateReverifyRequestOperator
from live_to_vod.pipeline.task_groups import verify_asset_task

config = DeploymentConfig.from_env()

with DAG(
    dag_id="reverify_vod_asset",
    description="Verify an asset already in S3 again (every segment decoded by default); creates nothing",
    doc_md=__doc__,
    schedule=None,  # on request only: the form, the REST API, the CLI
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=16,
    tags=["live-to-vod", "mediapackage"],
    default_args=default_args(config),
    params=reverify_params(config),
) as dag:
    validate = ValidateReverifyRequestOperator(task_id="validate", deployment=config)
    verify_asset = verify_asset_task(validate.output, config)
    validate >> verify_asset
