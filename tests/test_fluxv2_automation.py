"""Flux ImageUpdateAutomation objects give `automator run` its defaults, and say what differs."""

from dataclasses import replace

from git_helpers import clone, git, isolated_git, make_remote, run_automator, show, write_tags  # noqa: F401 (autouse fixture)

from automator.manifest.fluxv2.automation import automation_of, covering, read_automations

AUTOMATION = """\
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageUpdateAutomation
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 30m
  sourceRef: {kind: GitRepository, name: flux-system}
  git:
    checkout:
      ref: {branch: main}
    commit:
      author: {email: fluxcdbot@users.noreply.github.com, name: fluxcdbot}
      messageTemplate: '{{range .Changed.Changes}}{{print .OldValue}} -> {{println .NewValue}}{{end}}'
    push: {branch: main}
  update:
    path: ./clusters/my-cluster
    strategy: Setters
"""


def test_an_automation_reads_path_branch_author_and_template(tmp_path):
    (tmp_path / "clusters" / "my-cluster").mkdir(parents=True)
    (tmp_path / "clusters" / "my-cluster" / "automation.yaml").write_text(AUTOMATION)
    (found,) = read_automations(tmp_path)
    assert (found.key, found.path, found.branch, found.push_branch) == ("flux-system:flux-system", "clusters/my-cluster", "main", "main")
    assert (found.author_name, found.author_email) == ("fluxcdbot", "fluxcdbot@users.noreply.github.com")
    assert not found.pushes_elsewhere
    (note,) = found.notes()
    assert "messageTemplate is a Go template and is not evaluated" in note


def test_pushing_to_another_branch_is_reported_as_not_supported():
    data = {"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImageUpdateAutomation", "metadata": {"name": "a"},
            "spec": {"git": {"checkout": {"ref": {"branch": "main"}}, "push": {"branch": "image-updates"}}}}
    found = automation_of("a.yaml", data)
    assert found.key == "default:a" and found.path == "" and found.pushes_elsewhere
    (note,) = found.notes()
    assert "pushing to another branch (image-updates, checked out from main) is not supported" in note
    assert "nothing is pushed for it unless --branch or --pr says where" in note


def test_the_automation_covering_a_path_is_the_nearest_or_the_only_one_inside_it():
    staging = automation_of("s.yaml", {"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImageUpdateAutomation",
                                       "metadata": {"name": "s"}, "spec": {"update": {"path": "./clusters/staging"}}})
    everything = automation_of("e.yaml", {"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImageUpdateAutomation",
                                          "metadata": {"name": "e"}, "spec": {"update": {"path": "./"}}})
    assert covering([staging], "clusters/staging/apps") is staging
    assert covering([staging], ".") is staging  # the only automation inside the repository root
    assert covering([staging], "clusters/production") is None
    assert covering([staging, everything], "clusters/staging/apps") is staging
    assert covering([staging, everything], "clusters/production") is everything


def test_other_objects_are_not_automations():
    assert automation_of("x.yaml", {"apiVersion": "apps/v1", "kind": "ImageUpdateAutomation"}) is None
    assert automation_of("x.yaml", ["not", "a", "mapping"]) is None


# --- automator run in a Flux v2 repository: no extra flags ------------------------------------


POLICY = """\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: app, namespace: flux-system}
spec: {image: ghcr.io/acme/app}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: app, namespace: flux-system}
spec:
  imageRepositoryRef: {name: app}
  policy: {semver: {range: 1.x}}
"""
MARKED = 'image: ghcr.io/acme/app:{tag} # {{"$imagepolicy": "flux-system:app"}}\n'


def flux_repository(tmp_path, automation=AUTOMATION):
    bare = make_remote(tmp_path, {
        "clusters/my-cluster/automation.yaml": automation,
        "clusters/my-cluster/policies.yaml": POLICY,
        "clusters/my-cluster/app.yaml": MARKED.format(tag="1.0.0"),
        "clusters/other/app.yaml": MARKED.format(tag="1.0.0"),
    })
    return bare, clone(bare, tmp_path / "work"), write_tags(tmp_path / "tags.json", {"ghcr.io/acme/app": ["1.0.0", "1.2.0"]})


def test_run_takes_path_branch_and_author_from_the_image_update_automation(tmp_path):
    bare, work, tags = flux_repository(tmp_path)
    done = run_automator(["run", ".", "--tags-from", str(tags)], cwd=work)
    assert done.returncode == 0, done.stderr
    assert show(bare, "clusters/my-cluster/app.yaml") == MARKED.format(tag="1.2.0").rstrip("\n")
    assert show(bare, "clusters/other/app.yaml") == MARKED.format(tag="1.0.0").rstrip("\n")  # outside spec.update.path
    assert git(bare, "log", "-1", "--format=%an <%ae>", "main") == "fluxcdbot <fluxcdbot@users.noreply.github.com>"
    assert "messageTemplate is a Go template and is not evaluated" in done.stderr


