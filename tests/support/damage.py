"""The verification check (``live_to_vod.verification``) that names each asset damage the stack injects
(``devstack.faults.DAMAGES``)."""

DEFECT = {
    "missing_segment": "missing-segment",
    "truncated_child": "truncated-playlist",
    "missing_endlist": "no-endlist",
    "gap": "gap",
    "zero_byte_segment": "zero-byte-segment",
    "missing_rendition": "missing-rendition",
    "truncated_segment": "segment-duration",
    "foreign_segment": "segment-streams",
    "garbage_segment": "sync-byte",
}
