"""The verification check (``live_to_vod.verification``) that names each asset damage the stack injects
(``devstack.faults.DAMAGES``).

A segment cut to its first 1,000 bytes still decodes to one frame (``segment-duration``), unless it
is the first of the encoder's cycle, whose first frame carries x264's SEI: then not even that frame
is whole (``decode``). Which segment a harvest's middle one is depends on the time of day."""

DEFECT = {
    "missing_segment": "missing-segment",
    "truncated_child": "truncated-playlist",
    "missing_endlist": "no-endlist",
    "gap": "gap",
    "zero_byte_segment": "zero-byte-segment",
    "missing_rendition": "missing-rendition",
    "truncated_segment": ("segment-duration", "decode"),
    "foreign_segment": "segment-streams",
    "garbage_segment": "sync-byte",
}


def defect_named(damage: str, checks: set[str]) -> str | None:
    """The check among ``checks`` that names ``damage``, if one does."""
    wanted = DEFECT[damage]
    return next((c for c in ((wanted,) if isinstance(wanted, str) else wanted) if c in checks), None)
