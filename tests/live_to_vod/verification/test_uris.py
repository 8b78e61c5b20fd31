"""Tests for URI confinement (``uris.py``): every hostile URI is named and never fetched."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from live_to_vod.verification import MAX_DEFECTS_PER_CHECK, verify_vod_asset
from tests.support.hls_assets import (
    MANIFEST,
    PREFIX,
    WINDOW_END,
    WINDOW_START,
    assert_only_under_prefix,
    checks,
    defects,
    good_asset,
    verify,
)
from tests.support.hls_hostile import (
    CHILD,
    CHILD_PLACES,
    HOSTILE_URIS,
    PARENT_PLACES,
    URI_CHECKS,
    RecordingStore,
    assert_confined,
    error,
    run,
)

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize(
    ("uri", "check"),
    [
        ("https://origin.example.com/out/v1/abc/index_2.m3u8", "uri-outside-prefix"),
        ("s3://other-bucket/index_2.m3u8", "uri-outside-prefix"),
        ("//origin.example.com/index_2.m3u8", "uri-outside-prefix"),
        ("/thursdaynight/highlights/index_2.m3u8", "uri-outside-prefix"),
        ("../other-asset/index_2.m3u8", "uri-outside-prefix"),
        ("sub/../../../index_2.m3u8", "uri-outside-prefix"),
        ("%2e%2e/other-asset/index_2.m3u8", "uri-outside-prefix"),
        ("index_2.m3u8?token=s3cr3t", "uri-query"),
        ("index_2.m3u8#frag", "uri-query"),
    ],
)
def test_unsafe_rendition_uri_is_reported_and_never_fetched(uri, check):
    asset = good_asset()
    asset.edit("index.m3u8", "\nindex_2.m3u8\n", f"\n{uri}\n")
    store = asset.store()
    report = verify(store)
    (defect,) = defects(report, check)
    assert defect.location == MANIFEST and uri[:40] in defect.message and "not fetched" in defect.message
    assert_only_under_prefix(store)
    assert f"{PREFIX}index_2.m3u8" not in store.fetched


def test_unsafe_segment_uris_are_reported_and_never_fetched():
    asset = good_asset()
    asset.edit("index_1.m3u8", "\nindex_1_00100.ts\n", "\n../../other/index_1_00100.ts\n")
    asset.edit("index_1.m3u8", "\nindex_1_00101.ts\n", "\nhttp://origin.example.com/index_1_00101.ts\n")
    asset.edit("index_1.m3u8", "\nindex_1_00102.ts\n", "\nindex_1_00102.ts?aws_token=abc\n")
    store = asset.store()
    report = verify(store)
    outside = defects(report, "uri-outside-prefix")
    assert [d.location for d in outside] == [
        f"{PREFIX}index_1.m3u8 segment #0 (../../other/index_1_00100.ts)",
        f"{PREFIX}index_1.m3u8 segment #1 (http://origin.example.com/index_1_00101.ts)",
    ]
    assert defects(report, "uri-query")[0].location.endswith("segment #2 (index_1_00102.ts?aws_token=abc)")
    assert_only_under_prefix(store)


def test_dot_dot_that_stays_inside_the_prefix_is_fine():
    asset = good_asset()
    asset.edit("index.m3u8", "\nindex_2.m3u8\n", "\nsub/../index_2.m3u8\n")
    assert verify(asset).ok


@pytest.mark.parametrize("place", sorted(PARENT_PLACES))
@pytest.mark.parametrize(("uri", "check"), HOSTILE_URIS)
def test_hostile_uri_in_the_parent_is_named_and_never_fetched(place, uri, check):
    asset = good_asset()
    asset.put_text("index.m3u8", PARENT_PLACES[place](asset.text("index.m3u8"), uri))
    report, store = run(asset)
    defect = error(report, check, location=MANIFEST, says=f"'{uri}'")
    assert "not fetched" in defect.message


@pytest.mark.parametrize("place", sorted(CHILD_PLACES))
@pytest.mark.parametrize(("uri", "check"), HOSTILE_URIS)
def test_hostile_uri_in_a_child_is_named_and_never_fetched(place, uri, check):
    asset = good_asset()
    asset.put_text("index_1.m3u8", CHILD_PLACES[place](asset.text("index_1.m3u8"), uri))
    # decoding fetches segments too: those reads must stay inside the prefix as well
    report, store = run(asset, decode=place == "segment")
    if place == "segment":
        defect = error(report, check, location=f"{CHILD} segment #0 ({uri})", says=f"segment URI '{uri}'")
    else:
        tag = "#EXT-X-MAP" if place == "map" else "#EXT-X-KEY"
        defect = error(report, check, location=CHILD, says=f"{tag} URI '{uri}' in rendition playlist index_1.m3u8")
    assert "not fetched" in defect.message


def test_a_relative_uri_that_stays_inside_is_resolved_not_reported():
    asset = good_asset()
    asset.edit("index.m3u8", "\nindex_2.m3u8\n", "\nsub/%2e%2e/./index_2.m3u8\n")
    asset.edit("index_1.m3u8", "\nindex_1_00100.ts\n", "\n./a/../index_1_00100.ts\n")
    report, store = run(asset, ok=True)
    assert report.defects == ()
    assert store.gets(PREFIX + "index_2.m3u8")


def test_many_hostile_uris_in_one_playlist_are_all_counted_in_a_bounded_report():
    asset = good_asset(durations=[2.0] * 60)
    text = asset.text("index_1.m3u8")
    for i in range(60):
        text = text.replace(f"\nindex_1_{100 + i:05d}.ts\n", f"\nhttp://evil.example/{i}.ts\n")
    asset.put_text("index_1.m3u8", text)
    report, store = run(asset, window_end=WINDOW_START.add(seconds=100))
    outside = [d for d in report.defects if d.check == "uri-outside-prefix"]
    assert len(outside) == MAX_DEFECTS_PER_CHECK + 1
    assert outside[0].location == f"{CHILD} segment #0 (http://evil.example/0.ts)"
    assert "and 40 more uri-outside-prefix" in outside[-1].message


_URI_PIECES = ["..", ".", "/", "%2e", "%2E", "%2f", "%5c", "\\", "a", "x.ts", "index_1_00100.ts", "index.m3u8"]


_URI_PIECES += ["http:", "//", "s3:", "file:", "?", "#", "%00", ":", "%", "evil.example", "%252e"]


_uris = st.one_of(
    st.lists(st.sampled_from(_URI_PIECES), min_size=1, max_size=8).map("".join),
    st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="\"'"), min_size=1),
).filter(lambda u: not u.startswith("#"))


def _must_be_rejected(uri: str) -> bool:
    """An independent, conservative oracle: URIs that can only be read by leaving the asset."""
    if re.match(r"[A-Za-z][A-Za-z0-9+.\-]*:", uri) or uri.startswith("/") or any(c in uri for c in "?#\\"):
        return True
    depth = 0  # RFC 3986 dot-segment removal, counted from the asset prefix
    for part in unquote(uri).split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part != ".":
            depth += 1
    return False


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(uri=_uris, place=st.sampled_from(sorted(PARENT_PLACES) + [f"child-{p}" for p in sorted(CHILD_PLACES)]))
def test_fuzz_uris_never_lead_outside_the_prefix(uri, place):
    asset = good_asset()
    if place.startswith("child-"):
        asset.put_text("index_1.m3u8", CHILD_PLACES[place[6:]](asset.text("index_1.m3u8"), uri))
    else:
        asset.put_text("index.m3u8", PARENT_PLACES[place](asset.text("index.m3u8"), uri))
    store = RecordingStore(asset.objects)
    report = verify_vod_asset(store, MANIFEST, WINDOW_START, WINDOW_END, segments="listing")
    assert_confined(store)
    assert "verifier-error" not in checks(report), report.summary()
    if _must_be_rejected(uri):
        assert not report.ok
        error(report, URI_CHECKS, says=f"'{uri[:100]}")
