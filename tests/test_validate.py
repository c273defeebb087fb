"""``validate``: everything the tool reads is checked without a registry, strictly; the
project's own examples and every golden tree meant to be clean validate clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from automator.validate import validate

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "golden"
WORKLOAD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
{annotations}
spec:
  template:
    spec:
      containers:
      - name: podinfo
        image: ghcr.io/stefanprodan/podinfo:{image}
"""
POLICY = """\
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata: {name: podinfo, namespace: flux-system}
spec: {imageRepositoryRef: {name: podinfo}, policy: {semver: {range: 6.x}}}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata: {name: podinfo, namespace: flux-system}
spec: {image: ghcr.io/stefanprodan/podinfo}
"""


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def messages(result) -> list[tuple[str, str]]:
    return [(p.severity, p.message) for p in result.problems]


def test_a_clean_tree_validates_clean_and_lists_its_automated_images(tmp_path: Path) -> None:
    tree(tmp_path, {"apps/web.yaml": WORKLOAD.format(annotations='    fluxcd.io/automated: "true"\n    fluxcd.io/tag.podinfo: semver:~6.5', image="6.5.0")})
    result = validate(tmp_path)
    assert result.ok and result.problems == ()
    assert [(u.file, u.container) for u in result.uses] == [("apps/web.yaml", "podinfo")]


def test_typos_are_errors_in_validate(tmp_path: Path) -> None:
    tree(tmp_path, {"apps/web.yaml": WORKLOAD.format(annotations='    fluxcd.io/automated: "true"\n    fluxcd.io/tag.podnifo: semver:~6.5', image="6.5.0")})
    result = validate(tmp_path)
    assert not result.ok
    ((severity, message),) = messages(result)
    assert severity == "error" and message.startswith("apps/web.yaml:7: annotation fluxcd.io/tag.podnifo names no container")


def test_a_policy_that_does_not_parse_is_an_error_at_its_annotation(tmp_path: Path) -> None:
    tree(tmp_path, {"web.yaml": WORKLOAD.format(annotations="    automator.dev/policy: semver:>=1.2<2", image="6.5.0")})
    ((severity, message),) = messages(validate(tmp_path))
    assert severity == "error" and message.startswith("web.yaml:6: ") and "semver" in message
    assert message.count("web.yaml:6") == 1


def test_a_rules_file_against_the_schema(tmp_path: Path) -> None:
    tree(tmp_path, {".automator.yaml": "version: 1\nrules:\n- name: x\n  polcy: semver:*\n", "web.yaml": "kind: ConfigMap\n"})
    ((severity, message),) = messages(validate(tmp_path))
    assert severity == "error" and message.startswith(".automator.yaml:4: ")


def test_markers_under_a_sub_path_resolve_against_the_whole_repository(tmp_path: Path) -> None:
    tree(tmp_path, {
        "flux/policies.yaml": POLICY,
        "apps/values.yaml": 'image: ghcr.io/stefanprodan/podinfo:6.5.0 # {"$imagepolicy": "flux-system:podinfo"}\n',
    })
    result = validate(tmp_path, tmp_path / "apps")
    assert result.ok and result.problems == ()
    assert (result.path, [u.file for u in result.uses]) == ("apps", ["apps/values.yaml"])


def test_a_broken_flux_object_outside_the_path_is_a_warning_inside_it_an_error(tmp_path: Path) -> None:
    deep = POLICY.replace("spec: {imageRepositoryRef", "extra: " + "[" * 300 + "]" * 300 + "\nspec: {imageRepositoryRef", 1)
    tree(tmp_path, {"other-team/policies.yaml": deep, "apps/web.yaml": WORKLOAD.format(annotations='    fluxcd.io/automated: "true"', image="6.5.0")})
    outside = validate(tmp_path, tmp_path / "apps")
    assert outside.ok and [p.severity for p in outside.problems] == ["warning"]
    assert "outside apps; not used there" in outside.problems[0].message
    assert [p.severity for p in validate(tmp_path).problems] == ["error"]


def test_duplicate_keys_sops_and_unparseable_automation_are_errors(tmp_path: Path) -> None:
    automated = WORKLOAD.format(annotations='    fluxcd.io/automated: "true"', image="6.5.0")
    tree(tmp_path, {
        "dup.yaml": automated + "spec: {}\n",
        "sops.yaml": automated + "sops:\n  mac: ENC[x]\n",
        "broken.yaml": automated + "  x: [\n",
        "chart/templates/d.yaml": "image: {{ .Values.image }}\n",
    })
    found = sorted((p.file, p.severity) for p in validate(tmp_path).problems)
    assert found == [("broken.yaml", "error"), ("dup.yaml", "error"), ("sops.yaml", "error")]


def examples() -> list[Path]:
    return sorted(p for p in (REPO / "examples").iterdir() if p.is_dir())


@pytest.mark.parametrize("example", examples(), ids=lambda p: p.name)
def test_every_example_of_the_project_validates_clean(example: Path) -> None:
    result = validate(example)
    assert result.problems == (), [p.message for p in result.problems]


def golden_cases() -> list[tuple[str, int]]:
    """(case, expected validate exit): 1 for trees that hold an error on purpose (``exit_code``)
    or a typo that update only warns about (``validate_exit_code``)."""
    cases = []
    for case in sorted(p for p in GOLDEN.iterdir() if (p / "input").is_dir()):
        want = case / "validate_exit_code" if (case / "validate_exit_code").exists() else case / "exit_code"
        cases.append((case.name, int(want.read_text()) if want.exists() else 0))
    return cases


@pytest.mark.parametrize(("case", "want"), golden_cases(), ids=[c for c, _ in golden_cases()])
def test_every_golden_tree_validates_as_expected(case: str, want: int) -> None:
    for side in ("input", "expected"):
        result = validate(GOLDEN / case / side)
        assert (0 if result.ok else 1) == want, (side, [p.message for p in result.problems])
        if want == 0:
            assert result.problems == () or all(p.severity == "warning" for p in result.problems)


def test_argo_cd_applications_are_read_as_run_reads_them(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(GOLDEN / "argocd_overrides" / "input", tmp_path / "repo")
    clean = validate(tmp_path / "repo")
    assert clean.ok and any(u.dialect == "argocd" for u in clean.uses)
    shutil.rmtree(tmp_path / "repo" / "overlays")  # an Application whose path is gone
    broken = validate(tmp_path / "repo")
    assert [p.file for p in broken.errors] == ["apps/shop.yaml"]
    assert "its path 'overlays/prod' is not in this repository" in broken.errors[0].message


def test_an_unreadable_file_is_one_problem_named_from_the_root(tmp_path: Path, monkeypatch) -> None:
    # the Flux v2 catalog, the Argo CD tree and the manifests all read it: it is said once
    import os

    from automator.manifest import discover, treefiles

    root = tree(tmp_path, {"web.yaml": WORKLOAD.format(annotations='    fluxcd.io/automated: "true"', image="6.5.0"),
                           "secret.yaml": "argoproj.io Application image.toolkit.fluxcd.io ImagePolicy fluxcd.io/automated"})
    real = discover.read_bytes

    def refusing(path):
        if os.fspath(path).endswith("secret.yaml"):
            raise PermissionError(13, "Permission denied", path)
        return real(path)

    monkeypatch.setattr(discover, "read_bytes", refusing)
    monkeypatch.setattr(treefiles, "read_bytes", refusing)
    assert messages(validate(root)) == [("error", "secret.yaml: cannot read (Permission denied)")]
