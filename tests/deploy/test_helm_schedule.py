"""The season schedule changes without a new image on Kubernetes: the Helm values mount a ConfigMap
on every Airflow container, and an update of it, laid out as the kubelet writes ConfigMap volumes
(files are links through ``..data``, swapped atomically to a new timestamped folder), is what the
schedule reader picks up, while it keeps running."""

from __future__ import annotations

import os
from pathlib import Path

import pendulum
import yaml

from live_to_vod.schedule import load_schedule

ROOT = Path(__file__).resolve().parents[2]
VALUES = yaml.safe_load((ROOT / "deploy" / "helm" / "values.yaml").read_text())
DEPLOY_DOC = (ROOT / "docs" / "deploy.md").read_text()


def schedule_env() -> str:
    return next(e["value"] for e in VALUES["env"] if e["name"] == "LIVE_TO_VOD_SCHEDULE_DIR")


def test_every_airflow_container_mounts_the_schedule_configmap_where_the_pipeline_reads_it():
    (volume,) = [v for v in VALUES["volumes"] if v["name"] == "season-schedule"]
    (mount,) = [m for m in VALUES["volumeMounts"] if m["name"] == "season-schedule"]
    assert mount["mountPath"] == schedule_env() and mount.get("readOnly") is True
    assert "subPath" not in mount  # a subPath mount is never updated by the kubelet
    name = volume["configMap"]["name"]
    # The docs make and update that ConfigMap (and say how long an edit takes to arrive).
    assert f"create configmap {name} --from-file=" in DEPLOY_DOC and "kubectl apply" in DEPLOY_DOC
    # Not baked into the image: dags/plugins come with it, the schedule from the ConfigMap.
    assert not VALUES["dags"]["gitSync"]["enabled"]


def write_version(volume: Path, version: str, files: dict[str, str]) -> None:
    """What the kubelet's atomic writer does on a ConfigMap update."""
    folder = volume / f"..{version}"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    link = volume / "..data_tmp"
    link.symlink_to(folder.name)
    os.replace(link, volume / "..data")  # the swap: one rename, readers see the old or the new
    for name in files:
        if not (volume / name).is_symlink():
            (volume / name).symlink_to(f"..data/{name}")


SEASON = """
events:
  - id: nba-lal-bos
    endpoint: ep-1
    start: 2026-12-05T19:30:00-05:00
    end: 2026-12-05T22:00:00-05:00
{revision}
"""


def test_a_configmap_update_is_picked_up_by_a_running_reader(tmp_path):
    volume = tmp_path / "schedules"
    volume.mkdir()
    write_version(volume, "2026_12_05_20_00_00.1", {"season.yaml": SEASON.format(revision="")})
    first = load_schedule(volume)
    assert [e.event_id for e in first.events] == ["nba-lal-bos"] and first.errors == ()
    assert not first.get("nba-lal-bos").revised

    # Overtime: the ops engineer applies the ConfigMap with a revised end; no restart, no image.
    write_version(
        volume,
        "2026_12_05_21_55_00.2",
        {"season.yaml": SEASON.format(revision="    revised_end: 2026-12-05T22:40:00-05:00")},
    )
    event = load_schedule(volume).get("nba-lal-bos")
    assert event.revised and event.end == pendulum.datetime(2026, 12, 6, 3, 40, tz="UTC")
    assert event.slot_end == first.get("nba-lal-bos").end  # the run stays where it was scheduled
