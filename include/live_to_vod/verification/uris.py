"""URI confinement (checklist rule HLS-13): a playlist URI becomes an object key inside the asset, or a defect.

Playlists are untrusted: a URI that is absolute, escapes the prefix (``..``, percent-encoded or
not), has a backslash or control characters, or carries a query string is reported and **never
fetched**. :func:`resolve` never touches the store.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from live_to_vod.verification import catalog
from live_to_vod.verification.catalog import Check

__all__ = ["basename", "dirname", "extension", "resolve"]

_SIMPLE_URI = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9._\-]*")

#: ``(key, None, None)`` for a URI inside the prefix, else ``(None, check, reason)``.
Resolved = tuple[str, None, None] | tuple[None, Check, str]


def basename(key: str) -> str:
    return key.rsplit("/", 1)[-1]


def dirname(key: str) -> str:
    """The key's "directory", with its trailing slash ("" at the bucket root)."""
    return key.rsplit("/", 1)[0] + "/" if "/" in key else ""


def extension(uri_or_key: str) -> str:
    """The lower-case extension (``.ts``) of the last path part, query aside; "" when there is none."""
    name = basename(uri_or_key.split("?", 1)[0])
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def _has_control_characters(text: str) -> bool:
    return any(ord(c) < 0x20 or ord(c) == 0x7F for c in text)


def resolve(base_dir: str, uri: str, prefix: str) -> Resolved:
    """Map a playlist URI, relative to ``base_dir``, to an object key inside ``prefix``.

    Returns ``(key, None, None)`` or ``(None, check, reason)``. Never touches the store.
    """
    if _SIMPLE_URI.fullmatch(uri):
        return base_dir + uri, None, None
    if not uri.strip():
        return None, catalog.URI_INVALID, "is empty"
    if _has_control_characters(uri):
        return None, catalog.URI_INVALID, "contains control characters"
    if "\\" in uri:
        return None, catalog.URI_INVALID, "contains a backslash"
    try:
        parts = urlsplit(uri)
    except ValueError as exc:
        return None, catalog.URI_INVALID, f"is not a valid URI ({exc})"
    if parts.scheme or parts.netloc or uri.startswith("//"):
        return None, catalog.URI_OUTSIDE_PREFIX, "is an absolute URL pointing outside the asset"
    if parts.query or parts.fragment or "?" in uri or "#" in uri:
        return None, catalog.URI_QUERY, "carries a query string or fragment (origin token?)"
    path = unquote(parts.path)
    if path.startswith("/"):
        return None, catalog.URI_OUTSIDE_PREFIX, "is an absolute path pointing outside the asset"
    if "\\" in path:
        return None, catalog.URI_INVALID, "contains a percent-encoded backslash"
    if _has_control_characters(path):
        return None, catalog.URI_INVALID, "contains percent-encoded control characters"
    if not path or path.endswith("/"):
        return None, catalog.URI_INVALID, "does not name an object"
    return _walk(base_dir, path, prefix)


def _walk(base_dir: str, path: str, prefix: str) -> Resolved:
    """Follow ``path``'s ``.`` and ``..`` parts from ``base_dir``, never above ``prefix``."""
    prefix_depth = prefix.count("/")
    stack = base_dir.split("/")[:-1]
    for part in path.split("/"):
        if part == ".":
            continue
        if part == "..":
            if len(stack) <= prefix_depth:
                return None, catalog.URI_OUTSIDE_PREFIX, f"climbs out of the asset prefix {prefix or '(bucket root)'}"
            stack.pop()
        else:
            stack.append(part)
    key = "/".join(stack)
    if not key.startswith(prefix):
        return None, catalog.URI_OUTSIDE_PREFIX, f"resolves to {key}, outside the asset prefix {prefix}"
    if path.rsplit("/", 1)[-1] in (".", ".."):
        return None, catalog.URI_INVALID, "names a directory, not an object"
    return key, None, None
