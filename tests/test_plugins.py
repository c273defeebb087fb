"""A plugin table names each plugin ``module:attribute`` and imports it when first asked for."""

from __future__ import annotations

import sys

import pytest

from automator.forge import FORGES
from automator.plugins import LazyTable
from automator.policy.factory import POLICIES


def test_a_plugin_is_imported_when_first_asked_for_not_before(tmp_path, monkeypatch):
    (tmp_path / "probe_plugin_module.py").write_text("class Probe:\n    kind = 'probe'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "probe_plugin_module", raising=False)
    table = LazyTable({"probe": "probe_plugin_module:Probe"})
    assert list(table) == ["probe"] and len(table) == 1 and "probe" in table
    assert "probe_plugin_module" not in sys.modules  # naming and counting the rows loads nothing
    assert table["probe"].kind == "probe"
    assert "probe_plugin_module" in sys.modules


def test_an_unknown_name_is_a_key_error():
    with pytest.raises(KeyError):
        LazyTable({"probe": "probe_plugin_module:Probe"})["other"]


def test_the_policy_and_forge_tables_name_their_classes():
    assert POLICIES["semver"].__name__ == "SemverPolicy"
    assert POLICIES["regexp"] is POLICIES["regex"]
    assert FORGES["github"].__name__ == "GitHubForge"
    assert sorted(FORGES) == ["github", "gitlab"]