def test_command_line_options_win_over_the_automation(tmp_path):
    bare, work, tags = flux_repository(tmp_path)
    done = run_automator(["run", ".", "--tags-from", str(tags), "--author", "Bot <bot@example.com>"], cwd=work)
    assert done.returncode == 0, done.stderr
    assert git(bare, "log", "-1", "--format=%an <%ae>", "main") == "Bot <bot@example.com>"


def test_an_automation_pushing_to_another_branch_pushes_nothing_unless_told_where(tmp_path):
    bare, work, tags = flux_repository(tmp_path, AUTOMATION.replace("push: {branch: main}", "push: {branch: image-updates}"))
    before = git(bare, "rev-parse", "main")
    done = run_automator(["run", ".", "--tags-from", str(tags)], cwd=work)
    assert done.returncode == 0, done.stderr
    assert "pushing to another branch (image-updates, checked out from main) is not supported" in done.stderr
    assert git(bare, "rev-parse", "main") == before and git(bare, "branch", "--list", "image-updates") == ""


def test_a_push_refspec_is_reported_as_not_supported_naming_it():
    refspec = "refs/heads/main:refs/heads/flux-image-updates"
    data = {"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImageUpdateAutomation", "metadata": {"name": "a"},
            "spec": {"git": {"checkout": {"ref": {"branch": "main"}}, "push": {"branch": "main", "refspec": refspec}}}}
    found = automation_of("a.yaml", data)
    assert found.push_refspec == refspec and found.pushes_elsewhere
    (note,) = found.notes()
    assert f"pushing to the refspec {refspec} (checked out from main) is not supported" in note
    assert "nothing is pushed for it unless --branch or --pr says where" in note


def test_a_refspec_alone_is_where_flux_pushes():
    def pushing(refspec):
        return automation_of("a.yaml", {"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImageUpdateAutomation",
                                        "metadata": {"name": "a"},
                                        "spec": {"git": {"checkout": {"ref": {"branch": "main"}}, "push": {"refspec": refspec}}}})

    assert pushing("refs/heads/main:refs/heads/flux-image-updates").push_targets == ("flux-image-updates",)
    assert pushing("refs/heads/main:refs/heads/flux-image-updates").pushes_elsewhere
    assert not pushing("+HEAD:refs/heads/main").pushes_elsewhere  # the checkout branch itself


GIT_REPOSITORY = """\
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: flux-system, namespace: flux-system}
spec:
  interval: 1m
  ref: {branch: main}
  url: ssh://git@github.com/acme/fleet
"""
WITHOUT_CHECKOUT = AUTOMATION.replace("    checkout:\n      ref: {branch: main}\n", "")


def test_without_a_checkout_the_branch_is_that_of_the_git_repository_it_names(tmp_path):
    (tmp_path / "automation.yaml").write_text(WITHOUT_CHECKOUT + GIT_REPOSITORY)
    (found,) = read_automations(tmp_path)
    assert (found.branch, found.push_branch, found.pushes_elsewhere) == ("main", "main", False)
    assert not any("another branch" in note for note in found.notes())


def test_when_the_checkout_branch_is_unknown_the_push_is_compared_with_the_branch_the_run_is_on(tmp_path):
    (tmp_path / "automation.yaml").write_text(WITHOUT_CHECKOUT)
    (found,) = read_automations(tmp_path)
    assert found.branch is None and not found.pushes_elsewhere
    assert not replace(found, run_branch="main").pushes_elsewhere
    assert replace(found, run_branch="develop").pushes_elsewhere


def test_run_pushes_to_the_branch_of_the_git_repository_when_the_automation_has_no_checkout(tmp_path):
    bare, work, tags = flux_repository(tmp_path, WITHOUT_CHECKOUT + GIT_REPOSITORY)
    done = run_automator(["run", ".", "--tags-from", str(tags)], cwd=work)
    assert done.returncode == 0, done.stderr
    assert "another branch" not in done.stderr
    assert show(bare, "clusters/my-cluster/app.yaml") == MARKED.format(tag="1.2.0").rstrip("\n")


def test_an_automation_pushing_to_a_refspec_pushes_nothing_unless_told_where(tmp_path):
    refspec = "refs/heads/main:refs/heads/flux-image-updates"
    bare, work, tags = flux_repository(tmp_path, AUTOMATION.replace("push: {branch: main}", f"push: {{branch: main, refspec: '{refspec}'}}"))
    before = git(bare, "rev-parse", "main")
    done = run_automator(["run", ".", "--tags-from", str(tags)], cwd=work)
    assert done.returncode == 0, done.stderr
    assert f"pushing to the refspec {refspec} (checked out from main) is not supported" in done.stderr
    assert git(bare, "rev-parse", "main") == before and git(bare, "branch", "--list", "flux-image-updates") == ""


def test_run_pushes_to_the_push_branch_it_is_on_when_no_checkout_branch_is_known(tmp_path):
    bare, work, tags = flux_repository(tmp_path, WITHOUT_CHECKOUT)  # no GitRepository in the tree either
    done = run_automator(["run", ".", "--tags-from", str(tags)], cwd=work)
    assert done.returncode == 0, done.stderr
    assert "another branch" not in done.stderr
    assert show(bare, "clusters/my-cluster/app.yaml") == MARKED.format(tag="1.2.0").rstrip("\n")
