"""GitLab 429s are waited out like GitHub's: ``Retry-After`` in seconds or as an HTTP date,
never longer than MAX_WAIT, a few attempts; never a crash (exit 70) or an unbounded sleep."""

from __future__ import annotations

import time
from email.utils import formatdate
from types import SimpleNamespace

import gitlab.utils
import pytest
from forge_fake_gitlab import FakeGitLab
from forge_helpers import deployment, make_env_repo, plan_for, tags

from automator.forge import GitLabForge, Settings, ensure_pull_requests
from automator.forge.retry import MAX_WAIT, wait_seconds
from automator.git.branch import BranchPusher

TOKEN = "glpat-" + "t" * 20
MRS = r"/api/v4/projects/acme%2Fenv/merge_requests"


@pytest.fixture
def env(tmp_path):
    return make_env_repo(tmp_path, {"clusters/prod/app.yaml": deployment()})


@pytest.fixture
def gitlab_fake(env, monkeypatch):
    def no_sleep(seconds):
        raise AssertionError(f"python-gitlab slept {seconds}s by itself")

    # python-gitlab's own back-off (gitlab.utils.Retry) would sleep as long as it is told
    monkeypatch.setattr(gitlab.utils, "time", SimpleNamespace(time=time.time, sleep=no_sleep))
    fake = FakeGitLab("acme/env", tokens={TOKEN: "api"}, branch_exists=env.branch_exists)
    yield fake
    fake.close()
    assert fake.unexpected == []


def run(env, fake, sleeps):
    forge = GitLabForge(api_url=fake.base, slug="acme/env", token=TOKEN, token_variable="GITLAB_TOKEN", sleep=sleeps.append)
    plan = plan_for(env.clone, tags(podinfo="6.5.1"))
    return ensure_pull_requests(forge, BranchPusher(env.clone, base="main"), plan, Settings(env_path="clusters/prod", base="main"))


def test_retry_after_as_an_http_date_is_the_time_until_that_date():
    now = 1_900_000_000

    assert wait_seconds({"Retry-After": formatdate(now + 30, usegmt=True)}, 1, now=now) == 30.0
    assert wait_seconds({"Retry-After": "Wed, 21 Oct 2037 07:28:00 GMT"}, 1, now=now) == MAX_WAIT


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("3600", MAX_WAIT), ("Wed, 21 Oct 2037 07:28:00 GMT", MAX_WAIT), (formatdate(time.time() - 60, usegmt=True), 0.0)],
)
def test_a_gitlab_429_waits_a_bounded_time_then_retries(env, gitlab_fake, retry_after, expected):
    """A date, or an hour, in Retry-After: the run waits at most MAX_WAIT and carries on."""
    gitlab_fake.inject("GET", MRS, 429, {"message": "Retry later"}, {"Retry-After": retry_after})
    sleeps: list[float] = []

    [outcome] = run(env, gitlab_fake, sleeps)

    assert outcome.action == "created"
    assert sleeps == [expected]
