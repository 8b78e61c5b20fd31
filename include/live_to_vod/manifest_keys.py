"""Where an asset lands in S3: the manifest key template, its placeholders, and the key of each
output of an event.

Pure domain module.

The template (``manifest_key`` of a run or a schedule entry, default
``LIVE_TO_VOD_MANIFEST_KEY_TEMPLATE``) may use ``{event_id}``, ``{date}`` (the event's UTC start
date, ``YYYY-MM-DD``) and ``{origin_endpoint_id}``. Rendered for an event it gives the event's
*template key* (e.g. ``nfl-wk12/index.m3u8``): its folder is the event's prefix, its file name
the name every parent manifest gets. Outputs go in folders under the prefix:

===========================  ====================================  ==================================================
output                       one endpoint                          several endpoints (a folder per endpoint id)
===========================  ====================================  ==================================================
whole event (<= 24 h)        ``nfl-wk12/index.m3u8`` (unchanged)   ``nfl-wk12/<endpoint>/index.m3u8``
part N of a longer event     ``nfl-wk12/part-0N/index.m3u8``       ``nfl-wk12/<endpoint>/part-0N/index.m3u8``
clip ``<name>``              ``nfl-wk12/clips/<name>/index.m3u8``  ``nfl-wk12/<endpoint>/clips/<name>/index.m3u8``
===========================  ====================================  ==================================================

With one endpoint there is no endpoint folder, so a single-endpoint event without clips or
parts lands exactly at its template key, as a manual run does. Every output sits under the
event's prefix; a whole-event asset's prefix therefore also holds its ``clips/`` folders.
"""

from __future__ import annotations

import string
from datetime import datetime

from live_to_vod.field_rules import endpoint_ref_problem
from live_to_vod.naming import output_folders
from live_to_vod.text import show

__all__ = ["PLACEHOLDERS", "TemplateError", "asset_prefix", "output_manifest_key", "render_manifest_key"]

PLACEHOLDERS = ("event_id", "date", "origin_endpoint_id")
_ALLOWED = "{event_id}, {date} and {origin_endpoint_id}"


class TemplateError(ValueError):
    """The template cannot be rendered; ``str()`` says why, to follow "template '...' "."""


def _pieces(template: str) -> list[tuple[str, str]]:
    """[(literal text, placeholder name or "")] of ``template``; raises :class:`TemplateError`."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as err:
        raise TemplateError(f"has unbalanced braces ({err}); placeholders are {_ALLOWED}") from None
    pieces, bad = [], []
    for literal, name, spec, conversion in parsed:
        if name is None:
            pieces.append((literal, ""))
        elif name in PLACEHOLDERS and not spec and conversion is None:
            pieces.append((literal, name))
        else:
            # Rebuild what was written, so the message shows the placeholder as the user typed it.
            written = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            bad.append(show(written))
    if bad:
        more = " and more" if len(bad) > 5 else ""
        raise TemplateError(f"uses unknown placeholder {', '.join(bad[:5])}{more}; only {_ALLOWED} are available")
    return pieces


def render_manifest_key(
    template: str, *, event_id: str | None, origin_endpoint_id: str | None, start: datetime | None
) -> str | None:
    """The template rendered for one event and endpoint (``start`` in UTC gives ``{date}``);
    None when a placeholder the template uses has no value (None: that field is invalid).

    Raises :class:`TemplateError` for unbalanced braces or an unknown placeholder. The result is
    not checked here: :func:`live_to_vod.field_rules.manifest_key_problems` does that.
    """
    pieces = _pieces(template)
    values = {
        "event_id": event_id,
        "origin_endpoint_id": origin_endpoint_id,
        "date": f"{start.year:04d}-{start.month:02d}-{start.day:02d}" if start is not None else None,
    }
    if any(values[name] is None for _, name in pieces if name):
        return None
    return "".join(literal + (values[name] or "" if name else "") for literal, name in pieces)


def output_manifest_key(template_key: str, *, endpoint: str | None, output: str) -> str:
    """Where ``output`` of an event lands: the template key's folder, then ``endpoint/`` (when
    given: events with several endpoints), then the output's folders, then the template key's
    file name (see the module docstring).

    ``output_manifest_key("nfl-wk12/index.m3u8", endpoint=None, output="part-02")``
    -> ``"nfl-wk12/part-02/index.m3u8"``. Raises ``ValueError`` for an unknown output, an
    endpoint id that is not one, or a template key without a file name.
    """
    folder, _, basename = template_key.rpartition("/")
    if not basename:
        raise ValueError(f"the manifest key {template_key[:80]!r} names no manifest file")
    pieces = [folder] if folder else []
    if endpoint is not None:
        # A v1 id, or a v2 ``group/channel/endpoint`` (three folders).
        if endpoint_ref_problem(endpoint) is not None:
            raise ValueError(f"{endpoint[:80]!r} is not an origin endpoint id")
        pieces.append(endpoint)
    pieces.extend(output_folders(output))
    pieces.append(basename)
    return "/".join(pieces)


def asset_prefix(manifest_key: str) -> str:
    """The folder an asset's objects are under: ``a/b/`` for ``a/b/index.m3u8``, ``""`` at the root."""
    return manifest_key.rsplit("/", 1)[0] + "/" if "/" in manifest_key else ""
