"""The Action's branch inputs (``branch``, ``pr-base``, ``ref``) are checked with git's own rules
for a branch name (``git check-ref-format --branch``) before anything runs: a bad one is named
by its input, annotated and listed in the job summary, and the step exits 2."""

from __future__ import annotations

import pytest

from automator.ci import action as entry


def inputs(**values: str) -> dict[str, str]:
    return {entry.input_variable(name.replace("_", "-")): value for name, value in values.items()}


@pytest.mark.parametrize(
    ("given", "name", "message"),
    [
        ({"branch": "prod:x"}, "branch", "'prod:x' is not a valid branch name: it holds ':'"),
        ({"branch": "prod~1"}, "branch", "'prod~1' is not a valid branch name: it holds '~'"),
        ({"branch": "prod.lock"}, "branch", "'prod.lock' is not a valid branch name: its part 'prod.lock'"),
        ({"branch": "--force"}, "branch", "'--force' is not a valid branch name: it starts with `-`"),
        ({"branch": "env/../prod"}, "branch", "it holds `..`"),
        ({"pr_base": "a:b"}, "pr-base", "'a:b' is not a valid branch name: it holds ':'"),
        ({"repo": "https://github.com/acme/env.git", "ref": "main~1"}, "ref", "'main~1' is not a valid branch name: it holds '~'"),
    ],
)
def test_a_branch_input_git_could_not_have_as_a_branch_is_named_with_the_reason(tmp_path, given, name, message):
    (problem,) = entry.check_inputs(inputs(**given), tmp_path)

    assert problem.name == name
    assert message in problem.message


@pytest.mark.parametrize("branch", ["production", "env/prod", "release-1.2", "a.b", "HEAD-1"])
def test_branch_names_git_accepts_pass_the_check(tmp_path, branch):
    given = inputs(branch=branch, pr_base=branch, repo="https://github.com/acme/env.git", ref=branch)

    assert entry.check_inputs(given, tmp_path) == []


def test_a_bad_branch_input_stops_the_step_with_an_annotation_and_a_summary_row(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no checkout here: a run that started anyway could change nothing
    summary = tmp_path / "summary.md"
    environ = {"RUNNER_TEMP": str(tmp_path), "GITHUB_WORKSPACE": str(tmp_path), "GITHUB_STEP_SUMMARY": str(summary),
               **inputs(branch="prod:x")}

    assert entry.main(environ) == 2

    assert "::error title=input branch::input branch 'prod:x' is not a valid branch name: it holds ':'" in capsys.readouterr().out
    assert "| `branch` | 'prod:x' is not a valid branch name: it holds ':'" in summary.read_text()
