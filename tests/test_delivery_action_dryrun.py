"""A dry run through the Action says so everywhere a user looks, and writes nothing."""

from __future__ import annotations

import pytest
from test_delivery_action_runner import annotations, run, summary
from test_delivery_e2e import git, make_env_repo


@pytest.fixture
def env_repo(tmp_path):
    return make_env_repo(tmp_path)


def test_a_dry_run_says_so_in_the_summary_outputs_and_log_and_writes_nothing(tmp_path, env_repo):
    before = git("rev-parse", "main", cwd=tmp_path / "remote.git")
    result = run(tmp_path, env_repo, path="envs/prod/web.yaml", **{"dry-run": "true"})
    assert result.exit_code == 0, result.stderr
    assert (result.outputs["dry-run"], result.outputs["updated"], result.outputs["commit"]) == ("true", "1", "")
    text = summary(tmp_path)
    assert text.startswith("### Image updates — dry run — nothing written\n")
    assert "1 image update would change 1 file(s)." in text
    assert "/blob/" + "0" * 40 + "/envs/prod/web.yaml#L12" in text  # the checked-out commit
    assert any(line.startswith("::notice title=automator%3A dry run::1 image update(s) planned; dry run")
               for line in annotations(result))
    assert git("rev-parse", "main", cwd=tmp_path / "remote.git") == before
    assert git("status", "--porcelain", cwd=env_repo) == ""
