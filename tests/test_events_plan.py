"""An event-driven plan: only the pushed repository's uses, each choosing between its current
tag and the pushed one, with its own policy - and no registry listing."""

from __future__ import annotations

from automator.events.pushed import parse_pushed
from automator.events.source import PushedScope, PushedTagSource
from automator.manifest.locators import locate_text, resolve
from automator.model import TagInfo
from automator.plan import build_policies, plan_updates

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    automator.dev/policy.app: semver:^1
    automator.dev/policy.edge: semver:>=1.0.0
    automator.dev/policy.cache: semver:^7
spec:
  template:
    spec:
      containers:
        - name: app
          image: ghcr.io/acme/app:1.2.0
        - name: edge
          image: ghcr.io/acme/app:1.5.0
        - name: cache
          image: redis:7.0.0
"""


def uses_of(text: str = MANIFEST):
    uses, problems = resolve([locate_text("web.yaml", text)])
    assert problems == []
    return uses


class Refusing:
    """A tag source that fails the test when it is asked anything."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def list_tags(self, repositories):
        self.calls.append(("list_tags", tuple(repositories)))
        raise AssertionError("an event-driven run listed tags")

    def metadata(self, repository, tags):
        self.calls.append(("metadata", repository, tuple(tags)))
        return {tag: TagInfo(tag) for tag in tags}


def plan_for(*pushed: str, text: str = MANIFEST, metadata_source=None):
    scope = PushedScope(tuple(parse_pushed(p) for p in pushed))
    uses = scope.uses(uses_of(text))
    source = PushedTagSource(scope, uses, metadata_source)
    tags = source.list_tags(sorted({u.image.repository for u in uses}))
    return plan_updates(uses, tags, build_policies(uses), narrow=scope.narrow), uses


def changes(plan):
    return sorted((u.use.container, u.from_tag, u.to_tag) for u in plan.updates)


def test_only_uses_of_the_pushed_repository_are_considered():
    plan, uses = plan_for("ghcr.io/acme/app:1.4.2")
    assert {u.container for u in uses} == {"app", "edge"}  # redis is not about this push
    # app (^1, at 1.2.0) takes the pushed 1.4.2; edge (at 1.5.0) never moves back
    assert changes(plan) == [("app", "1.2.0", "1.4.2")]


def test_each_use_chooses_between_its_current_tag_and_the_pushed_one_only():
    # edge's current 1.5.0 is a tag of the same repository, but it was not pushed:
    # app must not jump to it although its policy (^1) would admit it
    plan, _ = plan_for("ghcr.io/acme/app:1.3.0")
    assert changes(plan) == [("app", "1.2.0", "1.3.0")]


def test_a_pushed_tag_outside_the_policy_moves_nothing():
    plan, _ = plan_for("ghcr.io/acme/app:2.0.0")
    assert changes(plan) == [("edge", "1.5.0", "2.0.0")]  # only edge's >=1.0.0 admits 2.0.0


def test_the_repository_is_matched_by_its_normalised_identity():
    plan, _ = plan_for("docker.io/library/redis:7.2.4")
    assert changes(plan) == [("cache", "7.0.0", "7.2.4")]


def test_a_push_to_an_unused_repository_concerns_nothing():
    plan, uses = plan_for("ghcr.io/acme/other:9.9.9")
    assert uses == [] and plan.updates == () and plan.problems == ()


def test_semver_policies_ask_the_registry_nothing():
    refusing = Refusing()
    plan, _ = plan_for("ghcr.io/acme/app:1.4.2", metadata_source=refusing)
    assert changes(plan) == [("app", "1.2.0", "1.4.2")]
    assert refusing.calls == []


def test_the_metadata_source_is_made_only_when_something_needs_it():
    from automator.tagsource import LazyTagSource

    made = []
    scope = PushedScope((parse_pushed("ghcr.io/acme/app:1.4.2"),))
    source = PushedTagSource(scope, [], LazyTagSource(lambda: made.append(1) or Refusing()))
    assert source.list_tags(["ghcr.io/acme/app"])["ghcr.io/acme/app"] == (TagInfo("1.4.2"),)
    assert made == []
    source.metadata("ghcr.io/acme/app", ["1.4.2"])
    source.metadata("ghcr.io/acme/app", ["1.4.2"])
    assert made == [1]


def test_a_pushed_digest_is_carried_so_no_manifest_is_read_for_it():
    digest = "sha256:" + "ab" * 32
    scope = PushedScope((parse_pushed(f"ghcr.io/acme/app:1.4.2@{digest}"),))
    assert scope.tag_lists([])["ghcr.io/acme/app"] == (TagInfo("1.4.2", digest=digest),)


def test_files_that_cannot_concern_the_push_are_not_parsed(tmp_path):
    from automator.run import make_plan

    (tmp_path / "web.yaml").write_text(MANIFEST)
    other = (
        "kind: Deployment\nmetadata:\n  name: db\n  annotations:\n    automator.dev/policy: semver:^1\n"
        "spec:\n  template:\n    spec:\n      containers:\n        - name: db\n          image: postgres:16.0\n"
    )
    (tmp_path / "other.yaml").write_text(other + "  broken: [\n")  # unparseable, but not about this push
    scope = PushedScope((parse_pushed("ghcr.io/acme/app:1.4.2"),))
    plan = make_plan(tmp_path, Refusing(), pushed=scope)
    assert changes(plan) == [("app", "1.2.0", "1.4.2")]
    assert plan.problems == ()  # other.yaml was screened out before parsing
    assert scope.screen[0] == "app" and "$imagepolicy" in scope.screen
