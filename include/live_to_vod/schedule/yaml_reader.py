"""Schedule YAML text to Python values: libyaml parses, this module builds the values.

Pure domain module; PyYAML is its one library. libyaml, the C parser PyYAML ships in its wheels,
does all of YAML's syntax (scanning, indentation, quoting and escapes, flow and block
collections, block scalars, anchors, directives) and reports syntax errors with line and
column. :func:`read_yaml` walks libyaml's event stream and builds dicts, lists and scalars
typed as PyYAML's safe loader types them (YAML 1.1: ``yes`` is true, ``012`` is octal,
``~`` is null, ``!!str 5`` is "5"), except that timestamps and ``1:30``-style sexagesimal
numbers stay text: the schedule reads times with its zone rules, and refuses ``1:30`` as a
duration rather than reading it as 90.

Why not ``yaml.load``: PyYAML's loader builds a node and two marks per value and resolves
tags in Python. A 10,000-event schedule (40,000 lines) takes it 0.6 s with the C loader and
0.95 s with repeated-key detection; libyaml's events alone take 0.1 s, and this module builds
the values from them in 0.03 to 0.04 s more (``bench/dag_parse_schedule.py`` times it).

Stricter than ``yaml.load``: a key given twice in a mapping is recorded with its line
(:meth:`YamlDocument.repeated_keys`) instead of silently keeping the last value. Refused with
a :class:`YamlError` naming the line, like ``yaml.safe_load`` refuses them: more than one
document, a duplicate or undefined anchor, an unhashable key (``? [a, b]``), an unknown or
unsafe tag (``!!python/object``), a tag on the wrong kind of node (``!!str [a]``), a value
its tag cannot read (``!!int abc``), a bare ``<<`` or ``=`` as a value.

Merge keys (``<<: *base``) follow the YAML merge-key spec: the mapping's own keys win, then the
earlier of several merged mappings. That is what PyYAML did until 6.0.3; 6.0.4 drops merged
pairs by the ``id()`` of their key text, so which duplicate wins there depends on CPython's
string interning. A merge takes a mapping or a list of mappings; a tagged collection
(``!!set``, ``!!omap``) or a mapping the merge sits inside is refused (PyYAML would merge
those in an order that depends on how far the nodes are nested).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from live_to_vod.text import clip, show

__all__ = ["YamlDocument", "YamlError", "quote_hint", "read_yaml"]

_T = "tag:yaml.org,2002:"
_STR, _TIMESTAMP, _INT, _FLOAT = _T + "str", _T + "timestamp", _T + "int", _T + "float"
_MAP, _SET, _SEQ, _OMAP, _PAIRS = _T + "map", _T + "set", _T + "seq", _T + "omap", _T + "pairs"
_MERGE, _VALUE = _T + "merge", _T + "value"

# libyaml when PyYAML has it (its wheels do); the pure-Python parser gives the same events, slower.
_PARSER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = Resolver()  # the safe loader's implicit types of plain scalars
_SAFE = SafeConstructor()  # the safe loader's readers of tagged scalars
_SCALAR_READERS: dict[str, Callable[[ScalarNode], Any]] = {
    _T + "null": _SAFE.construct_yaml_null,
    _T + "bool": _SAFE.construct_yaml_bool,
    _INT: _SAFE.construct_yaml_int,
    _FLOAT: _SAFE.construct_yaml_float,
    _T + "binary": _SAFE.construct_yaml_binary,
}
_KNOWN_TAGS = frozenset((*_SCALAR_READERS, _STR, _TIMESTAMP, _MAP, _SET, _SEQ, _OMAP, _PAIRS, _MERGE, _VALUE))
# First characters of the plain scalars the resolver may type as something other than text.
_TYPED_FIRST = frozenset(key for key in Resolver.yaml_implicit_resolvers if key)

# Frame kinds: what the collection being built is. A frame is a list, for speed:
# sequences [kind, items, tag, start line]; mappings [kind, dict, pending key, its event,
# merges (the pairs, for a _PAIR), tag, start line, repeats (lines from 1), result].
_LIST, _PAIR_LIST, _MAPPING, _PAIR = 0, 1, 2, 3
_NO_KEY = object()


class _Special:
    """A ``<<`` (merge) or ``=`` (value) scalar: meaningful as a mapping key, refused as a value."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


