"""Where a refused pattern came from decides the exit code: the command line or a rules file is
a configuration error (exit 2, nothing done); a manifest's annotation or a Flux v2 object spoils
only its image (exit 1, everything else still done). Run as users run it."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  annotations:
    fluxcd.io/automated: "true"
    fluxcd.io/tag.app: {policy}
spec:
  template:
    spec:
      containers:
      - name: app
        image: ghcr.io/acme/{name}:1.0.0
"""
FLUX_V2 = """apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata: {name: api, namespace: flux-system}
spec:
  imageRepositoryRef: {name: api}
  filterTags: {pattern: '^(?P<v>[0-9.]+)(?=-final)', extract: '$v'}
  policy: {semver: {range: '^1'}}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata: {name: api, namespace: flux-system}
spec: {image: ghcr.io/acme/api}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      containers:
      - name: api
        image: ghcr.io/acme/api:1.0.0 # {"$imagepolicy": "flux-system:api"}
"""


def automator(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "automator", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=60, cwd=ROOT)


def test_a_refused_policy_or_filter_on_the_command_line_exits_2():
    policy = automator("select", "regex:^v(?=1)", "v1")
    assert (policy.returncode, policy.stdout) == (2, "")
    assert "invalid regular expression '^v(?=1)': not Go/RE2 syntax" in policy.stderr
    assert "no lookahead or lookbehind" in policy.stderr
    filtered = automator("select", "numerical", "--filter", r"^(\d+)-\1$", "1-1")
    assert (filtered.returncode, filtered.stdout) == (2, "")
    assert r"invalid filter regex '^(\\d+)-\\1$': not Go/RE2 syntax" in filtered.stderr


def test_a_go_pattern_on_the_command_line_means_what_it_means_in_go():
    posix = automator("select", "regex:^[[:digit:]]+$", "123", "v1", "abc")
    assert (posix.returncode, posix.stdout) == (0, "123\n")
    literal = automator("select", "regex:^a{,2}$", "aa", "a{,2}")
    assert (literal.returncode, literal.stdout) == (0, "a{,2}\n")


def test_a_refused_pattern_in_a_rules_file_exits_2_naming_its_line(tmp_path: Path):
    env = tmp_path / "env"
    env.mkdir()
    (env / "web.yaml").write_text(DEPLOY.format(name="web", policy="semver:^1"))
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - match: {paths: '**'}\n    policy: 'regex:^(?!rc)'\n")
    tags = tmp_path / "tags.yaml"
    tags.write_text("ghcr.io/acme/web: [1.0.0, 1.1.0]\n")
    result = automator("update", str(env), "--tags-from", str(tags), "--rules", str(rules))
    assert result.returncode == 2
    assert "rules.yaml:3" in result.stderr and "not Go/RE2 syntax" in result.stderr
    assert "1.0.0" in (env / "web.yaml").read_text()


def test_a_refused_pattern_in_a_manifest_spoils_only_its_image(tmp_path: Path):
    env = tmp_path / "env"
    env.mkdir()
    (env / "web.yaml").write_text(DEPLOY.format(name="web", policy="semver:^1"))
    (env / "bad.yaml").write_text(DEPLOY.format(name="bad", policy="'regex:^(a)\\1'"))
    (env / "flux.yaml").write_text(FLUX_V2)
    tags = tmp_path / "tags.yaml"
    tags.write_text("ghcr.io/acme/web: [1.0.0, 1.1.0]\nghcr.io/acme/bad: [1.0.0, aa]\nghcr.io/acme/api: [1.0.0, 1.1.0-final]\n")
    scan = automator("scan", str(env), "--tags-from", str(tags), "--json")
    assert scan.returncode == 1
    report = json.loads(scan.stdout)
    errors = {e["image"]: e["message"] for e in report["errors"]}
    assert set(errors) == {"ghcr.io/acme/bad", "ghcr.io/acme/api"}
    assert "not Go/RE2 syntax" in errors["ghcr.io/acme/bad"] and "no backreferences" in errors["ghcr.io/acme/bad"]
    assert "not Go/RE2 syntax" in errors["ghcr.io/acme/api"] and "no lookahead" in errors["ghcr.io/acme/api"]
    update = automator("update", str(env), "--tags-from", str(tags))
    assert update.returncode == 1
    assert "ghcr.io/acme/web:1.1.0" in (env / "web.yaml").read_text()
    assert "ghcr.io/acme/bad:1.0.0" in (env / "bad.yaml").read_text()
