"""Fault injection in the local media stack: off by default, driven by rules.

A rule picks calls by ``service`` and ``operation`` (botocore names, ``*`` and fnmatch patterns)
and answers some of them, by ``rate`` (seeded) or ``count``, after skipping the first ``after``:

* ``throttle``: the service's throttling error (its modeled 429: mediapackage/-vod
  ``TooManyRequestsException``, mediapackagev2 ``ThrottlingException``; S3 ``SlowDown`` 503, JSON
  services ``ThrottlingException`` 400, query services ``Throttling`` 400), which botocore's retry
  handlers classify as throttling;
* ``error``: a 5xx (the modeled 500: ``InternalServerErrorException``, v2 ``InternalServerException``;
  S3 ``InternalError``; ``InternalFailure``);
* ``latency``: ``seconds`` added before the call is served normally;
* ``drop``: the connection is closed without a response.

Harvest rules pick jobs by ``job`` (fnmatch on the v1 job ``Id`` or the v2 ``HarvestJobName``):
``harvest_fail`` (``message``), ``harvest_stuck`` (``seconds`` more IN_PROGRESS, or until the
rule is removed), ``harvest_damage`` (``damage``, applied to the written asset), ``event_lost``
(the job ends, its EventBridge notification never arrives: AWS delivers events on a best-effort
basis). ``vod_fail`` picks VOD assets by ``asset`` (fnmatch on the asset ``Id``).
``transcode_fail`` ends a MediaConvert job picked by ``job`` (fnmatch on its ``Id`` or a
``UserMetadata`` value) in ``ERROR`` with ``code`` (default 1999) and ``message``;
``transcode_stuck`` holds one ``PROGRESSING`` for ``seconds``.

Rules come from ``DEVSTACK_FAULTS`` (a JSON list) at start and from ``/_devstack/faults``.
Every rule counts the calls it ``matched`` and the times it ``fired``.
"""

from devstack.faults.client import FaultControl
from devstack.faults.damage import damage_asset
from devstack.faults.jobs import FaultyHarvestRunner, FaultyMediaConvert, FaultyMediaPackageVod, FaultyV2HarvestRunner
from devstack.faults.rules import DAMAGES, KINDS, FaultError, FaultRegistry, FaultRule, parse_rule

__all__ = [
    "DAMAGES",
    "KINDS",
    "FaultControl",
    "FaultError",
    "FaultRegistry",
    "FaultRule",
    "FaultyHarvestRunner",
    "FaultyMediaConvert",
    "FaultyMediaPackageVod",
    "FaultyV2HarvestRunner",
    "damage_asset",
    "parse_rule",
]