_MERGE_KEY, _VALUE_KEY = _Special("<<"), _Special("=")


class YamlError(ValueError):
    """Text that is not a YAML document the schedule can read; ``str()`` says why, and where."""


Repeats = dict[int, tuple[dict[Any, Any], list[tuple[Any, int]]]]
#: Where a problem is: a parser event (its start line), or a line number counted from 0.
_At = Any


class YamlDocument(NamedTuple):
    """The document's ``value`` (None for an empty one), and the keys given twice in its mappings."""

    value: Any
    #: ``id(mapping) -> (mapping, [(key, line), ...])``: the mapping is held so that its id is
    #: never reused by another while this document lives.
    repeats: Repeats

    def repeated_keys(self, mapping: object) -> list[tuple[Any, int]]:
        """``(key, line)`` of each repetition of a key in ``mapping`` (lines from 1), in order."""
        found = self.repeats.get(id(mapping))
        return found[1] if found is not None and found[0] is mapping else []


def read_yaml(text: str) -> YamlDocument:
    """The one YAML document in ``text``; raises :class:`YamlError` for anything else."""
    try:
        parser = _PARSER(text)
    except UnicodeEncodeError as err:  # lone surrogates cannot be UTF-8, which libyaml reads
        raise YamlError(f"holds a character that is not valid text ({err.reason})") from None
    try:
        return _Builder(parser.get_event).document()
    except yaml.MarkedYAMLError as err:
        raise YamlError(_describe(err)) from None
    except yaml.YAMLError as err:
        raise YamlError(clip(str(err), 300)) from None
    finally:
        parser.dispose()


def quote_hint(value: object) -> str:
    """What to add to "must be text, got ..." when YAML typed a value someone meant as text."""
    if isinstance(value, bool) or value is None:
        return " (YAML reads yes/no/on/off/true/false/null as special values: put the text in quotes)"
    if isinstance(value, int | float):
        return " (put it in quotes to make it text)"
    return ""


def _describe(err: yaml.MarkedYAMLError) -> str:
    mark = err.problem_mark
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    context = f" ({err.context})" if err.context else ""
    return clip(f"{err.problem or err}{where}{context}", 300)


def _fail(message: str, at: _At) -> YamlError:
    """``message`` at the line of ``at``."""
    line = at if isinstance(at, int) else at.start_mark.line
    return YamlError(f"{message} at line {line + 1}")


