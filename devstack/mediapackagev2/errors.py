"""The errors MediaPackage v2 answers with, each carrying its modeled type member
(``ValidationExceptionType``, ``ConflictExceptionType``, ``ResourceTypeNotFound``)."""

from __future__ import annotations

import re

from devstack.restjson import ServiceError

__all__ = ["conflict", "missing", "validation"]


def validation(message: str, kind: str | None = None) -> ServiceError:
    """``kind`` is one of the model's ``ValidationExceptionType`` values; AWS sends none for some checks."""
    if kind is None:
        return ServiceError("ValidationException", message)
    return ServiceError("ValidationException", message, ValidationExceptionType=kind)


def conflict(message: str, kind: str) -> ServiceError:
    return ServiceError("ConflictException", message, ConflictExceptionType=kind)


_TYPES = {
    "ChannelGroup": "CHANNEL_GROUP",
    "Channel": "CHANNEL",
    "OriginEndpoint": "ORIGIN_ENDPOINT",
    "HarvestJob": "HARVEST_JOB",
}


def missing(kind: str, name: str) -> ServiceError:
    """Not found; ``ResourceTypeNotFound`` only for the kinds the model names (not policies or tags)."""
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", kind).lower()
    fields = {"ResourceTypeNotFound": _TYPES[kind]} if kind in _TYPES else {}
    return ServiceError("ResourceNotFoundException", f"{words} {name} does not exist", **fields)
