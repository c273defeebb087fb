"""``automator fleet`` with ``mode: pr`` (GitHub) or ``mode: mr`` (GitLab): every repository,
side by side, gets its one pull or merge request from a strict fake of its forge, and a second
run keeps them without duplicates."""

from __future__ import annotations

import json

import pytest
from forge_fake_github import FakeGitHub
from forge_fake_gitlab import FakeGitLab
from forge_helpers import deployment, git, make_env_repo, tags

from automator.cli import main

TOKEN = "ghp_" + "f" * 36
GITLAB_TOKEN = "glpat-" + "f" * 20
FORGES = {  # mode -> (host, token variable, token, a fake of the project)
    "pr": ("github.com", "GITHUB_TOKEN", TOKEN,
           lambda slug, env: FakeGitHub(slug, tokens={TOKEN: "write"}, branch_exists=env.branch_exists)),
    "mr": ("gitlab.example.com", "GITLAB_TOKEN", GITLAB_TOKEN,
           lambda slug, env: FakeGitLab(slug, tokens={GITLAB_TOKEN: "api"}, branch_exists=env.branch_exists)),
}
APP = "clusters/prod/app.yaml"
COUNT = 3


@pytest.fixture(params=sorted(FORGES))
def fleet(request, tmp_path, monkeypatch):
    """Three environment repositories behind https://HOST/acme/env-N.git (git is sent to bare
    remotes on disk), each with a fake forge of its own, and the fleet file."""
    mode = request.param
    host, variable, token, make_fake = FORGES[mode]
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GH_TOKEN", "GITLAB_TOKEN", "CI_JOB_TOKEN", "GIT_CONFIG_COUNT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.setenv(variable, token)
    envs, fakes, entries = [], [], []
    for i in range(COUNT):
        (tmp_path / f"env-{i}").mkdir()
        env = make_env_repo(tmp_path / f"env-{i}", {APP: deployment()})
        url = f"https://{host}/acme/env-{i}.git"
        git(tmp_path, "config", "--global", f"url.{env.bare}.insteadOf", url)
        fake = make_fake(f"acme/env-{i}", env)
        envs.append(env)
        fakes.append(fake)
        entries.append(f"  - url: {url}\n    forge-url: {fake.base}\n")
    (tmp_path / "fleet.yaml").write_text(f"version: 1\ndefaults: {{mode: {mode}, path: clusters/prod}}\nrepositories:\n" + "".join(entries))
    (tmp_path / "tags.json").write_text(json.dumps(tags(podinfo="6.5.1")))
    monkeypatch.chdir(tmp_path)
    yield envs, fakes, mode
    for fake in fakes:
        fake.close()
        assert fake.unexpected == []


def run_fleet(*extra: str) -> int:
    return main(["fleet", "fleet.yaml", "--tags-from", "tags.json", "--parallel-repos", str(COUNT), *extra])


def opened(fake) -> list[str]:
    """The source branches of the open pull or merge requests."""
    if isinstance(fake, FakeGitHub):
        return [p["head"] for p in fake.open_pulls()]
    return [m["source_branch"] for m in fake.open_mrs()]


def test_each_repository_gets_its_one_request_and_a_second_run_keeps_them(fleet, capsys):
    envs, fakes, _ = fleet
    heads = [env.sha("main") for env in envs]

    assert run_fleet("--json") == 0
    document = json.loads(capsys.readouterr().out)
    assert [r["exit_code"] for r in document["repositories"]] == [0] * COUNT
    for env, fake, head in zip(envs, fakes, heads, strict=True):
        assert opened(fake) == ["automator/clusters-prod/all"]
        assert "podinfo:6.5.1" in env.show("automator/clusters-prod/all", APP)
        assert env.sha("main") == head, "a pull request never pushes to the base"

    writes = [len(fake.writes()) for fake in fakes]
    assert run_fleet() == 0
    assert [len(opened(fake)) for fake in fakes] == [1] * COUNT  # no duplicates
    assert [len(fake.writes()) for fake in fakes] == writes  # nothing to change: nothing written