class _Builder:
    def __init__(self, get_event: Callable[[], Any]) -> None:
        self.get_event = get_event
        self.anchors: dict[str, Any] = {}
        self.anchor_lines: dict[str, int] = {}
        self.repeats: Repeats = {}

    def document(self) -> YamlDocument:
        get = self.get_event
        get()  # StreamStart
        event = get()
        if event.__class__ is StreamEndEvent:
            return YamlDocument(None, self.repeats)
        value = self.node()
        get()  # DocumentEnd
        event = get()
        if event.__class__ is not StreamEndEvent:
            raise _fail("expected a single document in the stream, but found another document", event)
        return YamlDocument(value, self.repeats)

    def node(self) -> Any:  # one loop over the events: the hot path
        """The next node's value: a scalar, an alias, or a collection built to its end event."""
        get = self.get_event
        stack: list[list[Any]] = []
        while True:
            event = get()
            cls = event.__class__
            if cls is ScalarEvent:
                tag, text = event.tag, event.value
                if tag is None or tag == "!":
                    if not event.implicit[0] or (text and text[0] not in _TYPED_FIRST):
                        value = text  # quoted, block, or plain text no resolver types
                    elif text[4:5] == "-" and text[:4].isdigit():
                        value = text  # a date or time: no int, float, bool or null pattern allows "dddd-"
                    else:
                        value = _plain(text, event)
                else:
                    value = _tagged_scalar(tag, text, event)
                if event.anchor is not None:
                    self.anchor(event, value)
            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                stack.append(self.start(event, stack[-1][0] if stack else _LIST))
                continue
            elif cls is MappingEndEvent:
                value = self.end_mapping(stack.pop(), stack)
            elif cls is SequenceEndEvent:
                value = self.end_sequence(stack.pop())
            elif cls is AliasEvent:
                value = self.alias(event)
            else:  # the parser never sends anything else inside a document
                raise _fail(f"unexpected {cls.__name__}", event)
            if not stack:
                if value.__class__ is _Special:
                    raise _special_value(value, event)
                return value
            frame = stack[-1]
            kind = frame[0]
            if kind == _MAPPING or kind == _PAIR:
                key = frame[2]
                if key is _NO_KEY:
                    frame[2], frame[3] = value, event
                elif kind == _MAPPING and key.__class__ is str and value.__class__ is not _Special:
                    data = frame[1]  # the common case, inline: a text key, a plain value
                    if key in data:
                        self.put(frame, value, event)
                    else:
                        data[key] = value
                        frame[2] = _NO_KEY
                else:
                    self.put(frame, value, event)
            elif value.__class__ is _Special:
                raise _special_value(value, event)
            elif kind == _LIST:
                frame[1].append(value)
            elif cls is MappingEndEvent:  # an item of an !!omap or !!pairs list, as a pair
                frame[1].append(value)
            else:  # anything else there must be an alias to a mapping of one pair
                frame[1].append(_alias_pair(value, self.repeats, event))

    # ----------------------------------------------------------------- collections

    def start(self, event: Any, parent_kind: int) -> list[Any]:
        """A new frame for a collection starting at ``event`` (inside a ``parent_kind`` frame)."""
        line = event.start_mark.line
        tag = event.tag if event.tag != "!" else None
        if event.__class__ is SequenceStartEvent:
            kind = _PAIR_LIST if tag == _OMAP or tag == _PAIRS else _LIST
            frame = [kind, [], tag, line]
            result: Any = frame[1]
        else:
            kind = _PAIR if parent_kind == _PAIR_LIST else _MAPPING
            frame = [kind, {}, _NO_KEY, 0, None, tag, line, None, None]
            result = set() if tag == _SET else frame[1]
            frame[8] = result
        if event.anchor is not None:
            self.anchor(event, result)
        return frame

    def put(self, frame: list[Any], value: Any, value_event: Any) -> None:
        """Add the pair (pending key, ``value``) to a mapping frame."""
        key, key_event = frame[2], frame[3]
        frame[2] = _NO_KEY
        if value.__class__ is _Special:
            raise _special_value(value, value_event)
        if frame[0] == _PAIR:
            frame[4] = [*(frame[4] or ()), (key, value, key_event.start_mark.line)]
            return
        if key is _MERGE_KEY:
            if frame[4] is None:
                frame[4] = []
            frame[4].append((value, key_event.start_mark.line))
            return
        if key is _VALUE_KEY:
            key = "="
        data = frame[1]
        try:
            repeated = key in data
        except TypeError:
            raise _fail(f"found unhashable key ({show(key)})", key_event) from None
        if repeated:
            if frame[7] is None:
                frame[7] = []
            frame[7].append((key, key_event.start_mark.line + 1))
        data[key] = value

    def end_mapping(self, frame: list[Any], stack: list[list[Any]]) -> Any:
        kind, data, _, _, merges, tag, line, repeats, result = frame
        if kind == _PAIR:  # an item of an !!omap or !!pairs list
            pairs = merges or []
            if len(pairs) != 1:
                raise _fail(f"expected a mapping of length 1 in an ordered mapping or pairs, found {len(pairs)}", line)
            key, value, key_line = pairs[0]
            if key.__class__ is _Special:
                raise _special_value(key, key_line)
            try:  # its anchor names it as a mapping, should an alias use it
                data[key] = value
            except TypeError:
                pass
            return (key, value)
        if tag is not None and tag != _MAP and tag != _SET:
            raise _wrong_tag(tag, "mapping", line)
        if merges:
            _merge(data, merges, stack)
        if result is not data:  # !!set: the keys
            result.update(data)
            return result
        if repeats:
            self.repeats[id(data)] = (data, repeats)
        return data

    def end_sequence(self, frame: list[Any]) -> list[Any]:
        _, items, tag, line = frame
        if tag is not None and tag != _SEQ and tag != _OMAP and tag != _PAIRS:
            raise _wrong_tag(tag, "sequence", line)
        return items

    # ----------------------------------------------------------------- anchors

    def anchor(self, event: Any, value: Any) -> None:
        name, line = event.anchor, event.start_mark.line
        if name in self.anchors:
            raise _fail(f"found duplicate anchor &{clip(name, 40)} (first at line {self.anchor_lines[name] + 1})", line)
        self.anchors[name] = value
        self.anchor_lines[name] = line

    def alias(self, event: Any) -> Any:
        try:
            return self.anchors[event.anchor]
        except KeyError:
            raise _fail(f"found undefined alias *{clip(event.anchor, 40)}", event) from None


