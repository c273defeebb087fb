"""Flux v1 HelmReleases of every API group the Helm operator served.

Flux v1 read images from the values of any `HelmRelease` or `FluxHelmRelease`: the Helm
operator's first `flux.weave.works/v1beta1` HelmRelease and its `FluxHelmRelease`
(`helm.integrations.flux.weave.works/v1alpha2`) keep `spec.values` as later ones do, and are
automated the same way. A resource Flux v1 would not automate is a warning that names its
apiVersion and kind.
"""

from automator.manifest.locators import locate_text
from automator.run import make_plan
from automator.tagfile import FileTagSource

RELEASE = """\
apiVersion: {api}
kind: {kind}
metadata:
  name: sealed-secrets
  namespace: adm
  annotations:
    flux.weave.works/automated: "true"
    flux.weave.works/tag.chart-image: semver:~0.7
spec:
  releaseName: sealed-secrets
  values:
    image: quay.io/bitnami/sealed-secrets-controller:v0.7.0
"""


def test_the_helm_operators_first_api_groups_are_automated_like_the_later_ones():
    for api, kind in (
        ("flux.weave.works/v1beta1", "HelmRelease"),
        ("helm.integrations.flux.weave.works/v1alpha2", "FluxHelmRelease"),
        ("helm.fluxcd.io/v1", "HelmRelease"),
    ):
        located = locate_text("releases/sealed.yaml", RELEASE.format(api=api, kind=kind))
        assert located.problems == (), (api, located.problems)
        (use,) = located.uses
        assert (use.container, use.image.repository, use.image.tag, use.policy.spec) == (
            "chart-image", "quay.io/bitnami/sealed-secrets-controller", "v0.7.0", "semver:~0.7")
        assert use.workload == f"{kind}/adm/sealed-secrets"


def test_an_old_helm_release_is_planned_to_the_newest_tag_its_policy_allows(tmp_path):
    (tmp_path / "releases").mkdir()
    (tmp_path / "releases" / "sealed.yaml").write_text(RELEASE.format(api="flux.weave.works/v1beta1", kind="HelmRelease"))
    plan = make_plan(tmp_path, FileTagSource.parse('quay.io/bitnami/sealed-secrets-controller: ["v0.7.0", "v0.7.3"]', "t.yaml"))
    (update,) = plan.updates
    assert (update.from_tag, update.to_tag, update.new_text) == ("v0.7.0", "v0.7.3", "quay.io/bitnami/sealed-secrets-controller:v0.7.3")
    assert plan.problems == ()


def test_a_resource_flux_v1_does_not_automate_is_a_warning_naming_its_api_version_and_kind():
    other_group = locate_text("r.yaml", RELEASE.format(api="apps.example.com/v1", kind="HelmRelease"))
    (warning,) = other_group.problems
    assert warning.severity == "warning" and other_group.uses == ()
    assert warning.message == (
        "r.yaml:1: HelmRelease/adm/sealed-secrets (apps.example.com/v1, kind HelmRelease) is marked automated, but Flux v1 "
        "reads the values of HelmReleases of the API groups helm.fluxcd.io, helm.toolkit.fluxcd.io, flux.weave.works, "
        "helm.integrations.flux.weave.works only; ignored"
    )
    config = locate_text("c.yaml", RELEASE.format(api="v1", kind="ConfigMap"))
    (warning,) = config.problems
    assert warning.message.startswith("c.yaml:1: ConfigMap/adm/sealed-secrets (v1, kind ConfigMap) is marked automated, "
                                      "but Flux v1 automates only workloads (Deployment, StatefulSet,")
