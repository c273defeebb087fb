"""The line scanner that finds one-line scalars and their comments without a YAML parse."""

import pytest

from automator.manifest.yamlline import parse_line, scan_lines


def value_of(line):
    parsed = parse_line(line)
    assert parsed is not None and parsed.value
    return parsed.key, line[parsed.start : parsed.end], parsed.quote, parsed.comment


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("image: app:1.0 # c", ("image", "app:1.0", "", "# c")),
        ('  image: "app:1.0"   # c', ("image", "app:1.0", '"', "# c")),
        ("  image: 'app:1.0'#c", ("image", "app:1.0", "'", "#c")),
        ("- app:1.0 # c", (None, "app:1.0", "", "# c")),
        ("  - name: x # c", ("name", "x", "", "# c")),
        ("- - app:1.0 # c", (None, "app:1.0", "", "# c")),
        ('"quoted key": v # c', ("quoted key", "v", "", "# c")),
        ("tag: &t !!str 1.0 # c", ("tag", "1.0", "", "# c")),
        ("url: http://x/#frag # c", ("url", "http://x/#frag", "", "# c")),
        ("image: registry:5000/app:1.0", ("image", "registry:5000/app:1.0", "", "")),
        ("msg: 'it''s' # c", ("msg", "it''s", "'", "# c")),
        ('msg: "a \\" b" # c', ("msg", 'a \\" b', '"', "# c")),
        ("tag:\t1.0\t# c", ("tag", "1.0", "", "# c")),
    ],
)
def test_one_line_scalars_give_key_exact_span_quote_and_comment(line, expected):
    assert value_of(line) == expected


@pytest.mark.parametrize(
    "line",
    ["# comment", "", "   ", "---", "spec:", "list: [a, b] # c", "map: {a: b}", "ref: *alias", "text: |", "text: >-"],
)
def test_lines_without_a_one_line_scalar_value(line):
    parsed = parse_line(line)
    assert parsed is None or not parsed.value


def test_block_scalar_content_is_never_taken_for_values():
    text = "a: |\n  b: 1 # c\n  - x # c\nd: 2 # c\n- |\n  e: 3 # c\n"
    assert [(s.key, s.text) for s in scan_lines(text) if s.value] == [("d", "2")]


def test_block_scalar_under_a_sequence_item_key_ends_at_the_sibling_key():
    text = "- script: |\n    x: 1 # c\n  image: app:1 # c\n"
    assert [(s.key, s.text) for s in scan_lines(text) if s.value] == [("image", "app:1")]


def test_offsets_are_into_the_whole_text_with_crlf_and_bom():
    text = "\ufeffa: 1\r\nb: 'two' # c\r\n"
    found = [s for s in scan_lines(text) if s.value]
    assert [text[s.start : s.end] for s in found] == ["1", "two"]
    assert [s.line for s in found] == [1, 2]
    assert found[1].comment == "# c"


def test_document_start_ends_a_root_block_scalar():
    text = "--- |\n  x: 1 # c\n---\ny: 2 # c\n"
    assert [(s.key, s.text) for s in scan_lines(text) if s.value] == [("y", "2")]
