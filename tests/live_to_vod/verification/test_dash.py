"""DASH manifests (rules DASH-1 to DASH-5): a harvested MPD read with mpegdash, expanded into every
object it names, and checked by the same segment, window and decode stages as an HLS asset."""

from __future__ import annotations

import pytest

from tests.support.dash_assets import MPD, PREFIX, T0, dash_store, edit_mpd, verify_dash
from tests.support.hls_assets import checks, defects


def test_a_harvested_mpd_verifies_and_every_segment_decodes():
    report = verify_dash(dash_store())
    assert report.ok, report.summary()
    assert report.defects == ()
    assert [r.kind for r in report.renditions] == ["video", "audio"]
    assert [r.segments for r in report.renditions] == [5, 5]
    assert report.renditions[0].first_pdt == T0 and report.renditions[0].end_pdt == T0.add(seconds=10)
    assert report.reads.decoded == 10  # full: every segment, with its init segment


def drop(key: str):
    def edit(objects: dict) -> None:
        del objects[PREFIX + key]

    return edit


def empty(key: str):
    def edit(objects: dict) -> None:
        objects[PREFIX + key] = (b"", "video/mp4")

    return edit


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (drop("segment_1_102.mp4"), "missing-segment"),
        (drop("segment_2_init.mp4"), "missing-init-segment"),
        (empty("segment_1_103.mp4"), "zero-byte-segment"),
        (edit_mpd('type="static"', 'type="dynamic"'), "dash-not-static"),
        (edit_mpd(' mediaPresentationDuration="PT10.000S"', ""), "dash-not-static"),
        (edit_mpd("<Period", "<Period id='x'/><Period"), "dash-not-static"),
        (edit_mpd("<MPD", "<MPD <broken"), "dash-unreadable"),
        (edit_mpd('r="4"/>', 'r="-1"/>'), "dash-addressing"),
        (edit_mpd("$Number$.mp4", "$Number$_$Secret$.mp4"), "dash-addressing"),
        (edit_mpd('timescale="90000" ', ""), "dash-addressing"),
        (edit_mpd('media="segment_', 'media="../../elsewhere/segment_'), "uri-outside-prefix"),
        (
            edit_mpd(
                '<S t="161614764000000" d="180000" r="4"/>',
                '<S t="161614764000000" d="180000" r="1"/><S t="161614764540000" d="180000" r="1"/>',
            ),
            "dash-timeline-gap",
        ),
        (
            edit_mpd('mediaPresentationDuration="PT10.000S"', 'mediaPresentationDuration="PT30.000S"'),
            "dash-duration-mismatch",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_each_broken_rule_is_reported_by_its_check(edit, expected):
    report = verify_dash(dash_store(edit))
    assert expected in checks(report), report.summary()
    assert not report.ok


def test_a_timeline_that_is_not_wall_clock_cannot_be_checked_against_the_window():
    store = dash_store(edit_mpd('<S t="161614764000000"', '<S t="0"'))
    report = verify_dash(store)
    (warning,) = defects(report, "dash-not-wall-clock")
    assert warning.severity == "warning" and "window was not checked" in warning.message


def test_the_window_is_checked_on_the_timeline():
    late = verify_dash(dash_store(), window=(T0.subtract(seconds=5), T0.add(seconds=9)))
    assert "window-start-late" in checks(late)
    early = verify_dash(dash_store(), window=(T0.add(seconds=1), T0.add(seconds=15)))
    assert "window-end-early" in checks(early)


def test_companion_manifests_of_the_same_harvest_are_not_leftovers():
    def with_hls(objects: dict) -> None:
        objects[PREFIX + "index.m3u8"] = (b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nindex_1.m3u8\n", None)
        objects[PREFIX + "index_1.m3u8"] = (b"#EXTM3U\n", None)

    alone = verify_dash(dash_store(with_hls), segments="listing")
    assert "unreferenced-object" in checks(alone)
    together = verify_dash(dash_store(with_hls), segments="listing", companions=[PREFIX + "index.m3u8"])
    assert "unreferenced-object" not in checks(together), together.summary()
    assert together.ok


def test_the_manifest_is_read_once_and_nothing_outside_the_prefix():
    store = dash_store()
    verify_dash(store, segments="listing")
    assert store.listed == [PREFIX] and store.fetched == [MPD]
