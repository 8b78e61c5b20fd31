"""The AWS limits the pipeline enforces before it calls AWS, each written once.

Pure domain module. A request that breaks one of these would be refused by AWS (or, for the
event id, make a harvest job id AWS refuses); checking first lets a run fail with the field's
name and nothing created.
"""

from __future__ import annotations

import pendulum

__all__ = [
    "CLIP_NAME_MAX",
    "EVENT_ID_MAX",
    "MAX_HARVEST_DURATION",
    "MAX_KEY_BYTES",
    "MAX_STARTOVER",
    "RESOURCE_ID_MAX",
]

#: MediaPackage v1 harvests at most 24 hours per job: longer events are split into parts.
MAX_HARVEST_DURATION = pendulum.duration(hours=24)
#: MediaPackage keeps at most 14 days of startover: nothing older can be harvested.
MAX_STARTOVER = pendulum.duration(days=14)
#: S3 object keys (a harvest's ManifestKey among them) are at most this many bytes of UTF-8.
MAX_KEY_BYTES = 1024
#: MediaPackage ids (origin endpoints, harvest jobs, packaging groups, VOD assets) have at most 256 characters.
RESOURCE_ID_MAX = 256
#: An event id starts the harvest job id (``{event_id}-{12 hex}[-rN]``) and stays readable in the UI.
EVENT_ID_MAX = 64
#: A highlight clip's name becomes a folder of the event's keys and part of its output name.
CLIP_NAME_MAX = 40
