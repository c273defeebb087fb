"""Helm chart templates of Flux image objects are passed over, never an error.

A chart may ship an ImageRepository or ImagePolicy as a template (`{{ .Release.Name }}`,
`{{- if ... }}`): it is no object until the chart is rendered, so the first pass notes the
file and reads nothing from it. Plain YAML that does not parse is still an error. A marker
naming a policy that is not in the tree says which templates were passed over.
"""

from pathlib import Path

from automator.manifest.fluxv2.automation import read_automations
from automator.manifest.fluxv2.tree import catalog_of
from automator.run import make_plan
from automator.tagfile import FileTagSource

CONDITIONAL_TEMPLATE = """\
{{- if .Values.imageAutomation.enabled }}
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata:
  name: {{ .Release.Name }}
spec:
  image: {{ .Values.image.repository }}
{{- end }}
"""
# this one parses as YAML (`{{ ... }}` reads as a flow mapping), and is a template all the same
PARSING_TEMPLATE = """\
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata:
  name: {{ .Release.Name }}
spec:
  imageRepositoryRef: {name: "{{ .Release.Name }}"}
  policy: {semver: {range: "{{ .Values.range }}"}}
"""
WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.25.3 # {"$imagepolicy": "flux-system:web"}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata: {name: web, namespace: flux-system}
spec: {image: nginx}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata: {name: web, namespace: flux-system}
spec:
  imageRepositoryRef: {name: web}
  policy: {semver: {range: ">=1.0.0"}}
"""


def test_templates_are_noted_and_not_read_while_broken_plain_yaml_is_an_error():
    broken = "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata: [not, a, mapping\n"
    commented = "# {{ a comment is no template }}\n" + broken
    catalog = catalog_of([
        ("charts/app/templates/imagerepository.yaml", CONDITIONAL_TEMPLATE),
        ("charts/app/templates/imagepolicy.yaml", PARSING_TEMPLATE),
        ("flux/broken.yaml", broken),
        ("flux/commented.yaml", commented),
    ])
    assert catalog.templates == ("charts/app/templates/imagerepository.yaml", "charts/app/templates/imagepolicy.yaml")
    assert len(catalog) == 0
    assert [(p.file, p.severity) for p in catalog.problems] == [("flux/broken.yaml", "error"), ("flux/commented.yaml", "error")]
    assert all("cannot read this Flux image object: YAML does not parse" in p.message for p in catalog.problems)


AUTOMATION = """\
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageUpdateAutomation
metadata: {name: %s, namespace: flux-system}
spec:
  sourceRef: {kind: GitRepository, name: flux-system}
  git:
    commit:
      author: {email: bot@example.com, name: bot}
      messageTemplate: |
        Automated image update
        {{range .Changed.Changes}}{{print .OldValue}} -> {{println .NewValue}}{{end}}
  update: {path: %s, strategy: Setters}
"""


def test_a_commit_message_template_does_not_make_an_automation_a_helm_template(tmp_path):
    real = AUTOMATION % ("flux-system", "./clusters/prod")
    templated = AUTOMATION % ("{{ .Release.Name }}", '"{{ .Values.path }}"')
    catalog = catalog_of([("clusters/prod/automation.yaml", real), ("charts/app/templates/automation.yaml", templated)])
    assert [scope.key for scope in catalog.scopes] == ["flux-system:flux-system"]
    assert catalog.templates == ("charts/app/templates/automation.yaml",) and catalog.problems == ()
    (tmp_path / "clusters" / "prod").mkdir(parents=True)
    (tmp_path / "clusters" / "prod" / "automation.yaml").write_text(real)
    (tmp_path / "charts" / "app" / "templates").mkdir(parents=True)
    (tmp_path / "charts" / "app" / "templates" / "automation.yaml").write_text(templated)
    assert [found.key for found in read_automations(tmp_path)] == ["flux-system:flux-system"]


def write_repository(root: Path) -> None:
    (root / "apps").mkdir()
    (root / "apps" / "web.yaml").write_text(WEB)
    (root / "charts" / "app" / "templates").mkdir(parents=True)
    (root / "charts" / "app" / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 0.1.0\n")
    (root / "charts" / "app" / "templates" / "imagerepository.yaml").write_text(CONDITIONAL_TEMPLATE)


def test_a_chart_template_beside_working_automation_leaves_the_plan_without_problems(tmp_path):
    write_repository(tmp_path)
    plan = make_plan(tmp_path, FileTagSource.parse('nginx: ["1.25.3", "1.25.4"]', "tags.yaml"))
    (update,) = plan.updates
    assert (update.use.file, update.from_tag, update.to_tag) == ("apps/web.yaml", "1.25.3", "1.25.4")
    assert plan.problems == ()


def test_a_marker_naming_an_unknown_policy_mentions_the_templates_passed_over(tmp_path):
    write_repository(tmp_path)
    web = tmp_path / "apps" / "web.yaml"
    web.write_text(WEB.replace('"flux-system:web"}', '"flux-system:app"}'))
    plan = make_plan(tmp_path, FileTagSource.parse('nginx: ["1.25.3", "1.25.4"]', "tags.yaml"))
    (warning,) = plan.problems
    assert warning.severity == "warning" and "names ImagePolicy flux-system:app, which is not in the scanned tree" in warning.message
    assert warning.message.endswith("; the Helm templates of Flux image objects in charts/app/templates/imagerepository.yaml "
                                    "are not read (their objects exist only once the chart is rendered)")
