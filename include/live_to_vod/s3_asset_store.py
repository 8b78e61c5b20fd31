"""Where ``S3AssetStore`` used to live: it is now ``live_to_vod.verification.s3_store``.

Kept so importers outside the verification package (devstack tests, benchmarks) keep working
until they import ``from live_to_vod.verification import S3AssetStore``.
"""

from __future__ import annotations

from live_to_vod.verification.s3_store import S3AssetStore

__all__ = ["S3AssetStore"]
