"""Golden trees: ``tests/golden/<case>/input`` updated with the case's ``tags.yaml`` must equal
``expected`` byte for byte (every other byte of every file is kept). ``exit_code`` holds the
expected exit status when it is not 0; each line of ``messages`` must appear in what the run
prints on stderr."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from automator.cli import main

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "input").is_dir())


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES)
def test_update_turns_input_into_expected_byte_for_byte(case: str, tmp_path: Path, capsys) -> None:
    source = GOLDEN / case
    work = tmp_path / "repo"
    shutil.copytree(source / "input", work)
    want_code = int((source / "exit_code").read_text()) if (source / "exit_code").exists() else 0

    code = main(["update", str(work), "--tags-from", str(source / "tags.yaml")])

    err = capsys.readouterr().err
    assert code == want_code, err
    if (source / "messages").exists():
        for line in (source / "messages").read_text().splitlines():
            assert line in err, f"{case}: {line!r} not in {err!r}"
    got, expected = tree(work), tree(source / "expected")
    assert sorted(got) == sorted(expected)
    for name in expected:
        assert got[name] == expected[name], f"{case}/{name} differs"


@pytest.mark.parametrize("case", CASES)
def test_expected_trees_need_no_further_update(case: str, tmp_path: Path, capsys) -> None:
    """Running again on the result changes nothing: updates are idempotent."""
    source = GOLDEN / case
    work = tmp_path / "repo"
    shutil.copytree(source / "expected", work)
    main(["update", str(work), "--tags-from", str(source / "tags.yaml")])
    assert tree(work) == tree(source / "expected")


def test_every_case_changes_something() -> None:
    for case in CASES:
        assert tree(GOLDEN / case / "input") != tree(GOLDEN / case / "expected"), case
