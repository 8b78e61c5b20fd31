"""The oracle the YAML reader is compared with: PyYAML's full safe loader (libyaml's C loader)
with the constructors the schedule used before the reader replaced it.

Those constructors keep timestamps and ``1:30``-style numbers as text and record the keys
given twice in a mapping. Merge keys use PyYAML 6.0.3's rule (the YAML merge-key spec): 6.0.4
drops merged pairs by the ``id()`` of their key's text, so with it which duplicate wins depends
on CPython's string interning (``{<<: [{a: 1}, {a: 2}]}`` gives 1, the same with ``ab`` gives 2).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from live_to_vod.schedule.yaml_reader import YamlDocument

__all__ = ["canonical", "canonical_document", "canonical_oracle", "oracle_load"]

# id(mapping) -> (mapping, [key, ...]): the keys given more than once, as the old loader kept them.
Duplicates = dict[int, tuple[dict[Any, Any], list[Any]]]


class _Loader(yaml.CSafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicate_keys: Duplicates = {}

    def flatten_mapping(self, node: MappingNode) -> None:
        """PyYAML 6.0.3's: merged mappings first (the first of a list winning), own keys last."""
        merge: list[Any] = []
        index = 0
        while index < len(node.value):
            key_node, value_node = node.value[index]
            if key_node.tag == "tag:yaml.org,2002:merge":
                del node.value[index]
                if isinstance(value_node, MappingNode):
                    self.flatten_mapping(value_node)
                    merge.extend(value_node.value)
                elif isinstance(value_node, SequenceNode):
                    submerge = []
                    for subnode in value_node.value:
                        if not isinstance(subnode, MappingNode):
                            raise ConstructorError(
                                "while constructing a mapping",
                                node.start_mark,
                                f"expected a mapping for merging, but found {subnode.id}",
                                subnode.start_mark,
                            )
                        self.flatten_mapping(subnode)
                        submerge.append(subnode.value)
                    for value in reversed(submerge):
                        merge.extend(value)
                else:
                    raise ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"expected a mapping or list of mappings for merging, but found {value_node.id}",
                        value_node.start_mark,
                    )
            elif key_node.tag == "tag:yaml.org,2002:value":
                key_node.tag = "tag:yaml.org,2002:str"
                index += 1
            else:
                index += 1
        if merge:
            node.value = merge + node.value


def _construct_text(loader: _Loader, node: ScalarNode) -> str:
    return loader.construct_scalar(node)


def _construct_int(loader: _Loader, node: ScalarNode) -> Any:
    if ":" in node.value:
        return loader.construct_scalar(node)
    return loader.construct_yaml_int(node)


def _construct_float(loader: _Loader, node: ScalarNode) -> Any:
    if ":" in node.value:
        return loader.construct_scalar(node)
    return loader.construct_yaml_float(node)


def _construct_map(loader: _Loader, node: MappingNode) -> Iterator[dict[Any, Any]]:
    data: dict[Any, Any] = {}
    yield data
    own = node.value  # construct_mapping deletes merge (<<) keys from this list in place
    value = loader.construct_mapping(node)
    data.update(value)
    if len(own) > 1:
        keys = [loader.construct_object(key_node) for key_node, _ in own]  # already built: cached
        if len(set(keys)) < len(keys):  # equal as dict keys (on and yes are both True)
            seen: set[Any] = set()
            repeated = []
            for key in keys:
                if key in seen:
                    repeated.append(key)
                seen.add(key)
            loader.duplicate_keys[id(data)] = (data, repeated)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_text)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)


def oracle_load(text: str) -> tuple[Any, Duplicates]:
    """``(data, duplicate_keys)`` as the old loader read ``text``; raises whatever PyYAML raises."""
    loader = _Loader(text)
    try:
        return loader.get_single_data(), loader.duplicate_keys
    finally:
        loader.dispose()


def canonical(value: Any, repeated: Callable[[dict[Any, Any]], list[Any]], path: tuple[int, ...] = ()) -> Any:
    """``value`` as nested tuples naming every type (so ``1``, ``1.0`` and ``True`` differ), with
    each mapping's ``repeated(mapping)`` keys; a value inside itself is ``("loop", depth)``."""
    if id(value) in path:
        return ("loop", path.index(id(value)))
    kind = type(value)
    if kind in (dict, list, tuple):
        path = (*path, id(value))
    if kind is dict:
        items = tuple((canonical(k, repeated, path), canonical(v, repeated, path)) for k, v in value.items())
        return ("map", items, tuple(canonical(k, repeated, path) for k in repeated(value)))
    if kind is list or kind is tuple:
        return (kind.__name__, tuple(canonical(v, repeated, path) for v in value))
    if kind is set:
        return ("set", frozenset(canonical(v, repeated, path) for v in value))
    if kind is float and value != value:
        return ("float", "nan")
    return (kind.__name__, value)


def canonical_document(document: YamlDocument) -> Any:
    return canonical(document.value, lambda m: [key for key, _ in document.repeated_keys(m)])


def canonical_oracle(loaded: tuple[Any, Duplicates]) -> Any:
    data, duplicates = loaded

    def repeated(mapping: dict[Any, Any]) -> list[Any]:
        found = duplicates.get(id(mapping))
        return found[1] if found is not None and found[0] is mapping else []

    return canonical(data, repeated)
