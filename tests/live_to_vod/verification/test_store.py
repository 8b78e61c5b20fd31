"""Tests for the storage boundary (``store.py``): store failures propagate."""

from __future__ import annotations

import pytest

from tests.support.hls_assets import MemoryStore, good_asset, verify


def test_store_failures_propagate():
    class DeniedStore(MemoryStore):
        def get_object(self, key, max_bytes=None):
            raise PermissionError("AccessDenied")

    with pytest.raises(PermissionError):
        verify(DeniedStore(good_asset().objects))
