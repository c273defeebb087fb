"""The job summary's tables keep their shape whatever a file is called: a ``|`` in a cell is
escaped and a line break is folded to a space, so every row has exactly its columns."""

from __future__ import annotations

import re

import pytest

from automator.ci.summary import Links, render_summary
from automator.imageref import parse_image_ref
from automator.model import ImageUse, Plan, PolicySpec, Problem, Span, Update

ODD_NAMES = ["envs/w|x.yaml", "envs/nl\n::warning::x\n.yaml", "envs/cr\r.yaml"]
LINKS = Links("https://github.example", "acme/env", "0123456789abcdef")


def use_in(file: str, policy: str = "semver:^1") -> ImageUse:
    return ImageUse(file=file, line=12, span=Span(10, 20), field="image", image=parse_image_ref("ghcr.io/acme/web:1.2.0"),
                    container="web", policy=PolicySpec(policy), dialect="native")


def moved(use: ImageUse) -> Update:
    return Update(use=use, from_tag="1.2.0", to_tag="1.3.0", new_text="ghcr.io/acme/web:1.3.0", reason="newest")


def separators(row: str) -> int:
    """The ``|`` that split a table row into cells (an escaped ``\\|`` is text in a cell)."""
    return len(re.findall(r"(?<!\\)\|", row))


def table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("|") and not line.startswith("| ---")]


@pytest.mark.parametrize("links", [None, LINKS])
@pytest.mark.parametrize("file", ODD_NAMES)
def test_a_file_name_with_a_pipe_or_a_line_break_keeps_the_updates_table_in_shape(file, links):
    text = render_summary(Plan(uses=(use_in(file),), updates=(moved(use_in(file)),)), links=links)

    (header, row) = table_rows(text)
    assert separators(row) == separators(header) == 6
    assert "\r" not in text and "\n::warning" not in text


@pytest.mark.parametrize("links", [None, LINKS])
@pytest.mark.parametrize("file", ODD_NAMES)
def test_a_file_name_with_a_pipe_or_a_line_break_keeps_the_stayed_table_in_shape(file, links):
    text = render_summary(Plan(uses=(use_in(file, "regex:^(a|b)$"),)), links=links)

    (header, row) = table_rows(text)
    assert separators(row) == separators(header) == 5
    assert "\r" not in text and "\n::warning" not in text


def test_a_pipe_in_a_file_name_is_shown_as_written_once_the_table_is_read():
    text = render_summary(Plan(uses=(use_in("envs/w|x.yaml"),), updates=(moved(use_in("envs/w|x.yaml")),)))

    (_, row) = table_rows(text)
    assert row.startswith("| `envs/w\\|x.yaml:12` | ")


def test_a_problem_in_a_file_name_with_a_line_break_stays_one_list_item():
    problem = Problem("no tag matches ^9", file="envs/nl\nx.yaml", line=3)

    text = render_summary(Plan(problems=(problem,)))

    (item,) = [line for line in text.splitlines() if line.startswith("- ")]
    assert item == "- **error** `envs/nl x.yaml:3`: no tag matches ^9"
