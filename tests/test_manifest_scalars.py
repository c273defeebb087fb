"""The scalar resolution table agrees with the YAML libraries it describes, and every written tag
reads back as the same string under every reader (YAML 1.2, YAML 1.1, Go yaml.v2 and v3)."""

from __future__ import annotations

import io

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from automator.manifest.patch import render
from automator.manifest.scalars import needs_quotes, non_string_readers, resolutions

# characters of tags and references, plus the ones that make numbers, booleans and dates
ALPHABET = "0123456789._-+:eEoxbTtZ yYnNfFinaINFl~"
EDGES = [
    "0089", "09", "007", "0o17", "0x1F", "0b101", "1_000", "1e3", "1.0e+3", "1.", ".5", "-.inf",
    ".NaN", "2024-01-01", "2024-1-2", "2024-99-99", "2024-02-30", "2024-01-01T10:00:00Z",
    "1:20", "190:20:30", "1:20.5", "yes", "Yes", "y", "n", "on", "OFF", "true", "null", "~", "",
    "=", "<<", "v1.10", "1.10", "7", "1.2.3", "sha-9f8e7d", "latest", "6.5.0", "1e", "0x", "+",
    "-", "1_", "_1", "0o8", "1.2e3", "12e", "2024-01-01 10:00:00", "18446744073709551616",
]


def pyyaml_type(text: str) -> str:
    try:
        value = yaml.safe_load(f"v: {text}\n")["v"] if text else None
    except (yaml.YAMLError, ValueError):  # PyYAML raises ValueError for impossible dates
        return "error"
    return "str" if isinstance(value, str) else type(value).__name__


def ruamel_type(text: str) -> str:
    try:
        value = YAML(typ="safe", pure=True).load(io.StringIO(f"v: {text}\n"))["v"] if text else None
    except Exception:  # ruamel raises its own error tree (and ValueError for impossible dates)
        return "error"
    return "str" if isinstance(value, str) else type(value).__name__


def plain_scalar(text: str) -> bool:
    """Only texts that YAML reads as one plain scalar are meaningful to compare."""
    try:
        loaded = yaml.load(f"v: {text}\n", Loader=yaml.BaseLoader)
    except yaml.YAMLError:
        return False
    return isinstance(loaded, dict) and loaded.get("v") == text


@pytest.mark.parametrize("text", [t for t in EDGES if t and plain_scalar(t)])
def test_the_table_agrees_with_pyyaml_and_ruamel_on_known_edges(text: str) -> None:
    got = resolutions(text)
    assert (got["yaml-1.1"] == "str") == (pyyaml_type(text) == "str"), (text, got, pyyaml_type(text))
    assert (got["yaml-1.2"] == "str") == (ruamel_type(text) == "str"), (text, got, ruamel_type(text))


@settings(max_examples=400, deadline=None)
@given(st.text(ALPHABET, min_size=1, max_size=12))
def test_the_table_agrees_with_pyyaml_and_ruamel_on_generated_texts(text: str) -> None:
    if not plain_scalar(text):
        return
    got = resolutions(text)
    assert (got["yaml-1.1"] == "str") == (pyyaml_type(text) == "str"), (text, got)
    assert (got["yaml-1.2"] == "str") == (ruamel_type(text) == "str"), (text, got)


@pytest.mark.parametrize(
    ("text", "readers"),
    [
        ("0089", {"yaml-1.2": "int", "go-yaml-v2": "float", "go-yaml-v3": "float"}),
        ("09", {"yaml-1.2": "int", "go-yaml-v2": "float", "go-yaml-v3": "float"}),
        ("007", {"yaml-1.2": "int", "yaml-1.1": "int", "go-yaml-v2": "int", "go-yaml-v3": "int"}),
        ("2024-01-01", {"yaml-1.2": "timestamp", "yaml-1.1": "timestamp", "go-yaml-v2": "timestamp", "go-yaml-v3": "timestamp"}),
        ("2024-99-99", {"yaml-1.2": "timestamp", "yaml-1.1": "timestamp"}),  # the YAML libraries fail on it
        ("2024-1-2", {"go-yaml-v2": "timestamp", "go-yaml-v3": "timestamp"}),
        ("yes", {"yaml-1.1": "bool", "go-yaml-v2": "bool"}),
        ("y", {"go-yaml-v2": "bool"}),
        ("1e3", {"yaml-1.2": "float", "go-yaml-v2": "float", "go-yaml-v3": "float"}),
        ("1:20", {"yaml-1.1": "int"}),
        ("0o17", {"yaml-1.2": "int", "go-yaml-v2": "int", "go-yaml-v3": "int"}),
        ("1.10", {"yaml-1.2": "float", "yaml-1.1": "float", "go-yaml-v2": "float", "go-yaml-v3": "float"}),
        ("v1.10", {}),
        ("sha-9f8e7d", {}),
        ("6.5.0", {}),
    ],
)
def test_each_reader_resolves_as_its_library_does(text: str, readers: dict[str, str]) -> None:
    assert non_string_readers(text) == readers


@pytest.mark.parametrize("tag", ["0089", "09", "2024-01-01", "2024-99-99", "y", "1e3", "1:20", "0o17", "7"])
def test_a_tag_any_reader_would_not_read_as_text_is_written_quoted(tag: str) -> None:
    assert needs_quotes(tag)
    assert render("", tag) == f'"{tag}"'
    assert yaml.safe_load(f"v: {render('', tag)}")["v"] == tag
    assert YAML(typ="safe", pure=True).load(f"v: {render('', tag)}")["v"] == tag


@settings(max_examples=300, deadline=None)
@given(st.text("0123456789.-_abcdefxoeEyn", min_size=1, max_size=10))
def test_a_rendered_plain_value_reads_back_as_the_same_string(tag: str) -> None:
    if not plain_scalar(tag) and not needs_quotes(tag):
        return
    written = render("", tag)
    assert yaml.safe_load(f"v: {written}\n")["v"] == tag
    assert YAML(typ="safe", pure=True).load(f"v: {written}\n")["v"] == tag
