"""Tests for live_to_vod.schedule.yaml_reader: YAML text to values, as PyYAML's safe loader reads it.

The reader is compared with PyYAML's full loader (:mod:`.pyyaml_oracle`): on every generated
document they must both refuse it or read the same values (types, key order, repeated keys).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from live_to_vod.schedule.yaml_reader import YamlError, quote_hint, read_yaml
from tests.live_to_vod.schedule.helpers import FULL_EXAMPLE, big_schedule
from tests.live_to_vod.schedule.pyyaml_oracle import canonical_document, canonical_oracle, oracle_load

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"


def agrees_with_pyyaml(text: str) -> bool:
    """Assert the reader and the oracle agree on ``text``; True when they read it, False when both refuse it."""
    try:
        expected = oracle_load(text)
    except Exception as err:
        with pytest.raises(YamlError):
            document = read_yaml(text)
            pytest.fail(f"the reader accepted what PyYAML refuses ({err}): {document.value!r}\n{text}")
        return False
    try:
        document = read_yaml(text)
    except YamlError as err:
        pytest.fail(f"the reader refused what PyYAML reads ({err}):\n{text}")
    assert canonical_document(document) == canonical_oracle(expected), text
    return True


# ----------------------------------------------------------------------------- documents written by hand


def test_the_documented_layout_reads_as_pyyaml_reads_it():
    assert agrees_with_pyyaml(FULL_EXAMPLE)
    value = read_yaml(FULL_EXAMPLE).value
    assert value["defaults"] == {
        "padding_before": "5m",
        "padding_after": "15m",
        "destination": {"s3_bucket": "live-archive", "packaging_group_id": "vod-group"},
    }
    game = value["events"][0]
    assert game["start"] == "2026-11-26 20:15" and game["cancelled"] is False
    assert game["clips"][1]["end"] == "2026-11-27T05:31:00Z"


@pytest.mark.parametrize(
    "text",
    [
        "events:\n- id: a\n  clips:\n  - name: b\n",  # compact sequences
        "a: 'x' # c\nb: \"y\"\nc: [x, y] # c\nd:\ne: ~\nf: -5m\n",
        (EXAMPLES / "season-2026.yaml").read_text(encoding="utf-8"),
    ],
    ids=["compact-sequences", "quotes-flow-comments", "example-season"],
)
def test_common_layouts_read_as_pyyaml_reads_them(text):
    assert agrees_with_pyyaml(text)


def test_a_10000_event_schedule_reads_as_pyyaml_reads_it():
    assert agrees_with_pyyaml(big_schedule(10_000))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 2026-11-26 20:15:00", "2026-11-26 20:15:00"),  # PyYAML's safe loader: a datetime
        ("a: 2026-11-26", "2026-11-26"),  # a date
        ("a: 1:30", "1:30"),  # 90
        ("a: !!int 1:30", "1:30"),
        ("a: !!str 5", "5"),
        ("a: '5'", "5"),
        ("a: ! 5", 5),  # the non-specific tag: typed like a plain scalar (libyaml's reading)
        ("a: 012", 10),  # YAML 1.1 octal
        ("a: 0x1F", 31),
        ("a: 1_000", 1000),
        ("a: yes", True),
        ("a: Off", False),
        ("a: ~", None),
        ("a:", None),
        ("a: !!null anything", None),
        ("a: 1e3", "1e3"),  # YAML 1.1 floats need a dot
        ("a: 1.5e+3", 1500.0),
        ("a: !!binary aGk=", b"hi"),
        ("a: |\n  two\n  lines\n", "two\nlines\n"),
        ("a: !!set {x, y}", {"x", "y"}),
        ("a: !!omap [{x: 1}, {y: 2}]", [("x", 1), ("y", 2)]),
        ("a: !!pairs [{x: 1}, {x: 2}]", [("x", 1), ("x", 2)]),
        ("'=': 1\na: 2", 2),
    ],
)
def test_scalars_and_tags_are_typed_as_the_safe_loader_types_them(text, expected):
    assert agrees_with_pyyaml(text)
    assert read_yaml(text).value["a"] == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a: [1,\n", "line 2"),
        ("events:\n  - id: a\n - id: b\n", "line 3"),
        ("a: 1\n---\nb: 2\n", "a single document"),
        ("a: &x 1\nb: &x 2\n", "duplicate anchor &x (first at line 1) at line 2"),
        ("a: *nowhere\n", "undefined alias *nowhere at line 1"),
        ("? [a, b]\n: c\n", "unhashable key"),
        ("a: !!python/object:os.system []\n", "unknown or unsafe"),
        ("a: !local x\n", "unknown or unsafe"),
        ("a: !!str [x]\n", "cannot be given to a sequence"),
        ("a: !!set [x]\n", "cannot be given to a sequence"),
        ("a: !!omap {x: 1}\n", "cannot be given to a mapping"),
        ("a: !!int abc\n", "'abc' cannot be read as int"),
        ("a: !!bool maybe\n", "cannot be read as bool"),
        ("a: 0b_\n", "cannot be read as int"),
        ("a: <<\n", "only meaningful as a mapping key"),
        ("a: =\n", "only meaningful as a mapping key"),
        ("a: !!omap [{x: 1, y: 2}]\n", "a mapping of length 1"),
        ("a: !!omap [x]\n", "a mapping of length 1"),
        ("<<: x\n", "a mapping or a list of mappings"),
        ("<<: [{a: 1}, x]\n", "a mapping or a list of mappings"),
        ("a: [" * 1200 + "]" * 1200, "maximum nesting depth"),
    ],
)
def test_what_the_safe_loader_refuses_is_refused_with_the_line(text, words):
    with pytest.raises(Exception):  # noqa: B017  # whatever PyYAML raises
        oracle_load(text)
    with pytest.raises(YamlError) as refused:
        read_yaml(text)
    assert words in str(refused.value), str(refused.value)


def test_keys_given_twice_are_recorded_with_their_lines():
    text = "id: a\nstart: x\nid: b\nnested:\n  k: 1\n  k: 2\n  k: 3\non: 1\nyes: 2\n"
    assert agrees_with_pyyaml(text)
    document = read_yaml(text)
    assert document.value["id"] == "b"  # as YAML reads it: the last one
    assert document.repeated_keys(document.value) == [("id", 3), (True, 9)]  # on and yes are both true
    assert document.repeated_keys(document.value["nested"]) == [("k", 6), ("k", 7)]
    assert document.repeated_keys({"id": "b"}) == []  # an equal mapping is another mapping


def test_a_mapping_dropped_by_a_repeated_key_leaves_no_trace():
    text = "on:\n  on: x\n  yes: x\nyes:\n  id: x\nid:\n  id: x\n"
    assert agrees_with_pyyaml(text)
    document = read_yaml(text)
    assert document.value == {True: {"id": "x"}, "id": {"id": "x"}}
    assert document.repeated_keys(document.value) == [(True, 4)]
    assert document.repeated_keys(document.value[True]) == []


def test_anchors_and_aliases_share_one_value():
    text = "base: &b {endpoint: hls, padding_after: 5m}\nevents: [*b, *b]\nloop: &l [*l]\n"
    assert agrees_with_pyyaml(text)
    value = read_yaml(text).value
    assert value["events"][0] is value["events"][1] is value["base"]
    assert value["loop"][0] is value["loop"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("m: {<<: {a: 1, b: 2}, b: 3}", {"a": 1, "b": 3}),  # own keys win
        ("m: {<<: [{a: 1}, {a: 2, b: 2}]}", {"a": 1, "b": 2}),  # the first listed mapping wins
        ("m: {<<: [{ab: 1}, {ab: 2}]}", {"ab": 1}),  # whatever the length of the key
        ("m: {<<: {a: 1}, <<: {a: 2}}", {"a": 2}),  # two merge keys: the later wins
        ("x: &x {a: 1, a: 2}\nm: {<<: *x}", {"a": 2}),  # the merged mapping as it reads
        ("x: &x {a: 1}\nm: {<<: [*x, *x]}", {"a": 1}),
        ("x: &x {b: 2, <<: {a: 1}}\nm: {<<: *x, c: 3}", {"a": 1, "b": 2, "c": 3}),
        ("m: !!set {<<: {a: 1}, b: 2}", {"a", "b"}),
        ("m: {=: 1}", {"=": 1}),
    ],
)
def test_merge_keys_follow_the_merge_key_spec(text, expected):
    assert agrees_with_pyyaml(text)
    value = read_yaml(text).value["m"]
    assert value == expected
    if isinstance(value, dict):
        assert list(value) == list(expected)  # and the key order PyYAML gives


@pytest.mark.parametrize(
    "text",
    [
        "a: &m {x: 1, <<: *m}",  # a mapping merged into itself
        "a: &l [{x: 1}, {<<: *l}]",  # a list merged into one of its items
        "a: {<<: !!set {x}}",  # a tagged collection: PyYAML merges its node's pairs
        "a: {<<: !!omap [{x: 1}]}",
    ],
)
def test_merges_pyyaml_reads_in_a_nesting_dependent_way_are_refused(text):
    with pytest.raises(YamlError, match="merge key"):
        read_yaml(text)


def test_empty_documents_are_none():
    for text in ("", "# only a comment\n", "---\n", "--- # c\n...\n"):
        assert agrees_with_pyyaml(text)
        assert read_yaml(text).value is None


def test_windows_line_ends_and_a_byte_order_mark_are_fine():
    text = "\ufeff" + FULL_EXAMPLE.replace("\n", "\r\n")
    assert agrees_with_pyyaml(text)
    assert read_yaml(text).value == read_yaml(FULL_EXAMPLE).value


def test_text_that_is_not_valid_unicode_is_refused():
    with pytest.raises(YamlError, match="not valid text"):
        read_yaml("a: \ud800\n")


def test_quote_hints_name_what_yaml_made_of_the_value():
    assert "yes/no/on/off" in quote_hint(True) and "yes/no/on/off" in quote_hint(None)
    assert "in quotes" in quote_hint(12345) and "in quotes" in quote_hint(1.5)
    assert quote_hint([1]) == "" and quote_hint("x") == ""


# ----------------------------------------------------------------------------- the reader == PyYAML (Hypothesis)

_TOKENS = [
    "x", "nfl-wk12", "2026-11-26 20:15", "2026-11-26 20:15:00", "2026-11-26T20:15:00-05:00", "5m", "-5m",
    "90", "0", "-3", "+4", "012", "0x1F", "1_000", "1:30", "1.5", ".5", "1e3", "yes", "No", "ON", "off",
    "true", "False", "null", "~", "Null", "y", "n", "'quoted'", "'it''s'", '"dq"', '"esc\\tx"', "[a, b]",
    "[]", "[a, 1, yes]", "[a b]", "[a,]", "{a: b}", "{}", "{a: b, a: c}", "[a, [b]]", "a #c", "a#b",
    "a: b", "a:b", "arn:aws:iam::123456789012:role/x", "nfl/{event_id}/index.m3u8", "{event_id}/x", "-",
    "- x", "?", "? x", ":", ":x", "?x", "&a x", "*a", "!!str 5", "|", ">", "%x", "@x", "`x", ",x", "#",
    "x # y: z", "'a' # c", "'a' b", "[a] b", "[a] # c", "é", "日本", "a  b", "=", "<<", "x:", "a ]",
    "a [b]", "2026-13-45 99:99", "1:30:00", "0b101", "0o17", ".inf", ".NaN", "-.inf", "'", '"', "'a",
    "[a", "{a", "[a, 'b, c']", "['a]b', c]", "{a: [b, c]}", "a\tb", "Yes please", "on-air", "~x", "<<x",
    "! 5", "!!int 7", "!!int x", "!!float 1", "!!bool yes", "!!null x", "!!binary aGk=", "!!timestamp 5",
    "!!set {a, b}", "!!omap [{a: 1}]", "!!pairs [{a: 1}, {a: 2}]", "!!python/object:os.system x", "!local x",
    "&b {a: 1, a: 2}", "&b {k: 1}", "*b", "[*b, *b]", "{<<: *b, k: 2}", "&c [x]", "*c", "0b_", ".", "1.",
]  # fmt: skip
_SIMPLE_TOKENS = [
    "x", "nfl-wk12", "2026-11-26 20:15", "2026-11-26T20:15:00Z", "5m", "-5m", "90", "-3", "yes", "null",
    "'quoted'", '"dq"', "[a, b]", "[]", "[a, 1, yes]", "a #c", "a#b", "a:b", "arn:aws:iam::123456789012:role/x",
    "nfl/{event_id}/index.m3u8", "~", "on-air", "é", "日本", "a  b", "Yes please", "'a' # c",
]  # fmt: skip
_TREE_KEYS = ["id", "start", "end", "on", "yes", "null", "x-y", "_k", "Key", "k"]
_KEYS = ["id", "start", "end", "on", "yes", "null", "x-y", "_k", "Key", "a b", "'q'", "1", "<<", "-", "?", "k", "="]
# PyYAML merges a tagged collection by its node's pairs, which the reader refuses (see its docstring).
_MERGED_TAGGED = ("!!set", "!!omap", "!!pairs")


def _assume_no_merge_of_a_tagged_collection(text: str) -> None:
    assume(not ("<<" in text and any(tag in text for tag in _MERGED_TAGGED)))


@st.composite
def _yaml_lines(draw):
    lines = []
    for _ in range(draw(st.integers(1, 12))):
        indent = " " * draw(st.sampled_from([0, 0, 2, 2, 4, 4, 6, 1, 3]))
        key, value = draw(st.sampled_from(_KEYS)), draw(st.sampled_from(_TOKENS))
        shape = draw(st.integers(0, 8))
        line = [
            f"{key}:",
            f"{key}: {value}",
            f"- {value}",
            f"- {key}: {value}",
            f"- {key}:",
            "# comment",
            "",
            f"{key}:  {value}   # note",
            f"-   {key}: {value}",
        ][shape]
        lines.append(indent + line)
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))


@st.composite
def _yaml_trees(draw):
    """Well-formed block YAML of random shape (so that most documents are read, not refused)."""
    lines: list[str] = []

    step = draw(st.sampled_from([2, 4]))

    def emit(node, indent, compact):
        pad = " " * indent
        if isinstance(node, dict):
            for k, v in node.items():
                if isinstance(v, dict | list):
                    lines.append(f"{pad}{k}:")
                    emit(v, indent if isinstance(v, list) and compact else indent + step, compact)
                else:
                    lines.append(f"{pad}{k}: {v}")
            return
        for item in node:
            if isinstance(item, dict):
                (k, v), *rest = item.items()
                if isinstance(v, dict | list):
                    lines.append(f"{pad}- {k}:")
                    emit(v, indent + 2 if isinstance(v, list) and compact else indent + 4, compact)
                else:
                    lines.append(f"{pad}- {k}: {v}")
                if rest:
                    emit(dict(rest), indent + 2, compact)
            elif isinstance(item, list):
                lines.append(f"{pad}- []")
            else:
                lines.append(f"{pad}- {item}")

    scalar = st.sampled_from(_SIMPLE_TOKENS) | st.sampled_from(_TOKENS)
    tree = draw(
        st.recursive(
            st.dictionaries(st.sampled_from(_TREE_KEYS), scalar, min_size=1, max_size=4),
            lambda inner: st.dictionaries(
                st.sampled_from(_TREE_KEYS),
                inner | st.lists(inner | scalar, min_size=1, max_size=3),
                min_size=1,
                max_size=4,
            ),
            max_leaves=12,
        )
    )
    emit(tree, 0, draw(st.booleans()))
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), "  # a comment")
    return "\n".join(lines) + "\n"


@given(st.one_of(_yaml_lines(), _yaml_trees()))
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_the_reader_agrees_with_pyyaml(text):
    _assume_no_merge_of_a_tagged_collection(text)
    agrees_with_pyyaml(text)


@given(_yaml_trees(), st.data())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_the_reader_agrees_with_pyyaml_on_mutated_documents(text, data):
    position = data.draw(st.integers(0, len(text)))
    insert = data.draw(
        st.sampled_from([" ", "  ", "\n", "-", ":", "#", " #", "'", "[", "]", "{", "\t", "\r", "\r\n", "é", "&", "*"])
    )
    if data.draw(st.booleans()):
        mutated = text[:position] + insert + text[position:]
    else:
        mutated = text[:position] + text[position + 1 :]
    _assume_no_merge_of_a_tagged_collection(mutated)
    agrees_with_pyyaml(mutated)


@given(st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_the_reader_agrees_with_pyyaml_on_any_text(text):
    _assume_no_merge_of_a_tagged_collection(text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        with pytest.raises(YamlError):
            read_yaml(text)
        return
    agrees_with_pyyaml(text)
