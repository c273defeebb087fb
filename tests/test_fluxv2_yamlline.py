"""The line scanner that finds one-line scalars and their comments without a YAML parse."""

import pytest

from automator.manifest.yamlline import parse_line


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


def test_a_block_scalar_header_is_no_value():
    parsed = parse_line("  script: |-  # c")
    assert parsed is not None and parsed.block and not parsed.value
