"""ensure_pull_requests against GitLab: python-gitlab talking to a strict local fake, real git."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from forge_fake_gitlab import FakeGitLab
from forge_helpers import deployment, make_env_repo, plan_for, tags

from automator.errors import ForgeError
from automator.forge import GitLabForge, Settings, ensure_pull_requests
from automator.forge.body import fingerprint, parse_marker
from automator.git.branch import BranchPusher
from automator.model import Plan

APP = "clusters/prod/app.yaml"
BRANCH = "automator/clusters-prod/all"
API_TOKEN = "glpat-" + "a" * 20
READ_TOKEN = "glpat-" + "r" * 20
JOB_TOKEN = "job-" + "j" * 20
SETTINGS = Settings(env_path="clusters/prod", base="main")


@pytest.fixture
def env(tmp_path):
    return make_env_repo(tmp_path, {APP: deployment()})


@pytest.fixture
def gitlab(env):
    fake = FakeGitLab(
        "platform/team/env",
        tokens={API_TOKEN: "api", READ_TOKEN: "read_api", JOB_TOKEN: "job"},
        branch_exists=env.branch_exists,
        users={"alice": 11, "bob": 12},
    )
    yield fake
    fake.close()
    assert fake.unexpected == [], "requests the fake does not implement"


def run(env, fake, plan, settings=SETTINGS, *, token=API_TOKEN, variable="GITLAB_TOKEN", clone=None, method="merge"):
    forge = GitLabForge(api_url=fake.base, slug="platform/team/env", token=token, token_variable=variable, auto_merge_method=method)
    return ensure_pull_requests(forge, BranchPusher(clone or env.clone, base="main"), plan, settings)


def podinfo_to(env, tag, clone=None):
    return plan_for(clone or env.clone, tags(podinfo=tag))


def test_first_run_opens_a_merge_request_for_the_pushed_branch(env, gitlab):
    [outcome] = run(env, gitlab, podinfo_to(env, "6.5.1"))

    assert outcome.action == "created"
    [mr] = gitlab.open_mrs()
    assert (mr["source_branch"], mr["target_branch"]) == (BRANCH, "main")
    assert mr["title"] == "Update podinfo to 6.5.1 in clusters/prod"
    assert parse_marker(mr["description"]).branch == BRANCH
    assert "podinfo:6.5.1" in env.show(BRANCH, APP)
    assert outcome.pr.url == "https://gitlab.example/platform/team/env/-/merge_requests/1"


def test_same_plan_twice_writes_nothing_the_second_time(env, gitlab):
    run(env, gitlab, podinfo_to(env, "6.5.1"))
    seen, tip = len(gitlab.requests), env.sha(BRANCH)

    [outcome] = run(env, gitlab, podinfo_to(env, "6.5.1"))

    assert outcome.action == "unchanged"
    assert [r for r in gitlab.requests[seen:] if r.is_write] == [] and env.sha(BRANCH) == tip


def test_changed_plan_edits_the_same_merge_request_and_keeps_the_draft_prefix(env, gitlab):
    draft = Settings(env_path="clusters/prod", base="main", draft=True)
    run(env, gitlab, podinfo_to(env, "6.5.1"), draft)

    [outcome] = run(env, gitlab, podinfo_to(env, "6.6.0"), draft)

    assert outcome.action == "updated" and outcome.pr.number == 1
    [mr] = gitlab.open_mrs()
    assert mr["title"] == "Draft: Update podinfo to 6.6.0 in clusters/prod"
    assert "podinfo:6.6.0" in env.show(BRANCH, APP)


def test_merge_request_is_closed_with_a_note_when_the_base_has_the_update(env, gitlab):
    run(env, gitlab, podinfo_to(env, "6.5.1"))
    env.commit_on_main(APP, deployment(podinfo="ghcr.io/acme/podinfo:6.5.1"))

    [outcome] = run(env, gitlab, Plan())

    assert outcome.action == "closed"
    assert gitlab.open_mrs() == [] and gitlab.mrs[1]["state"] == "closed"
    [(iid, note)] = gitlab.notes
    assert iid == 1 and "already has these updates" in note and "merge request" in note


def test_two_concurrent_runs_end_with_one_merge_request(env, gitlab, tmp_path):
    clones = [env.clone, env.another_clone(tmp_path / "second")]
    gitlab.gate("GET", r"/api/v4/projects/platform%2Fteam%2Fenv/merge_requests", parties=2)
    results: list = [None, None]

    def one_run(i):
        results[i] = run(env, gitlab, podinfo_to(env, "6.5.1", clones[i]), clone=clones[i])

    threads = [threading.Thread(target=one_run, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert sorted(o.action for outcomes in results for o in outcomes) == ["created", "unchanged"]
    assert len(gitlab.mrs) == 1


def test_labels_reviewers_assignees_and_merge_when_pipeline_succeeds(env, gitlab):
    settings = Settings(
        env_path="clusters/prod", base="main", labels=("automated",), reviewers=("alice",), assignees=("@bob",), auto_merge=True
    )
    [outcome] = run(env, gitlab, podinfo_to(env, "6.5.1"), settings)

    assert outcome.warnings == ()
    mr = gitlab.mrs[1]
    assert (mr["labels"], mr["reviewer_ids"], mr["assignee_ids"], mr["mwps"]) == (["automated"], [11], [12], True)


def test_auto_merge_squash_asks_gitlab_to_squash_when_it_merges(env, gitlab):
    settings = Settings(env_path="clusters/prod", base="main", auto_merge=True)
    [outcome] = run(env, gitlab, podinfo_to(env, "6.5.1"), settings, method="squash")

    assert outcome.warnings == ()
    [merge] = [r for r in gitlab.requests if r.path.endswith("/merge")]
    assert merge.body == {"merge_when_pipeline_succeeds": True, "squash": True}
    assert (gitlab.mrs[1]["mwps"], gitlab.mrs[1]["squash"]) == (True, True)


def test_auto_merge_rebase_merges_by_the_projects_method_and_says_so(env, gitlab):
    settings = Settings(env_path="clusters/prod", base="main", auto_merge=True)
    [outcome] = run(env, gitlab, podinfo_to(env, "6.5.1"), settings, method="rebase")

    assert outcome.action == "created" and gitlab.mrs[1]["mwps"] is True
    [warning] = outcome.warnings
    assert "by the project's merge method" in warning and "cannot take --auto-merge rebase" in warning


def test_the_description_speaks_of_a_merge_request(env, gitlab):
    run(env, gitlab, podinfo_to(env, "6.5.1"))

    assert gitlab.mrs[1]["description"].startswith("This merge request moves automated images in `clusters/prod`")


def test_an_unknown_reviewer_is_a_warning_not_a_failure(env, gitlab):
    settings = Settings(env_path="clusters/prod", base="main", reviewers=("nobody",))
    [outcome] = run(env, gitlab, podinfo_to(env, "6.5.1"), settings)

    assert outcome.action == "created"
    assert outcome.warnings == ("GitLab has no user named 'nobody' (check --reviewer/--assignee)",)


@pytest.mark.parametrize(
    ("token", "variable", "expected"),
    [
        ("glpat-" + "x" * 20, "GITLAB_TOKEN", "(401 Unauthorized): the token in GITLAB_TOKEN is invalid or expired"),
        (READ_TOKEN, "GITLAB_TOKEN", "the token in GITLAB_TOKEN lacks the `api` scope"),
        (JOB_TOKEN, "CI_JOB_TOKEN", "CI_JOB_TOKEN cannot manage merge requests (put a project access token with the `api` scope"),
    ],
)
def test_refusals_name_the_token_variable_and_the_scope(env, gitlab, token, variable, expected):
    [outcome] = run(env, gitlab, podinfo_to(env, "6.5.1"), token=token, variable=variable)

    assert outcome.action == "failed"
    assert expected in outcome.error
    assert token not in outcome.error


def test_job_token_is_sent_in_the_job_token_header(env, gitlab):
    run(env, gitlab, podinfo_to(env, "6.5.1"), token=JOB_TOKEN, variable="CI_JOB_TOKEN")

    first = gitlab.requests[0]
    assert first.headers.get("job-token") == JOB_TOKEN and "private-token" not in first.headers


def test_429_is_retried_after_the_retry_after_delay(env, gitlab):
    gitlab.inject("POST", r"/api/v4/projects/platform%2Fteam%2Fenv/merge_requests", 429, {"message": "429 Too Many Requests"}, {"Retry-After": "0"})

    [outcome] = run(env, gitlab, podinfo_to(env, "6.5.1"))

    assert outcome.action == "created"
    posts = [r for r in gitlab.requests if r.method == "POST" and r.path.endswith("/merge_requests")]
    assert len(posts) == 2 and len(gitlab.open_mrs()) == 1


def test_429_retries_are_bounded(env, gitlab):
    gitlab.inject("POST", r"/api/v4/projects/platform%2Fteam%2Fenv/merge_requests", 429, {"message": "429 Too Many Requests"}, {"Retry-After": "0"}, times=99)

    [outcome] = run(env, gitlab, podinfo_to(env, "6.5.1"))

    assert outcome.action == "failed"
    assert "GitLab kept rate-limiting the request to create a merge request for automator/clusters-prod/all (429 Too Many Requests)" in outcome.error
    assert "gave up after 4 attempts (run again later or space out the runs)" in outcome.error
    posts = [r for r in gitlab.requests if r.method == "POST" and r.path.endswith("/merge_requests")]
    assert len(posts) == 4


def test_a_failed_close_does_not_post_its_note_again(env, gitlab):
    run(env, gitlab, podinfo_to(env, "6.5.1"))
    env.commit_on_main(APP, deployment(podinfo="ghcr.io/acme/podinfo:6.5.1"))
    gitlab.inject("PUT", r"/api/v4/projects/platform%2Fteam%2Fenv/merge_requests/1", 502, {"message": "502 Bad Gateway"})

    failed = run(env, gitlab, Plan())
    assert [o.action for o in failed] == ["failed"] and "502" in failed[0].error
    assert len(gitlab.open_mrs()) == 1 and len(gitlab.notes) == 1

    [closed] = run(env, gitlab, Plan())
    assert closed.action == "closed" and gitlab.open_mrs() == []
    [(iid, note)] = gitlab.notes
    assert iid == 1 and "already has these updates" in note


def test_a_description_longer_than_gitlab_allows_is_shortened_with_a_note(env, gitlab):
    plan = podinfo_to(env, "6.5.1")
    long = Plan(updates=tuple(replace(u, reason="x" * 1_100_000) for u in plan.updates))

    [outcome] = run(env, gitlab, long)

    assert outcome.action == "created"
    [mr] = gitlab.open_mrs()
    assert len(mr["description"]) <= 1_048_576
    assert "**1 of 1 updates are not listed here**" in mr["description"] and "1,048,576 characters" in mr["description"]
    assert parse_marker(mr["description"]).fingerprint == fingerprint(long.updates)


def test_an_existing_merge_request_is_reported_with_gitlabs_reason(env, gitlab):
    run(env, gitlab, podinfo_to(env, "6.5.1"))
    forge = GitLabForge(api_url=gitlab.base, slug="platform/team/env", token=API_TOKEN, token_variable="GITLAB_TOKEN")
    with pytest.raises(ForgeError) as caught:
        forge.create(branch=BRANCH, base="main", title="t", body="b", draft=False)
    assert "(409 Another open merge request already exists for this source branch: !1)" in str(caught.value)
