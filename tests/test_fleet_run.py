"""``automator fleet`` end to end: bare remotes on disk, each repository cloned, planned,
committed and pushed; one broken repository never stops the others; shards split the work."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from git_helpers import ROOT, automator_command, git, isolated_git, make_remote, show  # noqa: F401

from automator.fleet.shard import split


def deployment(name: str, image: str) -> str:
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
        f"  name: {name}\n  annotations:\n    automator.dev/policy: semver:^1\n"
        "spec:\n  template:\n    spec:\n      containers:\n"
        f"        - name: {name}\n          image: {image}\n"
    )


def fleet_of(tmp: Path, count: int) -> list[Path]:
    remotes = []
    for i in range(count):
        files = {
            "clusters/prod/web.yaml": deployment("web", "ghcr.io/acme/web:1.0.0"),
            "clusters/prod/api.yaml": deployment("api", f"ghcr.io/acme/api-{i % 2}:1.0.0"),
            "clusters/dev/web.yaml": deployment("web", "ghcr.io/acme/web:1.0.0"),
        }
        (tmp / f"env-{i}").mkdir()
        remotes.append(make_remote(tmp / f"env-{i}", files))
    return remotes


def fleet(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {**os.environ, "PYTHONPATH": str(ROOT), "GIT_AUTHOR_NAME": "Fleet", **(env or {})}
    return subprocess.run([*automator_command(), "fleet", *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=300)


@pytest.fixture
def tags(tmp_path) -> Path:
    path = tmp_path / "tags.yaml"
    path.write_text("ghcr.io/acme/web: [1.0.0, 1.2.0]\nghcr.io/acme/api-0: [1.0.0, 1.5.0]\nghcr.io/acme/api-1: [1.0.0, 1.6.0]\n")
    return path


def test_every_repository_is_updated_with_its_own_settings(tmp_path, tags):
    remotes = fleet_of(tmp_path, 3)
    (tmp_path / "fleet.yaml").write_text(
        "version: 1\ndefaults: {ref: main, path: clusters/prod}\nrepositories:\n"
        f"  - url: {remotes[0]}\n"
        f"  - url: {remotes[1]}\n    paths: [clusters/prod, clusters/dev]\n"
        f"  - url: {remotes[2]}\n    author: Env Bot <env-bot@example.com>\n"
    )
    done = fleet("fleet.yaml", "--tags-from", str(tags), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["updates"] == 2 + 3 + 2 and document["exit_code"] == 0
    assert "ghcr.io/acme/web:1.2.0" in show(remotes[0], "clusters/prod/web.yaml")
    assert "ghcr.io/acme/web:1.0.0" in show(remotes[0], "clusters/dev/web.yaml")  # not its path
    assert "ghcr.io/acme/web:1.2.0" in show(remotes[1], "clusters/dev/web.yaml")
    assert "ghcr.io/acme/api-1:1.6.0" in show(remotes[1], "clusters/prod/api.yaml")
    assert git(remotes[2], "log", "-1", "--format=%an <%ae>") == "Env Bot <env-bot@example.com>"
    paths = [p["path"] for r in document["repositories"] for p in r["paths"]]
    assert paths == ["clusters/prod", "clusters/prod", "clusters/dev", "clusters/prod"]
    # a repository without `mode` reports the one it ran with: the command line's (no --pr: a commit)
    assert [r["mode"] for r in document["repositories"]] == ["commit", "commit", "commit"]


def test_each_repository_costs_one_clone_and_no_second_fetch(tmp_path, tags):
    """The clone is the fetch: a repository's first run plans on it without fetching again.
    Counted from git's trace: processes the fleet started (not their children) per verb."""
    remotes = fleet_of(tmp_path, 2)
    (tmp_path / "fleet.yaml").write_text("version: 1\ndefaults: {path: clusters/prod}\nrepositories:\n" + "".join(f"  - url: {r}\n" for r in remotes))
    trace = tmp_path / "trace.json"
    done = fleet("fleet.yaml", "--tags-from", str(tags), cwd=tmp_path, env={"GIT_TRACE2_EVENT": str(trace)})
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    started = [e["argv"][1:] for e in events if e["event"] == "start" and "/" not in e["sid"] and e["argv"][1:2] != ["-C"]]
    per_verb = {verb: sum(1 for argv in started if verb in argv[:3]) for verb in ("clone", "fetch", "status", "config", "commit", "push", "version")}
    # nor a status: nothing has run in a clone made a moment ago
    assert per_verb == {"clone": 2, "fetch": 0, "status": 0, "config": 2, "commit": 2, "push": 2, "version": 0}
    assert all("ghcr.io/acme/web:1.2.0" in show(remote, "clusters/prod/web.yaml") for remote in remotes)


