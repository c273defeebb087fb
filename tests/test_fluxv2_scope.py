"""Which ImagePolicies apply where: an ImageUpdateAutomation applies only the ImagePolicies of
its own namespace that its policySelector selects, to the files under its spec.update.path."""

from pathlib import Path

from automator.manifest.fluxv2.tree import catalog_of
from automator.run import make_plan
from automator.tagfile import FileTagSource


def objects(namespace: str, name: str, labels: str = "{}") -> str:
    return f"""\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {{name: {name}, namespace: {namespace}}}
spec: {{image: ghcr.io/acme/app}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {{name: {name}, namespace: {namespace}, labels: {labels}}}
spec:
  imageRepositoryRef: {{name: {name}}}
  policy: {{semver: {{range: ">=1.0.0"}}}}
"""


def automation(path: str = "./clusters/prod", selector: str = "") -> str:
    return f"""\
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageUpdateAutomation
metadata: {{name: flux-system, namespace: flux-system}}
spec:
  sourceRef: {{kind: GitRepository, name: flux-system}}
  git:
    checkout: {{ref: {{branch: main}}}}
    push: {{branch: main}}
  update: {{path: {path}, strategy: Setters}}
{selector}"""


DEPLOY = """\
kind: Deployment
metadata: {name: app, namespace: default}
spec:
  template:
    spec:
      containers:
        - name: app
          image: ghcr.io/acme/app:1.0.0 # {"$imagepolicy": "flux-system:app"}
        - name: web
          image: ghcr.io/acme/app:1.0.0 # {"$imagepolicy": "tenant-a:web"}
"""


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def planned(root: Path) -> list[tuple[str, int]]:
    plan = make_plan(root, FileTagSource.parse("ghcr.io/acme/app: [1.0.0, 1.2.0]", "tags.yaml"))
    return sorted((u.use.file, u.use.line) for u in plan.updates), plan


def test_markers_naming_a_policy_of_another_namespace_than_the_covering_automation_stay(tmp_path):
    write(tmp_path, {
        "clusters/prod/flux-system/automation.yaml": automation(),
        "clusters/prod/flux-system/images.yaml": objects("flux-system", "app"),
        "clusters/prod/tenant/images.yaml": objects("tenant-a", "web"),
        "clusters/prod/apps/deploy.yaml": DEPLOY,
        "clusters/staging/deploy.yaml": DEPLOY,  # no automation covers it: every namespace's policies apply
    })

    updates, plan = planned(tmp_path)

    assert updates == [("clusters/prod/apps/deploy.yaml", 8), ("clusters/staging/deploy.yaml", 8), ("clusters/staging/deploy.yaml", 10)]
    (skipped,) = [p for p in plan.problems if p.file == "clusters/prod/apps/deploy.yaml"]
    assert skipped.severity == "warning" and skipped.line == 10
    assert skipped.message == (
        "clusters/prod/apps/deploy.yaml:10: marker 'tenant-a:web' is left alone: the ImageUpdateAutomation covering it "
        "(flux-system:flux-system (clusters/prod/flux-system/automation.yaml)) applies only the ImagePolicies of its own "
        "namespace that its policySelector selects, and ImagePolicy tenant-a:web is not one of them"
    )


def test_a_policy_selector_narrows_the_policies_of_the_namespace(tmp_path):
    selector = ("  policySelector:\n    matchLabels: {team: a}\n"
                "    matchExpressions:\n      - {key: tier, operator: NotIn, values: [experimental]}\n")
    text = "\n".join([
        "---\n" + objects("flux-system", "app", "{team: a}"),
        "---\n" + objects("flux-system", "other", "{team: b}"),
        "---\n" + objects("flux-system", "trial", "{team: a, tier: experimental}"),
        "---\n" + automation(path="./", selector=selector),
    ])
    catalog = catalog_of([("flux/objects.yaml", text)])

    def left_alone(name):
        return catalog.left_alone(catalog.get(f"flux-system:{name}"), "apps/deploy.yaml")

    assert left_alone("app") == ""
    assert "policySelector" in left_alone("other")
    assert "policySelector" in left_alone("trial")
