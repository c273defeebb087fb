"""Hold, follow and soak annotations are found in the bytes the plan's walk already read.

The walk reads every manifest once. A file whose bytes mention none of ``automator.dev/hold``,
``automator.dev/follow.`` or ``automator.dev/soak`` has no such annotation, so looking them up
for its images reads nothing more; a file that mentions one is read for its annotations as
before.
"""

from pathlib import Path

from automator.rules import RulesRuntime
from automator.run import make_plan
from automator.tagfile import FileTagSource

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  annotations:
    automator.dev/policy: semver:^1
{extra}spec:
  template:
    spec:
      containers:
        - name: app
          image: ghcr.io/acme/{name}:1.0.0
"""


def tree(tmp_path: Path) -> tuple[Path, FileTagSource]:
    root = tmp_path / "env"
    (root / "apps").mkdir(parents=True)
    (root / "apps" / "held.yaml").write_text(DEPLOYMENT.format(name="held", extra='    automator.dev/hold: "true"\n'))
    (root / "apps" / "free.yaml").write_text(DEPLOYMENT.format(name="free", extra=""))
    tags = tmp_path / "tags.yaml"
    tags.write_text('ghcr.io/acme/held: ["1.0.0", "1.1.0"]\nghcr.io/acme/free: ["1.0.0", "1.1.0"]\n')
    return root, FileTagSource.load(tags)


def test_a_held_file_stays_and_the_other_moves(tmp_path):
    root, source = tree(tmp_path)
    plan = make_plan(root, source, rules=RulesRuntime.empty(root))
    assert [(u.use.file, u.to_tag) for u in plan.updates] == [("apps/free.yaml", "1.1.0")]


def test_only_the_file_that_mentions_an_annotation_is_read_again(tmp_path, monkeypatch):
    root, source = tree(tmp_path)
    read_again: list[str] = []
    original = Path.read_text

    def counting(self, *args, **kwargs):
        read_again.append(self.name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", counting)
    runtime = RulesRuntime.empty(root)
    make_plan(root, source, rules=runtime)
    assert read_again == ["held.yaml"]
    decisions = {use.file: selection.reason for use, selection in runtime.decisions}
    assert "held by annotation automator.dev/hold" in decisions["apps/held.yaml"]
