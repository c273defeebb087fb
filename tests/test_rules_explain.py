"""`automator explain` and `scan --rules` through the CLI, and freeze windows end to end."""

import json
from datetime import datetime, timezone
from pathlib import Path

from automator.cli import main
from automator.rules import RulesRuntime
from automator.run import make_plan
from automator.tagfile import FileTagSource

WORKLOADS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    automator.dev/policy: "semver:^1"
spec:
  template:
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:1.0.0
        - name: cache
          image: redis:1.2.0
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: db
  annotations:
    automator.dev/policy: "semver:^1"
    automator.dev/hold: "true"
spec:
  template:
    spec:
      containers:
        - name: db
          image: ghcr.io/acme/db:1.0.0
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: plain
spec:
  template:
    spec:
      containers:
        - name: plain
          image: nginx:1.25.0
"""
TAGS = """\
ghcr.io/acme/web:
  - {tag: 1.0.0, created: "2020-01-01T00:00:00Z"}
  - {tag: 1.1.0, created: "2020-02-01T00:00:00Z"}
  - {tag: 1.2.0, created: "2999-01-01T00:00:00Z"}
ghcr.io/acme/db: ["1.0.0", "1.0.1"]
redis: ["1.0.0", "1.2.0", "7.2.0"]
nginx: ["1.25.0", "1.25.3", "1.26.0"]
"""
RULES = """\
rules:
  - match: {images: nginx}
    policy: "semver:~1.25"
  - match: {images: ghcr.io/acme/*}
    min-age: 1d
"""


def env(tmp_path: Path) -> Path:
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "apps.yaml").write_text(WORKLOADS)
    (tmp_path / "env" / ".automator.yaml").write_text(RULES)
    (tmp_path / "tags.yaml").write_text(TAGS)
    return tmp_path


def run_cli(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_explain_says_why_each_image_moves_or_stays(tmp_path, capsys):
    base = env(tmp_path)
    code, out, _err = run_cli(capsys, "explain", str(base / "env"), "--tags-from", str(base / "tags.yaml"), "--json", "--no-cache")
    assert code == 0
    images = {(i["image"], i["container"]): i for i in json.loads(out)["images"]}
    web = images[("ghcr.io/acme/web", "web")]
    assert (web["verdict"], web["current"], web["to"], web["write"]) == ("moves", "1.0.0", "1.1.0", "commit")
    assert web["excluded"][0]["tag"] == "1.2.0" and "too new" in web["excluded"][0]["reason"]
    db = images[("ghcr.io/acme/db", "db")]
    assert (db["verdict"], db["to"]) == ("stays", "1.0.0")
    assert db["excluded"] == [{"tag": "1.0.1", "reason": "held by annotation automator.dev/hold"}]
    plain = images[("docker.io/library/nginx", "plain")]
    assert (plain["dialect"], plain["policy"], plain["verdict"], plain["to"]) == ("rules", "semver:~1.25", "moves", "1.25.3")
    redis = images[("docker.io/library/redis", "cache")]
    assert (redis["verdict"], redis["excluded"]) == ("stays", [{"tag": "7.2.0", "reason": "outside the range"}])


def test_explain_text_and_scan_agree(tmp_path, capsys):
    base = env(tmp_path)
    code, text, _ = run_cli(capsys, "explain", str(base / "env"), "--tags-from", str(base / "tags.yaml"), "--no-cache")
    assert code == 0
    assert "apps.yaml:28  ghcr.io/acme/db  (container db, native)\n  policy: semver:^1\n  stays: 1.0.0\n" in text
    assert "    1.0.1: held by annotation automator.dev/hold" in text
    code, out, _ = run_cli(capsys, "scan", str(base / "env"), "--tags-from", str(base / "tags.yaml"), "--json", "--no-cache")
    moved = sorted((u["image"], u["to"]) for u in json.loads(out)["updates"])
    assert moved == [("docker.io/library/nginx", "1.25.3"), ("ghcr.io/acme/web", "1.1.0")]


def test_rules_given_with_the_option_replace_the_found_file(tmp_path, capsys):
    base = env(tmp_path)
    (base / "strict.yaml").write_text("rules:\n  - hold: true\n")
    code, out, _ = run_cli(capsys, "scan", str(base / "env"), "--tags-from", str(base / "tags.yaml"),
                           "--rules", str(base / "strict.yaml"), "--json", "--no-cache")
    assert (code, json.loads(out)["updates"]) == (0, [])


def test_a_bad_rules_file_stops_with_its_line_and_exit_code_2(tmp_path, capsys):
    base = env(tmp_path)
    (base / "env" / ".automator.yaml").write_text("rules:\n  - match: {images: nginx}\n    min-age: soon\n")
    code, out, err = run_cli(capsys, "scan", str(base / "env"), "--tags-from", str(base / "tags.yaml"), "--no-cache")
    assert code == 2 and out == ""
    assert f"{base / 'env' / '.automator.yaml'}:3: invalid duration 'soon'" in err


def test_a_freeze_window_is_respected_and_ends(tmp_path):
    base = env(tmp_path)
    freeze = "  - freeze:\n      - {from: Fri 16:00, to: Mon 08:00, timezone: Europe/Berlin}\n"
    (base / "env" / ".automator.yaml").write_text(RULES + freeze)
    source = FileTagSource.load(base / "tags.yaml")

    def plan_at(when):
        rules = RulesRuntime.load(base / "env", clock=lambda: when)
        return rules, make_plan(base / "env", source, rules=rules)

    rules, frozen = plan_at(datetime(2026, 6, 5, 15, 0, tzinfo=timezone.utc))  # Fri 17:00 in Berlin
    assert frozen.updates == ()
    reasons = {use.container: selection.reason for use, selection in rules.decisions}
    assert reasons["web"] == "stays on 1.0.0: freeze window Fri 16:00 -> Mon 08:00 Europe/Berlin"
    _rules, monday = plan_at(datetime(2026, 6, 8, 6, 0, tzinfo=timezone.utc))  # Mon 08:00 in Berlin
    assert sorted(u.to_tag for u in monday.updates) == ["1.1.0", "1.25.3"]


def test_first_seen_times_are_kept_in_the_cache_dir(tmp_path, capsys):
    base = env(tmp_path)
    cache = tmp_path / "cache"
    run_cli(capsys, "scan", str(base / "env"), "--tags-from", str(base / "tags.yaml"), "--cache-dir", str(cache))
    seen = json.loads((cache / "first-seen.json").read_text())
    assert set(seen["ghcr.io/acme/db"]) == {"1.0.0", "1.0.1"}


def test_rules_do_not_opt_in_a_workload_that_carries_a_flux_v1_tag_annotation(tmp_path, capsys):
    for key in ("fluxcd.io/tag.plain", "filter.fluxcd.io/plain"):
        (tmp_path / key.replace("/", "_")).mkdir()
        base = env(tmp_path / key.replace("/", "_"))
        manifest = base / "env" / "apps.yaml"
        manifest.write_text(WORKLOADS.replace("  name: plain\n", f"  name: plain\n  annotations:\n    {key}: semver:~1.26\n"))
        code, out, _ = run_cli(capsys, "scan", str(base / "env"), "--tags-from", str(base / "tags.yaml"), "--json", "--no-cache")
        assert code == 0
        assert "docker.io/library/nginx" not in [u["image"] for u in json.loads(out)["updates"]], key
