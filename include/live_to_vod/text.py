"""Untrusted values in messages: shown short, escaped, and never raising.

Pure domain module. Everything the pipeline reports about input it did not write (trigger
confs, schedule YAML, playlists, notifications, AWS responses) goes through one of these, so a
huge, binary or control-character value cannot flood a log or forge a line in it.
"""

from __future__ import annotations

__all__ = ["clip", "show", "type_name"]

#: How much of a value a message shows.
SHOW_LIMIT = 80

_TYPE_NAMES = {dict: "a mapping", list: "a list", str: "text", type(None): "nothing (null)"}


def show(value: object, limit: int = SHOW_LIMIT) -> str:
    """A field's value as a message shows it: text quoted (``'abc'``), anything else with its
    type (``int 7``, ``a list ['a']``); clipped to about ``limit`` characters, escaped."""
    if isinstance(value, str):
        shown = repr(value[:limit])
        return shown if len(value) <= limit else f"{shown}... ({len(value)} characters)"
    try:
        text = repr(value)
    except Exception:  # e.g. an int too long to convert to text
        return f"{type_name(value)} (too large to show)"
    if len(text) > limit:
        text = text[:limit] + "..."
    return f"{type_name(value)} {text}"


def clip(value: object, limit: int = 120) -> str:
    """Untrusted text inside a sentence, unquoted: clipped to ``limit`` characters (saying how
    long it was), and escaped when it holds anything unprintable."""
    try:
        text = value if isinstance(value, str) else str(value)
    except Exception:  # e.g. an int too long to convert to text
        return f"{type_name(value)} (too large to show)"
    if len(text) > limit:
        text = text[:limit] + f"... ({len(text)} characters)"
    return text if text.isprintable() else repr(text)[1:-1]


def type_name(value: object) -> str:
    """What a YAML or JSON reader would call the value's type, in words."""
    return _TYPE_NAMES.get(type(value), type(value).__name__)
