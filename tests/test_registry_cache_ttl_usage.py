"""A bad ``AUTOMATOR_CACHE_TTL`` stops a command before it runs (exit 2, the variable named),
as a bad ``AUTOMATOR_REGISTRY_TIMEOUT`` does: not one error per image, nor a silent default."""

from __future__ import annotations

import pytest

from automator.cli import main


@pytest.mark.parametrize("command", [["scan", "."], ["run", ".", "--dry-run"], ["fleet", "fleet.yaml"]])
def test_a_bad_cache_ttl_is_a_usage_error_before_anything_runs(command, monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AUTOMATOR_CACHE_TTL", "15 minutes")
    assert main(command) == 2
    assert "AUTOMATOR_CACHE_TTL must be a number of seconds (0 or more) or an interval such as 15m, not '15 minutes'" in capsys.readouterr().err
