"""Tests for decoding sample segments (``decode.py``): sync byte, decode errors, timestamps, content types."""

from __future__ import annotations

import pytest

from tests.support.hls_assets import PREFIX, TS, checks, defects, good_asset, verify, video_segments


def test_non_decodable_segment_starting_with_sync_byte():
    asset = good_asset()
    garbage = b"\x47" + bytes((i * 7919) % 251 for i in range(188 * 20 - 1))
    asset.put("index_1_00100.ts", garbage, TS)
    report = verify(asset)
    (defect,) = defects(report, "decode")
    assert defect.location == f"{PREFIX}index_1.m3u8 segment #0 (index_1_00100.ts)"
    assert "cannot be decoded" in defect.message
    (lost,) = defects(report, "sync-byte")  # the probe sees the second packet is no TS packet
    assert "sync lost at byte 188" in lost.message


def test_segment_without_sync_byte():
    asset = good_asset()
    asset.put("index_3_00104.ts", b"<html>AccessDenied</html>" * 10, TS)
    report = verify(asset)
    assert defects(report, "sync-byte")[0].location == f"{PREFIX}index_3.m3u8 segment #4 (index_3_00104.ts)"
    assert "decode" in checks(report)


def test_timestamps_going_backwards_inside_a_segment():
    asset = good_asset()
    asset.put("index_1_00100.ts", video_segments()[1] + video_segments()[0], TS)
    (defect,) = defects(verify(asset), "timestamps")
    assert defect.location == f"{PREFIX}index_1.m3u8 segment #0 (index_1_00100.ts)"
    assert "DTS 0.000 s follows 3.900 s" in defect.message


def test_truncated_segment_is_caught_by_its_decoded_duration():
    asset = good_asset()
    asset.put("index_2_00104.ts", video_segments()[4][: 188 * 20], TS)
    report = verify(asset)
    (defect,) = defects(report, "segment-duration")
    assert defect.location == f"{PREFIX}index_2.m3u8 segment #4 (index_2_00104.ts)"
    assert "decodes to 0.500 s" in defect.message


@pytest.mark.parametrize("content_type", ["binary/octet-stream", None, "video/mp4"])
def test_wrong_or_missing_content_type(content_type):
    asset = good_asset()
    body, _ = asset.objects[PREFIX + "index_4_00100.ts"]
    asset.put("index_4_00100.ts", body, content_type)
    (defect,) = defects(verify(asset), "content-type")
    assert defect.location == f"{PREFIX}index_4.m3u8 segment #0 (index_4_00100.ts)"
    assert str(content_type or "(none)") in defect.message and "video/mp2t" in defect.message


def test_content_type_with_parameters_and_other_case_is_accepted():
    asset = good_asset()
    body, _ = asset.objects[PREFIX + "index_4_00100.ts"]
    asset.put("index_4_00100.ts", body, "VIDEO/mp2t; charset=binary")
    assert verify(asset).ok
