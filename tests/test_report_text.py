"""The text table of a plan: columns line up on a terminal, whatever script the file names use."""

from __future__ import annotations

import unicodedata

from automator.imageref import parse_image_ref
from automator.model import ImageUse, Plan, PolicySpec, Span, Update
from automator.report import text as text_report


def update(file: str, image: str, to: str) -> Update:
    ref = parse_image_ref(image)
    use = ImageUse(file, 12, Span(0, 1), "image", ref, "web", PolicySpec("semver:^1"), "native")
    return Update(use=use, from_tag=ref.tag or "", to_tag=to, new_text=ref.with_tag(to), reason="newest")


def column_of(text: str, line: str) -> int:
    """The terminal column at which ``text`` starts in ``line`` (wide characters take two)."""
    before = line[: line.index(text)]
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in before)


def test_columns_line_up_when_a_file_name_has_wide_characters():
    plan = Plan((update("生产环境/web.yaml", "ghcr.io/acme/web:1.0.0", "1.1.0"),
                 update("prod/api.yaml", "ghcr.io/acme/api:1.0.0", "1.2.0")))

    header, wide, narrow = text_report.table(plan).splitlines()

    assert column_of("CONTAINER", header) == column_of("web ", wide) == column_of("web ", narrow) == 22
    assert column_of("POLICY", header) == column_of("semver", wide) == column_of("semver", narrow)