def _plain(text: str, at: _At) -> Any:
    """A plain scalar, typed by the safe loader's resolver (timestamps stay text)."""
    tag = _RESOLVER.resolve(ScalarNode, text, (True, False))
    if tag == _STR:
        return text
    return _tagged_scalar(tag, text, at)


def _tagged_scalar(tag: str, text: str, at: _At) -> Any:
    """A scalar with an explicit (or resolved) tag, read as the safe loader reads it."""
    if tag == _STR or tag == _TIMESTAMP:
        return text
    if (tag == _INT or tag == _FLOAT) and ":" in text:
        return text  # sexagesimal (1:30): text, refused where a number or duration is expected
    if tag == _MERGE:
        return _MERGE_KEY
    if tag == _VALUE:
        return _VALUE_KEY
    reader = _SCALAR_READERS.get(tag)
    if reader is None:
        raise _wrong_tag(tag, "scalar", at)
    try:
        return reader(ScalarNode(tag, text))
    except Exception:  # int(), float(), base64 and the bool table each raise their own
        raise _fail(f"{show(text)} cannot be read as {tag.removeprefix(_T)}", at) from None


def _wrong_tag(tag: str, kind: str, at: _At) -> YamlError:
    if tag in _KNOWN_TAGS:
        return _fail(f"the tag {show(tag)} cannot be given to a {kind}", at)
    return _fail(f"the tag {show(tag)} is unknown or unsafe; a schedule uses only YAML's standard tags", at)


def _special_value(value: _Special, at: _At) -> YamlError:
    return _fail(f"{value.text!r} is only meaningful as a mapping key; put it in quotes to mean the text", at)


def _alias_pair(value: Any, repeats: Repeats, at: _At) -> tuple[Any, Any]:
    """An alias used as an item of an !!omap or !!pairs list: its mapping's one pair."""
    if type(value) is not dict or len(value) != 1 or (id(value) in repeats and repeats[id(value)][0] is value):
        raise _fail("expected a mapping of length 1 in an ordered mapping or pairs", at)
    return next(iter(value.items()))


def _merge(data: dict[Any, Any], merges: list[tuple[Any, int]], stack: list[list[Any]]) -> None:
    """Put the merged mappings' pairs under ``data``'s own (the YAML merge-key spec)."""
    merged: dict[Any, Any] = {}
    for value, key_line in merges:
        if value is data or any(frame[1] is value for frame in stack):
            raise _fail("a merge key (<<) cannot merge a mapping or list it is inside of", key_line)
        sources = reversed(value) if type(value) is list else (value,)  # the first listed wins
        for source in sources:
            if type(source) is not dict:
                raise _fail("a merge key (<<) takes a mapping or a list of mappings", key_line)
            if source is data or any(frame[1] is source for frame in stack):
                raise _fail("a merge key (<<) cannot merge a mapping or list it is inside of", key_line)
            merged.update(source)
    merged.update(data)
    data.clear()
    data.update(merged)
