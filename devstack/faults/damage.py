"""Damage to a harvested asset in S3, as a ``harvest_damage`` rule orders: the defects verify must catch."""

from __future__ import annotations

import posixpath
import random

import m3u8

from devstack.aws import Sibling
from devstack.content_types import HLS_CONTENT_TYPE, TS_CONTENT_TYPE
from devstack.harvest import asset_layout


def damage_asset(sibling: Sibling, bucket: str, manifest_key: str, damage: str) -> str:
    """Damage a written asset in place (its first rendition, middle segment); returns the key touched."""
    prefix, _ = asset_layout(manifest_key)
    parent = m3u8.loads(_read(sibling, bucket, manifest_key))
    children = list(dict.fromkeys([p.uri for p in parent.playlists] + [m.uri for m in parent.media if m.uri]))
    if damage == "missing_rendition":
        key = prefix + children[-1]
        sibling.delete_object(bucket, key)
        return key
    child_key = prefix + children[0]
    text = _read(sibling, bucket, child_key)
    child = m3u8.loads(text)
    index = max(1, len(child.segments) // 2) if len(child.segments) > 1 else 0
    segment = child.segments[index]
    segment_key = posixpath.join(posixpath.dirname(child_key), segment.uri)
    if damage == "missing_segment":
        sibling.delete_object(bucket, segment_key)
        return segment_key
    if damage == "zero_byte_segment":
        sibling.put_object(bucket, segment_key, b"", TS_CONTENT_TYPE)
        return segment_key
    if damage in SEGMENT_DAMAGES:
        body = _damaged_segment(sibling, bucket, prefix, children, index, segment_key, damage)
        sibling.put_object(bucket, segment_key, body, TS_CONTENT_TYPE)
        return segment_key
    if damage == "truncated_child":
        cut = text[: len(text) // 2].rstrip("\n")
        sibling.put_object(bucket, child_key, cut.encode(), HLS_CONTENT_TYPE)
        return child_key
    if damage == "missing_endlist":
        cut = "".join(line for line in text.splitlines(keepends=True) if line.strip() != "#EXT-X-ENDLIST")
        sibling.put_object(bucket, child_key, cut.encode(), HLS_CONTENT_TYPE)
        return child_key
    if damage == "gap":
        # Leave out one segment and stamp the next with its true time: a PDT jump, no discontinuity.
        if index + 1 >= len(child.segments):
            raise ValueError("a gap needs at least three segments in the rendition")
        after = child.segments[index + 1]
        when = after.current_program_date_time.isoformat(timespec="milliseconds")
        lines = text.splitlines(keepends=True)
        out: list[str] = []
        pending: list[str] = []
        for line in lines:
            pending.append(line)
            if line.startswith("#"):
                continue
            if line.strip() == segment.uri:
                pending = []  # drop the segment's EXTINF and URI
                continue
            if line.strip() == after.uri:
                pending.insert(0, f"#EXT-X-PROGRAM-DATE-TIME:{when}\n")
            out.extend(pending)
            pending = []
        out.extend(pending)
        sibling.put_object(bucket, child_key, "".join(out).encode(), HLS_CONTENT_TYPE)
        sibling.delete_object(bucket, segment_key)
        return child_key
    raise ValueError(f"unknown damage {damage!r}")


#: Damage inside a segment's bytes, the kinds issue 12 names: cut to its first 1,000 bytes, the
#: same-numbered segment of another rendition, 200 KB of random bytes after a sync byte.
SEGMENT_DAMAGES = ("truncated_segment", "foreign_segment", "garbage_segment")


def _damaged_segment(
    sibling: Sibling, bucket: str, prefix: str, children: list[str], index: int, key: str, damage: str
) -> bytes:
    found = sibling.get_object(bucket, key)
    if found is None:
        raise FileNotFoundError(f"s3://{bucket}/{key}")
    if damage == "truncated_segment":
        return found[0][:1000]
    if damage == "garbage_segment":
        return b"\x47" + random.Random(key).randbytes(200 * 1024 - 1)
    if len(children) < 2:
        raise ValueError("a foreign segment needs a second rendition")
    other_key = prefix + children[1]
    other = m3u8.loads(_read(sibling, bucket, other_key))
    source = posixpath.join(posixpath.dirname(other_key), other.segments[index].uri)
    copied = sibling.get_object(bucket, source)
    if copied is None:
        raise FileNotFoundError(f"s3://{bucket}/{source}")
    return copied[0]


def _read(sibling: Sibling, bucket: str, key: str) -> str:
    found = sibling.get_object(bucket, key)
    if found is None:
        raise FileNotFoundError(f"s3://{bucket}/{key}")
    return found[0].decode()
