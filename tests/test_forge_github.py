"""ensure_pull_requests against GitHub: PyGithub talking to a strict local fake, real git remotes."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from forge_fake_github import FakeGitHub
from forge_helpers import deployment, git, make_env_repo, plan_for, tags

from automator.errors import ForgeError
from automator.forge import GitHubForge, Settings, ensure_pull_requests
from automator.forge.body import fingerprint, parse_marker, render_body
from automator.git.branch import BranchPusher
from automator.model import Plan

APP = "clusters/prod/app.yaml"
BRANCH = "automator/clusters-prod/all"
WRITE_TOKEN = "ghp_" + "w" * 36
READ_TOKEN = "ghp_" + "r" * 36
SETTINGS = Settings(env_path="clusters/prod", base="main")


@pytest.fixture
def env(tmp_path):
    return make_env_repo(tmp_path, {APP: deployment()})


@pytest.fixture
def github(env):
    fake = FakeGitHub("acme/env", tokens={WRITE_TOKEN: "write", READ_TOKEN: "read"}, branch_exists=env.branch_exists)
    yield fake
    fake.close()
    assert fake.unexpected == [], "requests the fake does not implement"


def forge(fake, *, token=WRITE_TOKEN, variable="GITHUB_TOKEN", sleeps=None, method="merge"):
    sleep = (sleeps.append if sleeps is not None else _no_sleep)
    return GitHubForge(api_url=fake.base, slug="acme/env", token=token, token_variable=variable, sleep=sleep, throttle=False, auto_merge_method=method)


def _no_sleep(seconds):
    raise AssertionError(f"unexpected back-off of {seconds}s")


def writer(env, clone=None):
    return BranchPusher(clone or env.clone, base="main")


def run(env, fake, plan, settings=SETTINGS, **kwargs):
    return ensure_pull_requests(forge(fake, **kwargs), writer(env), plan, settings)


def podinfo_to(env, tag):
    return plan_for(env.clone, tags(podinfo=tag))


def test_first_run_pushes_a_branch_and_opens_one_pull_request(env, github):
    plan = podinfo_to(env, "6.5.1")
    [outcome] = run(env, github, plan)

    assert (outcome.action, outcome.branch) == ("created", BRANCH)
    assert "image: ghcr.io/acme/podinfo:6.5.1" in env.show(BRANCH, APP)
    assert "image: ghcr.io/acme/podinfo:6.5.0" in env.show("main", APP), "the base is not touched"
    [pull] = github.open_pulls()
    assert (pull["head"], pull["base"]) == (BRANCH, "main")
    assert pull["title"] == "Update podinfo to 6.5.1 in clusters/prod"
    assert "| `clusters/prod/app.yaml:14` | `ghcr.io/acme/podinfo` | `6.5.0` -> `6.5.1` | `semver:^6` |" in pull["body"]
    marker = parse_marker(pull["body"])
    assert (marker.env, marker.branch, marker.fingerprint) == ("clusters/prod", BRANCH, fingerprint(plan.updates))
    assert outcome.pr.url == f"https://github.example/acme/env/pull/{pull['number']}"
    assert outcome.change().pr_url == outcome.pr.url


def test_second_run_with_the_same_plan_makes_no_api_writes_and_no_push(env, github):
    run(env, github, podinfo_to(env, "6.5.1"))
    seen, tip = len(github.requests), env.sha(BRANCH)

    [outcome] = run(env, github, podinfo_to(env, "6.5.1"))

    assert outcome.action == "unchanged"
    assert [r for r in github.requests[seen:] if r.is_write] == []
    assert env.sha(BRANCH) == tip


def test_changed_plan_updates_the_same_pull_request_and_rewrites_our_branch(env, github):
    [first] = run(env, github, podinfo_to(env, "6.5.1"))

    [second] = run(env, github, podinfo_to(env, "6.6.0"))

    assert second.action == "updated"
    assert second.pr.number == first.pr.number
    [pull] = github.open_pulls()
    assert pull["title"] == "Update podinfo to 6.6.0 in clusters/prod"
    assert "`6.5.0` -> `6.6.0`" in pull["body"] and "6.5.1" not in pull["body"]
    assert "podinfo:6.6.0" in env.show(BRANCH, APP)
    assert env.sha("main") == env.sha(f"{BRANCH}~1"), "one commit on top of the base, not a pile of fixups"


def test_base_already_has_the_update_so_the_pull_request_is_closed_with_a_comment(env, github):
    [created] = run(env, github, podinfo_to(env, "6.5.1"))
    env.commit_on_main(APP, deployment(podinfo="ghcr.io/acme/podinfo:6.5.1"))

    [closed] = run(env, github, Plan())

    assert closed.action == "closed" and closed.pr.number == created.pr.number
    assert github.open_pulls() == []
    [(number, comment)] = github.comments
    assert number == created.pr.number and "already has these updates" in comment
    assert not env.branch_exists(BRANCH), "the branch of a closed pull request is deleted"


def test_a_stale_pull_request_stays_open_when_this_run_could_not_check_its_image(env, github):
    run(env, github, podinfo_to(env, "6.5.1"))
    failing = plan_for(env.clone, {"redis": ["7.2.3"]})  # the registry had nothing for podinfo
    assert failing.errors and not failing.updates

    [kept] = run(env, github, failing)

    assert kept.action == "kept"
    assert len(github.open_pulls()) == 1 and env.branch_exists(BRANCH)


def test_one_pull_request_per_image_and_the_obsolete_one_is_closed(env, github):
    both = plan_for(env.clone, tags(podinfo="6.5.1", redis="7.2.4"))
    created = run(env, github, both, Settings(env_path="clusters/prod", base="main", per="image"))
    assert sorted(o.branch for o in created) == ["automator/clusters-prod/podinfo", "automator/clusters-prod/redis"]
    assert "redis:7.2.3" in env.show("automator/clusters-prod/podinfo", APP), "each branch carries only its image"

    outcomes = run(env, github, podinfo_to(env, "6.5.1"), Settings(env_path="clusters/prod", base="main", per="image"))

    assert {(o.action, o.branch) for o in outcomes} == {
        ("unchanged", "automator/clusters-prod/podinfo"),
        ("closed", "automator/clusters-prod/redis"),
    }
    assert [p["head"] for p in github.open_pulls()] == ["automator/clusters-prod/podinfo"]


def test_two_concurrent_runs_end_with_one_pull_request(env, github, tmp_path):
    clones = [env.clone, env.another_clone(tmp_path / "second")]
    github.gate("GET", r"/repos/acme/env/pulls", parties=2)  # both look before either creates
    results: list = [None, None]

    def one_run(i):
        plan = plan_for(clones[i], tags(podinfo="6.5.1"))
        results[i] = ensure_pull_requests(forge(github), writer(env, clones[i]), plan, SETTINGS)

    threads = [threading.Thread(target=one_run, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    actions = sorted(o.action for outcomes in results for o in outcomes)
    assert actions == ["created", "unchanged"]
    assert len(github.pulls) == 1 and len(github.open_pulls()) == 1
    creates = [r for r in github.requests if r.method == "POST" and r.path == "/repos/acme/env/pulls"]
    assert len(creates) == 2, "the loser was refused with 422 and adopted the winner's pull request"
    assert env.sha("main") == env.sha(f"{BRANCH}~1"), "the loser's push found the same tree and adopted it"


def test_new_pull_requests_get_labels_reviewers_assignees_draft_and_auto_merge(env, github):
    settings = Settings(
        env_path="clusters/prod", base="main", labels=("automated", "images"), reviewers=("alice", "acme/platform"),
        assignees=("bob",), draft=True, auto_merge=True,
    )
    [outcome] = run(env, github, podinfo_to(env, "6.5.1"), settings, method="squash")

    assert outcome.warnings == ()
    [pull] = github.open_pulls()
    assert pull["draft"] is True
    assert (pull["labels"], pull["reviewers"], pull["assignees"]) == (["automated", "images"], ["alice"], ["bob"])
    review = next(r for r in github.requests if r.path.endswith("/requested_reviewers"))
    assert review.body == {"reviewers": ["alice"], "team_reviewers": ["platform"]}
    [auto] = github.auto_merge
    assert auto == {"pullRequestId": f"PR_node{pull['number']}", "mergeMethod": "SQUASH"}


def test_an_open_pull_request_without_our_marker_is_left_alone(env, github):
    run(env, github, podinfo_to(env, "6.5.1"))
    github.pulls[1]["body"] = "hand-written description"
    seen, tip = len(github.requests), env.sha(BRANCH)

    [outcome] = run(env, github, podinfo_to(env, "6.6.0"))

    assert outcome.action == "failed" and "not opened by Deployment Automator" in outcome.error
    assert [r for r in github.requests[seen:] if r.is_write] == [] and env.sha(BRANCH) == tip


def test_a_foreign_branch_with_the_same_name_is_never_overwritten(env, github, tmp_path):
    settings = Settings(env_path="clusters/prod", base="main", template="{env}-{image}")
    git(env.clone, "push", "--quiet", "origin", "main:refs/heads/clusters-prod-all")
    tip = env.sha("clusters-prod-all")

    [outcome] = run(env, github, podinfo_to(env, "6.5.1"), settings)

    assert outcome.action == "failed" and "was not created by Deployment Automator" in outcome.error
    assert env.sha("clusters-prod-all") == tip and github.writes() == []


@pytest.mark.parametrize(
    ("token", "variable", "expected"),
    [
        ("ghp_" + "x" * 36, "GH_TOKEN", "the token in GH_TOKEN is invalid or expired"),
        (READ_TOKEN, "GITHUB_TOKEN", "the token in GITHUB_TOKEN lacks `pull-requests: write`"),
        (None, None, "no token was given"),
    ],
)
def test_refusals_name_the_token_variable_and_the_missing_permission(env, github, token, variable, expected):
    [outcome] = run(env, github, podinfo_to(env, "6.5.1"), token=token, variable=variable)

    assert outcome.action == "failed"
    assert expected in outcome.error
    assert token is None or token not in outcome.error


def test_secondary_rate_limit_backs_off_for_retry_after_and_retries(env, github):
    github.inject("POST", r"/repos/acme/env/pulls", 403, {"message": "You have exceeded a secondary rate limit."}, {"Retry-After": "7"})
    sleeps: list[float] = []

    [outcome] = run(env, github, podinfo_to(env, "6.5.1"), sleeps=sleeps)

    assert outcome.action == "created"
    assert sleeps == [7.0]
    assert len(github.open_pulls()) == 1


def test_rate_limit_retries_are_bounded(env, github):
    github.inject("POST", r"/repos/acme/env/pulls", 429, {"message": "API rate limit exceeded"}, {"Retry-After": "1"}, times=99)
    sleeps: list[float] = []

    [outcome] = run(env, github, podinfo_to(env, "6.5.1"), sleeps=sleeps)

    assert outcome.action == "failed" and "gave up after 4 attempts" in outcome.error
    assert sleeps == [1.0, 1.0, 1.0]
    assert github.open_pulls() == []


def test_githubs_422_reason_is_shown_in_the_error(env, github):
    run(env, github, podinfo_to(env, "6.5.1"))
    github_forge = forge(github)
    with pytest.raises(ForgeError) as exists:
        github_forge.create(branch=BRANCH, base="main", title="t", body="b", draft=False)
    assert f"(422 Validation Failed: A pull request already exists for acme:{BRANCH}.)" in str(exists.value)
    with pytest.raises(ForgeError) as invalid:
        github_forge.create(branch="no-such-branch", base="main", title="t", body="b", draft=False)
    assert "(422 Validation Failed: PullRequest head invalid)" in str(invalid.value)


def test_a_failed_close_does_not_post_its_comment_again(env, github):
    [created] = run(env, github, podinfo_to(env, "6.5.1"))
    env.commit_on_main(APP, deployment(podinfo="ghcr.io/acme/podinfo:6.5.1"))
    github.inject("PATCH", rf"/repos/acme/env/pulls/{created.pr.number}", 502, {"message": "Server Error"})

    failed = run(env, github, Plan())
    assert [o.action for o in failed] == ["failed"] and "502" in failed[0].error
    assert len(github.open_pulls()) == 1 and len(github.comments) == 1

    [closed] = run(env, github, Plan())
    assert closed.action == "closed" and github.open_pulls() == []
    [(number, comment)] = github.comments
    assert number == created.pr.number and "already has these updates" in comment


def test_a_body_longer_than_github_allows_is_shortened_with_a_note(env, github):
    plan = podinfo_to(env, "6.5.1")
    long = Plan(updates=tuple(replace(u, reason="x" * 70_000) for u in plan.updates))

    [outcome] = run(env, github, long)

    assert outcome.action == "created"
    [pull] = github.open_pulls()
    assert len(pull["body"]) <= 65_536 < len(render_body(long.updates, env_path="clusters/prod", branch=BRANCH))
    assert "**1 of 1 updates are not listed here**" in pull["body"] and "65,536 characters" in pull["body"]
    assert parse_marker(pull["body"]).fingerprint == fingerprint(long.updates)
    [again] = run(env, github, long)
    assert again.action == "unchanged", "the shortened body still identifies the plan"
