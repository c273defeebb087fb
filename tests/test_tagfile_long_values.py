"""A ``--tags-from`` file with an absurd value (a tag or key 100,000 characters long) gets an
error message of a readable size: the start of the value and how long it is, not all of it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from automator.errors import ConfigError
from automator.tagfile import FileTagSource


def test_an_invalid_tag_is_quoted_by_its_start_and_its_length(tmp_path: Path) -> None:
    path = tmp_path / "tags.json"
    path.write_text(json.dumps({"ghcr.io/acme/web": ["1.0.0", "x" * 100_000 + "!"]}))
    (error,) = FileTagSource.load(path).list_tags(["ghcr.io/acme/web"]).values()
    assert isinstance(error, ConfigError)
    assert f"ghcr.io/acme/web: {'x' * 60!r}... (100,001 characters) is not a valid tag" in str(error)
    assert len(str(error)) < 300


def test_a_short_invalid_tag_is_quoted_whole(tmp_path: Path) -> None:
    path = tmp_path / "tags.json"
    path.write_text(json.dumps({"ghcr.io/acme/web": ["no spaces"]}))
    (error,) = FileTagSource.load(path).list_tags(["ghcr.io/acme/web"]).values()
    assert "ghcr.io/acme/web: 'no spaces' is not a valid tag" in str(error)


def test_a_key_that_is_not_a_repository_is_quoted_by_its_start_and_its_length(tmp_path: Path) -> None:
    path = tmp_path / "tags.json"
    path.write_text(json.dumps({"a" * 100_000 + "/B!": ["1.0.0"]}))
    with pytest.raises(ConfigError, match=r"key 'a{60}'\.\.\. \(100,003 characters\) is not a repository") as caught:
        FileTagSource.load(path)
    assert len(str(caught.value)) < 400
