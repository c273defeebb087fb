"""``--tags-from`` files: JSON or YAML, tags or {tag, created, digest}, normalised keys."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from automator.errors import ConfigError, RegistryError
from automator.model import TagInfo
from automator.tagfile import FileTagSource


def load(tmp_path: Path, text: str, name: str = "tags.yaml") -> FileTagSource:
    path = tmp_path / name
    path.write_text(text)
    return FileTagSource.load(path)


def test_yaml_tags_keep_their_spelling(tmp_path: Path) -> None:
    source = load(tmp_path, "nginx: [1.10, 1.9, v2, 2024-01-01]\n")
    assert [t.tag for t in source.list_tags(["docker.io/library/nginx"])["docker.io/library/nginx"]] == [
        "1.10", "1.9", "v2", "2024-01-01",
    ]


@pytest.mark.parametrize(
    "text",
    ['{"nginx": [1.10, 1.9, "v2", 10]}', "{nginx: [1.10, 1.9, v2, 10]}"],
    ids=["json-numbers", "yaml-flow-mapping"],
)
def test_tags_keep_their_spelling_in_json_and_in_yaml_flow_style(tmp_path: Path, text: str) -> None:
    source = load(tmp_path, text + "\n")
    assert [t.tag for t in source.list_tags(["docker.io/library/nginx"])["docker.io/library/nginx"]] == [
        "1.10", "1.9", "v2", "10",
    ]


def test_json_objects_carry_build_time_and_digest(tmp_path: Path) -> None:
    source = load(
        tmp_path,
        '{"ghcr.io/acme/app": [{"tag": "v1", "created": "2024-03-01T10:00:00Z", "digest": "sha256:ab"}]}',
        "tags.json",
    )
    assert source.list_tags(["ghcr.io/acme/app"])["ghcr.io/acme/app"] == (
        TagInfo("v1", datetime(2024, 3, 1, 10, tzinfo=timezone.utc), "sha256:ab"),
    )
    assert source.metadata("ghcr.io/acme/app", ["v1"])["v1"].digest == "sha256:ab"


def test_build_times_are_read_as_registries_write_them(tmp_path: Path) -> None:
    """Nanoseconds and trimmed fractions (Go's RFC 3339), alike on every supported Python."""
    source = load(
        tmp_path,
        '{"app": [{"tag": "a", "created": "2024-03-01T10:00:00.123456789Z"}, {"tag": "b", "created": "2024-03-01T10:00:00.5Z"}]}',
        "tags.json",
    )
    assert [info.created for info in source.list_tags(["docker.io/library/app"])["docker.io/library/app"]] == [
        datetime(2024, 3, 1, 10, 0, 0, 123456, tzinfo=timezone.utc),
        datetime(2024, 3, 1, 10, 0, 0, 500000, tzinfo=timezone.utc),
    ]


@pytest.mark.parametrize("key", ["nginx", "library/nginx", "docker.io/library/nginx", "index.docker.io/library/nginx"])
def test_keys_are_normalised_like_image_references(tmp_path: Path, key: str) -> None:
    source = load(tmp_path, f"{key}: ['1']\n")
    assert source.list_tags(["docker.io/library/nginx"])["docker.io/library/nginx"] == (TagInfo("1"),)


def test_an_unlisted_repository_is_an_error_value_not_an_exception(tmp_path: Path) -> None:
    result = load(tmp_path, "nginx: ['1']\n").list_tags(["quay.io/x"])["quay.io/x"]
    assert isinstance(result, RegistryError) and "quay.io/x" in str(result) and "tags.yaml" in str(result)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "maps repositories"),
        ("Bad/Name: ['1']\n", "not a repository"),
        ("nginx: ['1']\ndocker.io/library/nginx: ['2']\n", "listed twice"),
        ("nginx: [1\n", "invalid YAML"),
        ('{"nginx": [}', "invalid JSON"),
    ],
)
def test_bad_files_fail_with_the_file_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load(tmp_path, text)
    assert "tags.yaml" in str(caught.value)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("1", "expected a list"),
        ("['bad tag']", "not a valid tag"),
        ("[{created: x}]", "mapping with 'tag'"),
        ("[{tag: '1', created: yesterday}]", "ISO 8601"),
    ],
)
def test_a_bad_entry_spoils_only_its_own_repository(tmp_path: Path, entry: str, message: str) -> None:
    source = load(tmp_path, f"nginx: {entry}\nquay.io/x: ['1.0']\n")
    listed = source.list_tags(["docker.io/library/nginx", "quay.io/x"])
    bad = listed["docker.io/library/nginx"]
    assert isinstance(bad, ConfigError) and message in str(bad) and "tags.yaml" in str(bad)
    assert [info.tag for info in listed["quay.io/x"]] == ["1.0"]


def test_a_missing_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="missing.yaml"):
        FileTagSource.load(tmp_path / "missing.yaml")
