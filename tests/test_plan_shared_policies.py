"""Policies written alike in many files choose alike: one policy object for them all, and each
tag list ranked once however many current tags ask - with the same choices and reasons as a
policy of their own would give."""

from __future__ import annotations

from automator.errors import AutomatorError
from automator.manifest.locators import locate_text, resolve
from automator.model import TagInfo
from automator.plan import build_policies, plan_updates
from automator.policy import make_policy
from automator.policy.semver import SemverPolicy

TAGS = tuple(TagInfo(t) for t in ("1.0.0", "1.1.0", "1.2.0", "1.2.1", "2.0.0", "latest"))


def manifest(name: str, tag: str, policy: str = "semver:^1") -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  annotations:\n"
        f"    automator.dev/policy: '{policy}'\nspec:\n  template:\n    spec:\n      containers:\n"
        f"        - name: app\n          image: ghcr.io/acme/app:{tag}\n"
    )


def uses_of(*files: tuple[str, str]):
    uses, problems = resolve([locate_text(name, text) for name, text in files])
    assert problems == []
    return uses


def test_specs_written_alike_in_several_files_share_one_policy():
    uses = uses_of(("a.yaml", manifest("a", "1.0.0")), ("b.yaml", manifest("b", "1.1.0")),
                   ("c.yaml", manifest("c", "1.0.0", "semver:~1.1")))
    policies = build_policies(uses)
    assert len(policies) == 3  # three specs: each knows where it was written
    by_file = {u.file: policies[u.policy] for u in uses}
    assert by_file["a.yaml"] is by_file["b.yaml"]  # the same words: one policy
    assert by_file["c.yaml"] is not by_file["a.yaml"]


def test_a_bad_spec_keeps_its_own_error_naming_where_it_was_written():
    uses = uses_of(("a.yaml", manifest("a", "1.0.0", "semver:^^1")), ("b.yaml", manifest("b", "1.0.0", "semver:^^1")))
    policies = build_policies(uses)
    errors = [policies[u.policy] for u in uses]
    assert all(isinstance(e, AutomatorError) for e in errors)
    assert sorted(str(e).split(":", 1)[0] for e in errors) == ["a.yaml", "b.yaml"]


def test_a_tag_list_is_ranked_once_for_every_current_tag(monkeypatch):
    ranked: list[str] = []
    rank = SemverPolicy.rank

    def counting(self, value, info):
        ranked.append(value)
        return rank(self, value, info)

    monkeypatch.setattr(SemverPolicy, "rank", counting)
    currents = ["1.0.0", "1.1.0", "1.2.0", "1.2.1", "2.0.0"]
    uses = uses_of(*((f"f{i}.yaml", manifest(f"f{i}", tag)) for i, tag in enumerate(currents)))
    plan = plan_updates(uses, {"ghcr.io/acme/app": TAGS}, build_policies(uses))
    ranking_calls = len(ranked)
    assert ranked[: len(TAGS)] == [t.tag for t in TAGS] and ranking_calls <= len(TAGS) + len(currents)
    assert sorted((u.use.file, u.from_tag, u.to_tag) for u in plan.updates) == [
        ("f0.yaml", "1.0.0", "1.2.1"), ("f1.yaml", "1.1.0", "1.2.1"), ("f2.yaml", "1.2.0", "1.2.1"),
        ("f4.yaml", "2.0.0", "1.2.1")]  # 2.0.0 is outside ^1: it does not qualify to stay


def test_the_shared_ranking_chooses_and_explains_as_a_fresh_selection_does():
    policy = make_policy(uses_of(("a.yaml", manifest("a", "1.0.0")))[0].policy)
    scan = policy.scan(TAGS)
    for current in (None, "1.0.0", "1.2.1", "2.0.0", "latest", "9.9.9"):
        fresh = make_policy(uses_of(("b.yaml", manifest("b", "1.0.0")))[0].policy).select(TAGS, current)
        assert policy.decide(scan, current) == fresh