def test_one_broken_repository_never_stops_the_others(tmp_path, tags):
    remotes = fleet_of(tmp_path, 2)
    (tmp_path / "fleet.yaml").write_text(
        "version: 1\ndefaults: {path: clusters/prod}\nrepositories:\n"
        f"  - url: {remotes[0]}\n"
        f"  - url: {tmp_path / 'missing.git'}\n"
        f"  - url: {remotes[1]}\n    path: no/such/dir\n"
    )
    done = fleet("fleet.yaml", "--tags-from", str(tags), "--markdown", "summary.md", cwd=tmp_path)
    assert done.returncode == 3, done.stderr  # the clone that failed is a write-back failure
    assert "ghcr.io/acme/web:1.2.0" in show(remotes[0], "clusters/prod/web.yaml")
    assert "could not clone" in done.stdout and "no/such/dir does not exist" in done.stdout
    summary = (tmp_path / "summary.md").read_text()
    assert "| repository | path | updates |" in summary and "could not clone" in summary


def test_a_path_a_repository_does_not_have_is_its_own_exit_2_and_the_others_still_run(tmp_path, tags):
    """Each repository ends with the code ``run --repo`` would give it (docs/fleet.md): a
    path it does not have is a usage error, 2, which the fleet ends with after writing the rest."""
    remotes = fleet_of(tmp_path, 2)
    (tmp_path / "fleet.yaml").write_text(
        "version: 1\ndefaults: {path: clusters/prod}\nrepositories:\n"
        f"  - url: {remotes[0]}\n  - url: {remotes[1]}\n    path: no/such/dir\n"
    )
    done = fleet("fleet.yaml", "--tags-from", str(tags), "--json", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "ghcr.io/acme/web:1.2.0" in show(remotes[0], "clusters/prod/web.yaml")
    document = json.loads(done.stdout)
    assert [r["exit_code"] for r in document["repositories"]] == [0, 2] and document["exit_code"] == 2


def test_a_forge_that_cannot_be_searched_stops_only_what_it_would_have_added(tmp_path, tags):
    """Discovery fails (nothing listens at the forge URL): the fleet file's repositories still
    run, and the failure is in every report and in the exit code."""
    (remote,) = fleet_of(tmp_path, 1)
    (tmp_path / "fleet.yaml").write_text(f"version: 1\ndefaults: {{path: clusters/prod}}\nrepositories:\n  - url: {remote}\n")
    done = fleet("fleet.yaml", "--tags-from", str(tags), "--discover", "github:acme", "--topic", "gitops-env",
                 "--forge-url", "http://127.0.0.1:9", "--json", "--markdown", "summary.md", cwd=tmp_path,
                 env={"GITHUB_TOKEN": "ghp_" + "f" * 36})
    assert done.returncode == 3, done.stderr
    assert "ghcr.io/acme/web:1.2.0" in show(remote, "clusters/prod/web.yaml")
    assert "cannot reach http://127.0.0.1:9" in done.stderr and "running the 1 repositories of the fleet file" in done.stderr
    document = json.loads(done.stdout)
    assert "cannot reach http://127.0.0.1:9" in document["discovery_error"] and document["exit_code"] == 3
    assert document["updates"] == 2
    assert "Discovery failed, only the fleet file's repositories ran" in (tmp_path / "summary.md").read_text()


def test_dotenv_passes_the_fleets_updates_on_to_later_gitlab_jobs(tmp_path, tags):
    """Each update as ``run`` reports it (``repository`` is the image's), after the environment
    repository and the path it was made in."""
    remotes = fleet_of(tmp_path, 2)
    (tmp_path / "fleet.yaml").write_text("version: 1\ndefaults: {path: clusters/prod}\nrepositories:\n" + "".join(f"  - url: {r}\n" for r in remotes))
    done = fleet("fleet.yaml", "--tags-from", str(tags), "--dotenv", "fleet.env", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    variables = dict(line.split("=", 1) for line in (tmp_path / "fleet.env").read_text().splitlines())
    assert {name: variables[name] for name in ("AUTOMATOR_UPDATED", "AUTOMATOR_PROBLEMS", "AUTOMATOR_DRY_RUN", "AUTOMATOR_SHARD")} == {
        "AUTOMATOR_UPDATED": "4", "AUTOMATOR_PROBLEMS": "0", "AUTOMATOR_DRY_RUN": "false", "AUTOMATOR_SHARD": "0/1"}
    updates = json.loads(variables["AUTOMATOR_UPDATES"])
    first, second = (str(remote).removesuffix(".git") for remote in remotes)  # the names reports give them
    assert sorted(u["environment"] for u in updates) == sorted([first, first, second, second])
    web = next(u for u in updates if u["environment"] == first and u["file"].endswith("web.yaml"))
    assert (web["path"], web["repository"], web["from"], web["to"]) == ("clusters/prod", "ghcr.io/acme/web", "1.0.0", "1.2.0")
    assert web["file"] == "clusters/prod/web.yaml" and isinstance(web["line"], int)


def test_a_report_that_cannot_be_written_stops_no_other_and_keeps_the_fleets_work(tmp_path, tags):
    (remote,) = fleet_of(tmp_path, 1)
    (tmp_path / "fleet.yaml").write_text(f"version: 1\ndefaults: {{path: clusters/prod}}\nrepositories:\n  - url: {remote}\n")
    done = fleet("fleet.yaml", "--tags-from", str(tags), "--markdown", "no/such/dir/summary.md", "--dotenv", "fleet.env", cwd=tmp_path)
    assert done.returncode == 1  # the fleet's own 0, raised to say a report is missing
    assert "no/such/dir/summary.md" in done.stderr
    assert "AUTOMATOR_UPDATED=2" in (tmp_path / "fleet.env").read_text()
    assert "ghcr.io/acme/web:1.2.0" in show(remote, "clusters/prod/web.yaml")


def test_only_runs_the_matching_repositories_and_leaves_the_others_untouched(tmp_path, tags):
    remotes = fleet_of(tmp_path, 3)
    (tmp_path / "fleet.yaml").write_text("version: 1\ndefaults: {path: clusters/prod}\nrepositories:\n" + "".join(f"  - url: {r}\n" for r in remotes))
    before = [git(remote, "rev-parse", "main") for remote in remotes]
    done = fleet("fleet.yaml", "--tags-from", str(tags), "--only", f"*/{remotes[1].parent.name}/*", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [r["url"] for r in json.loads(done.stdout)["repositories"]] == [str(remotes[1])]
    assert "ghcr.io/acme/web:1.2.0" in show(remotes[1], "clusters/prod/web.yaml")
    assert [git(remote, "rev-parse", "main") for remote in (remotes[0], remotes[2])] == [before[0], before[2]]


def test_a_repository_with_a_branch_per_environment_is_run_once_per_branch(tmp_path, tags):
    (remote,) = fleet_of(tmp_path, 1)
    git(remote, "branch", "staging", "main")
    (tmp_path / "fleet.yaml").write_text(
        "version: 1\ndefaults: {path: clusters/prod}\nrepositories:\n"
        f"  - url: {remote}\n    ref: main\n  - url: {remote}\n    ref: staging\n")
    done = fleet("fleet.yaml", "--tags-from", str(tags), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for branch in ("main", "staging"):
        assert "ghcr.io/acme/web:1.2.0" in git(remote, "show", f"{branch}:clusters/prod/web.yaml")
    document = json.loads(done.stdout)
    assert sorted((r["ref"], r["paths"][0]["branch"]) for r in document["repositories"]) == [("main", "main"), ("staging", "staging")]


def test_a_dry_run_writes_nothing(tmp_path, tags):
    remotes = fleet_of(tmp_path, 1)
    before = git(remotes[0], "rev-parse", "main")
    (tmp_path / "fleet.yaml").write_text(f"version: 1\nrepositories:\n  - url: {remotes[0]}\n    path: clusters/prod\n")
    done = fleet("fleet.yaml", "--tags-from", str(tags), "--dry-run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "2 update(s)" in done.stdout and git(remotes[0], "rev-parse", "main") == before
    assert "(dry run: nothing written)" in done.stdout.splitlines()[0]


def test_shards_split_the_fleet_and_each_runs_only_its_share(tmp_path, tags):
    remotes = fleet_of(tmp_path, 4)
    urls = [str(r) for r in remotes]
    (tmp_path / "fleet.yaml").write_text("version: 1\ndefaults: {path: clusters/prod}\nrepositories:\n" + "".join(f"  - url: {u}\n" for u in urls))
    expected = split(urls, 2)
    for index in range(2):
        done = fleet("fleet.yaml", "--tags-from", str(tags), "--json", cwd=tmp_path,
                     env={"CI_NODE_INDEX": str(index + 1), "CI_NODE_TOTAL": "2"})  # GitLab parallel: counts from 1
        assert done.returncode == 0, done.stderr
        document = json.loads(done.stdout)
        assert document["shard"] == f"{index}/2"
        assert [r["url"] for r in document["repositories"]] == expected[index]
    assert all("ghcr.io/acme/web:1.2.0" in show(r, "clusters/prod/web.yaml") for r in remotes)


@pytest.mark.parametrize(
    ("args", "message"),
    [([], "name a fleet file"), (["f.yaml", "--topic", "x"], "--topic goes with --discover"),
     (["f.yaml", "--shard", "2/2"], "0 to N-1"), (["f.yaml", "--parallel-repos", "0"], "--parallel-repos"),
     (["--discover", "github:acme"], "needs --topic"), (["f.yaml", "--cache-url", "http://x"], "expected redis://"),
     (["f.yaml", "--no-push"], "each repository's clone is deleted after its run, and its commit with it"),
     (["f.yaml", "--remote", "upstream"], "--remote upstream with fleet: the clone's one remote is origin"),
     (["f.yaml", "--json", "--markdown", "-"], "--json and --markdown - both print to stdout"),
     (["f.yaml", "--markdown", "-", "--dotenv", "-"], "--markdown - and --dotenv - both print to stdout")],
)
def test_bad_fleet_options_are_exit_2(tmp_path, args, message):
    done = fleet(*args, cwd=tmp_path)
    assert done.returncode == 2 and message in done.stderr


def test_a_bad_fleet_file_names_the_line(tmp_path):
    (tmp_path / "f.yaml").write_text("version: 1\nrepositories:\n  - url: a\n    mdoe: pr\n")
    done = fleet("f.yaml", "--tags-from", "/dev/null", cwd=tmp_path)
    assert done.returncode == 2 and "f.yaml:4: unknown key 'mdoe'" in done.stderr


@pytest.mark.registry
def test_two_shards_sharing_redis_list_each_image_repository_once(tmp_path, local_registry, redis_server):
    from registry_proxy import RegistryProxy

    for name in ("web", "api-0", "api-1"):
        for tag in ("1.0.0", "1.3.0"):
            local_registry.push(f"fleet2/{name}", tag)
    with RegistryProxy(local_registry.url, latency=0.2) as proxy:
        host = proxy.url.split("://", 1)[1]
        remotes = []
        for i in range(4):
            files = {
                "prod/web.yaml": deployment("web", f"{host}/fleet2/web:1.0.0"),
                "prod/api.yaml": deployment("api", f"{host}/fleet2/api-{i % 2}:1.0.0"),
            }
            (tmp_path / f"env-{i}").mkdir()
            remotes.append(make_remote(tmp_path / f"env-{i}", files))
        (tmp_path / "fleet.yaml").write_text(
            "version: 1\ndefaults: {path: prod}\nrepositories:\n" + "".join(f"  - url: {r}\n" for r in remotes))
        environ = {**os.environ, "PYTHONPATH": str(ROOT)}
        shards = [
            subprocess.Popen([*automator_command(), "fleet", "fleet.yaml", "--shard", f"{i}/2", "--no-cache", "--cache-url", redis_server.url],
                             cwd=tmp_path, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for i in range(2)
        ]
        outputs = [shard.communicate(timeout=300) for shard in shards]
        assert [shard.returncode for shard in shards] == [0, 0], outputs
        assert proxy.count(r"/tags/list") == 3  # web, api-0, api-1: once for the whole fleet
    assert all(f"{host}/fleet2/web:1.3.0" in show(r, "prod/web.yaml") for r in remotes)


def test_under_github_actions_the_fleet_table_lands_in_the_summary_and_counts_in_the_outputs(tmp_path, tags):
    remotes = fleet_of(tmp_path, 2)
    (tmp_path / "fleet.yaml").write_text("version: 1\ndefaults: {path: clusters/prod}\nrepositories:\n" + "".join(f"  - url: {r}\n" for r in remotes))
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs"
    done = fleet("fleet.yaml", "--tags-from", str(tags), cwd=tmp_path,
                 env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(outputs)})
    assert done.returncode == 0, done.stderr
    assert "Image updates across the fleet" in summary.read_text()
    written = outputs.read_text()
    assert "updated<<" in written and "\n4\n" in written  # two repositories, two updates each


def test_quiet_prints_only_errors_on_stderr(tmp_path, tags):
    """``-q`` as for ``run``: the report still goes to stdout, the progress lines are not written."""
    remotes = fleet_of(tmp_path, 2)
    (tmp_path / "fleet.yaml").write_text("version: 1\ndefaults: {path: clusters/prod}\nrepositories:\n" + "".join(f"  - url: {r}\n" for r in remotes))
    done = fleet("fleet.yaml", "--tags-from", str(tags), "-q", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "2 repositories, 4 updates" in done.stdout


def test_under_github_actions_json_stays_one_document_on_stdout(tmp_path, tags):
    """The ``::add-mask::`` commands for the secrets the fleet used go to stderr with --json
    (as for ``run --json``), never after the document on stdout."""
    token = "ghp_" + "a" * 36
    (remote,) = fleet_of(tmp_path, 1)
    (tmp_path / "fleet.yaml").write_text(f"version: 1\ndefaults: {{path: clusters/prod}}\nrepositories:\n  - url: {remote}\n")
    done = fleet("fleet.yaml", "--tags-from", str(tags), "--json", cwd=tmp_path,
                 env={"GITHUB_ACTIONS": "true", "GIT_TOKEN": token, "GITHUB_OUTPUT": str(tmp_path / "outputs")})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["updates"] == 2
    assert "::add-mask::" in done.stderr and token not in done.stdout


@pytest.mark.slow
def test_a_clone_that_never_answers_is_stopped_at_the_retry_timeout_and_the_others_run(tmp_path, tags):
    """The clone's deadline is --retry-timeout, as for ``run --repo``: one at a time, the
    repository behind a silent server does not hold up the next one for minutes."""
    from test_fleet_stop import SilentServer

    (remote,) = fleet_of(tmp_path, 1)
    server = SilentServer()
    try:
        (tmp_path / "fleet.yaml").write_text(
            "version: 1\ndefaults: {path: clusters/prod}\nrepositories:\n"
            f"  - url: http://127.0.0.1:{server.port}/env.git\n  - url: {remote}\n")
        done = fleet("fleet.yaml", "--tags-from", str(tags), "--parallel-repos", "1", "--retry-timeout", "3", "--json", cwd=tmp_path)
    finally:
        server.close()
    assert done.returncode == 3, done.stderr
    silent, updated = json.loads(done.stdout)["repositories"]
    deadline = re.search(r"git clone of \S+ did not finish within its ([\d.]+) s deadline", silent["error"])
    assert deadline and float(deadline.group(1)) <= 3, silent["error"]  # not the 120 s of the default
    assert len(deadline.group(1).replace(".", "")) <= 3, "what is left of the budget, rounded (not 2.99996)"
    assert updated["exit_code"] == 0 and "ghcr.io/acme/web:1.2.0" in show(remote, "clusters/prod/web.yaml")


def test_a_path_that_fails_unexpectedly_does_not_stop_the_next_path_of_its_repository(tmp_path, tags):
    """Every path of a repository runs in its one clone, in order; one that breaks (a bug, an
    OS error) is that path's problem: the paths before it keep their results (their commits
    are pushed already) and the paths after it still run."""
    from automator.cli import build_parser
    from automator.commands.options import build_settings
    from automator.context import Context
    from automator.errors import ExitCode
    from automator.fleet.runner import run_repository
    from automator.fleet.spec import FleetRepository
    from automator.model import Plan
    from automator.result import RunResult

    (remote,) = fleet_of(tmp_path, 1)
    argv = ["fleet", "fleet.yaml", "--tags-from", str(tags)]
    args = build_parser(argv).parse_args(argv)
    settings = build_settings(args.option_groups, args, Context.from_environ({}))
    ran = []

    def run_in(path, settings, ctx, source, ws):
        ran.append(settings.path)
        if settings.path == "clusters/dev":
            raise OSError("No space left on device")
        return RunResult(Plan())

    repository = FleetRepository(str(remote), paths=("clusters/prod", "clusters/dev", "apps"))
    result = run_repository(repository, settings, Context.from_environ({}), None, run_in=run_in)
    assert ran == ["clusters/prod", "clusters/dev", "apps"]
    assert [p.exit_code for p in result.paths] == [0, int(ExitCode.INTERNAL), 0]
    assert "No space left on device" in result.paths[1].error and result.exit_code == int(ExitCode.INTERNAL)


@pytest.mark.parametrize(("entry", "command_line", "draft"), [
    ("    draft: false\n", ["--draft"], False),  # the repository's own value wins
    ("    draft: true\n", [], True),
    ("", ["--draft"], True),  # unset: the command line decides
    ("", [], False),
])
def test_a_repositorys_draft_wins_over_the_command_line_either_way(tmp_path, entry, command_line, draft):
    from automator.cli import build_parser
    from automator.commands.options import build_settings
    from automator.context import Context
    from automator.fleet.runner import repository_settings
    from automator.fleet.spec import parse_fleet

    (repository,) = parse_fleet(f"version: 1\nrepositories:\n  - url: https://git.example.com/acme/env.git\n    mode: pr\n{entry}").repositories
    argv = ["fleet", "fleet.yaml", *command_line]
    args = build_parser(argv).parse_args(argv)
    base = build_settings(args.option_groups, args, Context.from_environ({}))
    assert repository_settings(base, repository, tmp_path).pull_requests.draft is draft


def test_a_repository_listed_for_two_branches_opens_their_pull_requests_on_branches_naming_the_ref(tmp_path):
    from automator.cli import build_parser
    from automator.commands.options import build_settings
    from automator.context import Context
    from automator.fleet.runner import repository_settings
    from automator.fleet.spec import parse_fleet

    text = "version: 1\ndefaults: {mode: pr}\nrepositories:\n" + "".join(
        f"  - {{url: https://git.example.com/acme/env.git, ref: {ref}}}\n" for ref in ("staging", "production"))
    argv = ["fleet", "fleet.yaml", "--branch-template", "deps/{env}/{image}"]
    args = build_parser(argv).parse_args(argv)
    base = build_settings(args.option_groups, args, Context.from_environ({}))
    templates = [repository_settings(base, r, tmp_path).pull_requests.branch_template for r in parse_fleet(text).repositories]
    assert templates == ["deps/staging/{env}/{image}", "deps/production/{env}/{image}"]
