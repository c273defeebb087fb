"""How many git processes a run starts: each question asked once, maintenance deferred.

Counted from git's own trace (``GIT_TRACE2_EVENT``): a process the tool started has a session
id of its own; a process git started (upload-pack, a hook, ``git maintenance run --auto``)
carries its parent's id before a ``/``. The manifest scan's own ``git -C ROOT ...`` calls are
left out here: they belong to the scan, not to the write-back.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from argocd_helpers import WEB_APP
from git_helpers import (
    clone,
    deployment,
    git,
    isolated_git,  # noqa: F401  (autouse fixture)
    make_remote,
    run_automator,
    show,
    write_tags,
)

from automator.context import Context
from automator.errors import UsageError
from automator.git import RecordingApply, WriteOptions, write_updates
from automator.git.clone import cloned
from automator.git.workspace import Workspace
from automator.run import apply_plan, make_plan
from automator.tagfile import FileTagSource

APP = "registry.example/team/app"


def traced(trace: Path) -> tuple[list[list[str]], list[list[str]]]:
    """(what the tool started, what those started), each as the arguments after ``git``."""
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    starts = [event for event in events if event["event"] == "start"]
    top = [event["argv"][1:] for event in starts if "/" not in event["sid"]]
    children = [event["argv"] for event in starts if "/" in event["sid"]]
    return [argv for argv in top if argv[:1] != ["-C"]], children


def verbs(commands: list[list[str]]) -> list[str]:
    """Each command's git verb, past ``-c KEY=VALUE`` options."""
    found = []
    for argv in commands:
        rest = list(argv)
        while rest[:1] == ["-c"]:
            rest = rest[2:]
        found.append(rest[0])
    return found


@pytest.fixture
def env_repo(tmp_path):
    files = {"envs/prod/app.yaml": deployment("app", f"{APP}:1.0.0"), "envs/dev/app.yaml": deployment("app", f"{APP}:1.0.0")}
    bare = make_remote(tmp_path, files)
    tags = write_tags(tmp_path / "tags.json", {APP: ["1.0.0", "1.2.0"]})
    work = clone(bare, tmp_path / "work")
    git(work, "config", "user.name", "Platform Team")
    git(work, "config", "user.email", "platform@example.com")
    return bare, work, tags


def test_a_run_in_a_checkout_asks_git_each_thing_once(env_repo, tmp_path):
    bare, work, tags = env_repo
    trace = tmp_path / "trace.json"
    done = run_automator(["run", "envs/prod", "--tags-from", str(tags)], cwd=work, env={"GIT_TRACE2_EVENT": str(trace)})
    assert done.returncode == 0, done.stderr
    ours, children = traced(trace)
    # where the checkout is; is it clean (in the path and elsewhere); the configuration (identity,
    # upstream, remote URL, credentials); HEAD and branch; the fresh remote head; the commit,
    # made from an index of its own (filled from HEAD, the run's files added, committed; the
    # user's index then brought to the new HEAD for those files alone); the new HEAD; the push
    assert verbs(ours) == ["rev-parse", "status", "config", "rev-parse", "fetch", "rev-parse",
                           "read-tree", "add", "commit", "reset", "rev-parse", "push"]
    assert ours[2] == ["config", "-z", "--list"]
    assert not [argv for argv in ours + children if "version" in argv or "maintenance" in argv]
    assert f"{APP}:1.2.0" in show(bare, "envs/prod/app.yaml")


def test_a_run_of_its_own_clone_does_not_fetch_what_it_just_cloned(env_repo, tmp_path):
    bare, _, tags = env_repo
    trace = tmp_path / "trace.json"
    done = run_automator(["run", "envs/prod", "--repo", str(bare), "--tags-from", str(tags)], cwd=tmp_path,
                         env={"GIT_TRACE2_EVENT": str(trace), "GIT_AUTHOR_NAME": "Bot"})
    assert done.returncode == 0, done.stderr
    ours, children = traced(trace)
    # the clone was made a moment ago (no `git status`: nothing can have changed it yet), and
    # only this run writes in it: `commit -- FILES`, no `git add` first
    assert verbs(ours) == ["clone", "config", "rev-parse", "commit", "rev-parse", "push"]
    assert not [argv for argv in children if "maintenance" in argv]
    assert scan_questions(trace) == []  # a fresh clone holds tracked files only, none marked skip-worktree
    assert f"{APP}:1.2.0" in show(bare, "envs/prod/app.yaml")


def scan_questions(trace: Path) -> list[list[str]]:
    """What the manifest scan asked git (its commands run as ``git -C ROOT ...``)."""
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    return [event["argv"][3:] for event in events if event["event"] == "start" and event["argv"][1:2] == ["-C"]]


def test_the_scan_asks_git_once_whether_tracked_files_would_be_committed(env_repo, tmp_path):
    # every planned file is tracked, so none can be an ignored untracked file: one `ls-files`
    bare, work, tags = env_repo
    trace = tmp_path / "trace.json"
    done = run_automator(["run", "envs/prod", "--tags-from", str(tags)], cwd=work, env={"GIT_TRACE2_EVENT": str(trace)})
    assert done.returncode == 0, done.stderr
    assert scan_questions(trace) == [["ls-files", "-z", "-v", "--", ":(literal)envs/prod/app.yaml"]]


def test_in_its_own_clone_only_a_file_to_create_is_asked_about(tmp_path):
    """Git is asked only about a file the plan would create (an Argo CD override file), as in a
    checkout; the files that are there are tracked."""
    from automator.run import committable

    bare = make_remote(tmp_path, {"app/kustomization.yaml": "resources: []\n"})
    trace = tmp_path / "trace.json"
    there, to_create = SimpleNamespace(file="app/kustomization.yaml"), SimpleNamespace(file="app/.argocd-source-app.yaml")
    with cloned(str(bare), "main", Context({})) as ws:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("GIT_TRACE2_EVENT", str(trace))
            assert committable(ws.root, [there], own_clone=True) == ([there], [])
            assert not trace.exists()  # no git process at all
            assert committable(ws.root, [there, to_create], own_clone=True) == ([there, to_create], [])
    assert scan_questions(trace) == [["ls-files", "-z", "-v", "--", ":(literal)app/.argocd-source-app.yaml"],
                                     ["check-ignore", "-z", "--stdin"]]


def test_an_untracked_ignored_manifest_is_still_named_and_left_alone(env_repo, tmp_path):
    bare, work, tags = env_repo
    (work / ".git/info/exclude").write_text("envs/prod/local.yaml\n")  # ignored, as by a .gitignore
    (work / "envs/prod/local.yaml").write_text(deployment("local", f"{APP}:1.0.0"))
    trace = tmp_path / "trace.json"
    done = run_automator(["run", "envs/prod", "--tags-from", str(tags)], cwd=work, env={"GIT_TRACE2_EVENT": str(trace)})
    assert done.returncode == 0, done.stderr
    assert "envs/prod/local.yaml: ignored by git (.gitignore); not patched" in done.stdout + done.stderr
    assert [argv[0] for argv in scan_questions(trace)] == ["ls-files", "check-ignore"]  # then the untracked ones are checked
    assert f"{APP}:1.0.0" in (work / "envs/prod/local.yaml").read_text()
    assert f"{APP}:1.2.0" in show(bare, "envs/prod/app.yaml")


def write_in_own_clone(bare: Path, tags: Path, trace: Path, paths=("envs/prod",), apply=None) -> list:
    """A run of the commit session for each of ``paths`` in one clone of the tool's own, traced
    to ``trace``; ``apply(ws)`` gives the apply (by default, the plan's files patched)."""
    source = FileTagSource.load(tags)
    results = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GIT_TRACE2_EVENT", str(trace))
        with cloned(str(bare), "main", Context({"GIT_AUTHOR_NAME": "Bot"})) as ws:
            for path in paths:
                scan = ws.root / path
                how = apply(ws) if apply else (lambda plan, record: apply_plan(ws.root, plan, before_write=record))
                results.append(write_updates(scan, replan=lambda scan=scan: make_plan(ws.root, source, scan_path=scan),
                                             apply=RecordingApply(how), options=WriteOptions(), workspace=ws))
    return results


def test_a_second_path_in_the_same_clone_fetches_again(tmp_path, env_repo):
    """The clone is the fetch only for the first run in it: the first path's push moved the branch."""
    bare, _, tags = env_repo
    trace = tmp_path / "trace.json"
    write_in_own_clone(bare, tags, trace, paths=("envs/prod", "envs/dev"))
    assert verbs(traced(trace)[0]).count("fetch") == 1
    assert verbs(traced(trace)[0]).count("status") == 1  # the second run asks whether the first left changes
    assert f"{APP}:1.2.0" in show(bare, "envs/dev/app.yaml") and f"{APP}:1.2.0" in show(bare, "envs/prod/app.yaml")


def test_a_change_left_in_the_clone_by_the_first_path_is_refused_by_the_second(tmp_path, env_repo):
    bare, _, tags = env_repo

    def leave_a_change(ws):
        def apply(plan, record):
            (ws.root / "envs/dev/app.yaml").write_text("left behind\n")  # outside the first path
            return apply_plan(ws.root, plan, before_write=record)
        return apply

    with pytest.raises(UsageError, match="uncommitted changes in envs/dev of .*: envs/dev/app.yaml"):
        write_in_own_clone(bare, tags, tmp_path / "trace.json", paths=("envs/prod", "envs/dev"), apply=leave_a_change)
    assert f"{APP}:1.2.0" in show(bare, "envs/prod/app.yaml")  # the first path's commit landed
    assert "left behind" not in show(bare, "envs/dev/app.yaml")


@pytest.mark.parametrize(
    ("make", "named"),
    [
        (lambda work: (work / "envs/prod/extra.yaml").write_text("kind: ConfigMap\n"), "envs/prod/extra.yaml"),
        (lambda work: (work / "envs/prod/new").mkdir() or (work / "envs/prod/new/a.yaml").write_text("a: 1\n"), "envs/prod/new/"),
        (lambda work: (work / "envs/dev/app.yaml").write_text("edited by hand\n"), "envs/dev/app.yaml"),
    ],
    ids=["untracked-file-in-path", "untracked-directory-in-path", "tracked-change-elsewhere"],
)
def test_one_status_still_refuses_every_kind_of_uncommitted_change(env_repo, tmp_path, make, named):
    bare, work, tags = env_repo
    before = git(bare, "rev-parse", "main")
    make(work)
    done = run_automator(["run", "envs/prod", "--tags-from", str(tags)], cwd=work)
    assert done.returncode == 2 and "uncommitted changes" in done.stderr and named in done.stderr
    assert git(bare, "rev-parse", "main") == before


def test_a_scanned_path_inside_an_untracked_directory_is_refused(tmp_path):
    files = {"envs/prod/app.yaml": deployment("app", f"{APP}:1.0.0")}
    bare = make_remote(tmp_path, files)
    tags = write_tags(tmp_path / "tags.json", {APP: ["1.0.0", "1.2.0"]})
    work = clone(bare, tmp_path / "work")
    (work / "staging/eu").mkdir(parents=True)
    (work / "staging/eu/app.yaml").write_text(deployment("app", f"{APP}:1.0.0"))
    done = run_automator(["run", "staging/eu", "--tags-from", str(tags)], cwd=work)
    assert done.returncode == 2 and "uncommitted changes in staging/eu" in done.stderr and "staging/" in done.stderr


def test_untracked_files_outside_the_path_are_left_alone(env_repo):
    bare, work, tags = env_repo
    (work / "scratch").mkdir()
    (work / "scratch/notes.txt").write_text("mine\n")
    done = run_automator(["run", "envs/prod", "--tags-from", str(tags)], cwd=work)
    assert done.returncode == 0, done.stderr
    assert f"{APP}:1.2.0" in show(bare, "envs/prod/app.yaml") and (work / "scratch/notes.txt").read_text() == "mine\n"


def test_an_override_file_to_create_that_git_ignores_is_named_and_the_rest_is_committed(tmp_path):
    """Argo CD's write-back writes `.argocd-source-APP.yaml` beside the chart; where the
    repository ignores such files, the run could not commit it: it says so and commits the
    other updates instead of failing at `git add`."""
    files = {"apps/web.yaml": WEB_APP.format(registry="registry.example", repo_url=tmp_path / "remote.git"), "charts/web/values.yaml": "image:\n  tag: 1.0.0\n",
             ".gitignore": ".argocd-source-*.yaml\n", "envs/prod/app.yaml": deployment("app", f"{APP}:1.0.0")}
    bare = make_remote(tmp_path, files)
    tags = write_tags(tmp_path / "tags.json", {APP: ["1.0.0", "1.2.0"], "registry.example/argo-e2e/web": ["1.0.0", "1.3.0"]})
    work = clone(bare, tmp_path / "work")
    done = run_automator(["run", ".", "--tags-from", str(tags)], cwd=work)
    assert done.returncode == 0, done.stderr
    assert "charts/web/.argocd-source-web.yaml: ignored by git (.gitignore); not patched" in done.stderr
    assert f"{APP}:1.2.0" in show(bare, "envs/prod/app.yaml")
    assert not (work / "charts/web/.argocd-source-web.yaml").exists()


def packs(work: Path) -> int:
    return len(list((work / ".git" / "objects" / "pack").glob("*.pack")))


def make_packs(work: Path, count: int) -> None:
    for index in range(count):
        (work / f"notes-{index}.txt").write_text(f"note {index}\n")
        git(work, "add", "-A")
        git(work, "commit", "--quiet", "-m", f"note {index}")
        git(work, "repack", "--quiet", "-d")
    git(work, "push", "--quiet")


def test_maintenance_runs_once_after_the_push_when_the_repository_needs_it(env_repo, tmp_path):
    bare, work, tags = env_repo
    make_packs(work, 3)
    git(work, "config", "gc.autoPackLimit", "2")
    git(work, "config", "gc.autoDetach", "false")
    assert packs(work) > 2
    trace = tmp_path / "trace.json"
    done = run_automator(["run", "envs/prod", "--tags-from", str(tags)], cwd=work, env={"GIT_TRACE2_EVENT": str(trace)})
    assert done.returncode == 0, done.stderr
    ours, children = traced(trace)
    assert ours[-1] == ["maintenance", "run", "--auto", "--quiet"] and verbs(ours)[-2] == "push"
    assert verbs(ours).count("maintenance") == 1
    assert not [argv for argv in children if "maintenance" in argv]  # none after the fetch or the commit
    assert packs(work) == 1  # git did what it would have done after the fetch


def test_no_maintenance_when_the_owner_turned_it_off(env_repo, tmp_path):
    bare, work, tags = env_repo
    make_packs(work, 3)
    git(work, "config", "gc.autoPackLimit", "2")
    git(work, "config", "maintenance.auto", "false")
    trace = tmp_path / "trace.json"
    done = run_automator(["run", "envs/prod", "--tags-from", str(tags)], cwd=work, env={"GIT_TRACE2_EVENT": str(trace)})
    assert done.returncode == 0, done.stderr
    ours, children = traced(trace)
    assert not [argv for argv in ours + children if "maintenance" in argv]
    assert packs(work) == 3


def write_instead(work: Path, tags: Path, path: str, data: bytes, **options):
    """A run whose plan is the real one for envs/prod, but whose apply writes ``path``."""
    source = FileTagSource.load(tags)

    def apply(plan, record):
        record(work / path, data)
        (work / path).write_bytes(data)
        return [path]

    return write_updates(work / "envs/prod", replan=lambda: make_plan(work, source, scan_path=work / "envs/prod"),
                         apply=RecordingApply(apply), options=WriteOptions(**options), workspace=Workspace.open(work))


def test_a_file_the_run_creates_is_added_before_the_commit(env_repo):
    bare, work, tags = env_repo
    result = write_instead(work, tags, "envs/prod/new.yaml", b"kind: ConfigMap\n")
    assert result.pushed and show(bare, "envs/prod/new.yaml") == "kind: ConfigMap"


def test_an_untracked_file_outside_the_path_that_the_run_replaces_is_still_committed(env_repo):
    """The journal says the file was there, git does not know it yet: `git add` first, then commit."""
    _, work, tags = env_repo
    (work / "notes").mkdir()
    (work / "notes/app.yaml").write_text("old\n")
    result = write_instead(work, tags, "notes/app.yaml", b"new\n", push=False)
    assert result.change is not None and git(work, "show", "HEAD:notes/app.yaml") == "new"
    assert git(work, "status", "--porcelain") == ""


def test_head_is_asked_again_once_the_run_lock_is_taken(env_repo, tmp_path):
    """Another run may have committed while this one waited for the lock."""
    _, work, _ = env_repo
    ws = Workspace.open(work)
    before = ws.head()
    git(work, "commit", "--quiet", "--allow-empty", "-m", "another run")
    assert ws.head() == before  # known, not asked
    ws.lock(timeout=1)
    try:
        assert ws.head() == git(work, "rev-parse", "HEAD") != before
        assert ws.current_branch() == "main"
    finally:
        ws.unlock()


def test_a_command_that_may_move_head_makes_the_run_ask_again(env_repo):
    _, work, _ = env_repo
    ws = Workspace.open(work)
    start = ws.head()
    ws.git("commit", "--quiet", "--allow-empty", "-m", "ours")
    assert ws.head() == git(work, "rev-parse", "HEAD") != start and ws.current_branch() == "main"
    ws.git("checkout", "--quiet", "--detach", start)
    assert ws.head() == start and ws.current_branch() is None
    subprocess.run(["git", "checkout", "--quiet", "main"], cwd=work, check=True)


def test_the_object_format_comes_from_git_in_a_checkout_and_in_the_tools_own_clone(tmp_path):
    """A SHA-256 repository's journal and recovery need SHA-256 blob ids: asked of `git rev-parse`
    for a checkout, read from the clone's configuration (`extensions.objectFormat`) for the tool's own."""
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--quiet", "--bare", "--object-format=sha256", "-b", "main", str(bare)], check=True)
    seed = tmp_path / "seed"
    subprocess.run(["git", "init", "--quiet", "--object-format=sha256", "-b", "main", str(seed)], check=True)
    (seed / "app.yaml").write_text(deployment("app", f"{APP}:1.0.0"))
    git(seed, "add", "-A")
    git(seed, "commit", "--quiet", "-m", "seed")
    git(seed, "push", "--quiet", str(bare), "main")
    assert Workspace.open(seed).object_format == "sha256"
    with cloned(str(bare), "main", Context({})) as ws:
        assert ws.object_format == "sha256" and len(ws.head()) == 64
    assert Workspace.open(clone(bare, tmp_path / "sha1-free")).object_format == "sha256"


@pytest.mark.parametrize("where", ["checkout", "own clone"])
def test_only_a_checkout_keeps_run_records_and_replaces_files_the_own_clone_overwrites_them(env_repo, where):
    """A checkout is locked and keeps a run marker and a journal, and each file is replaced by
    a new one (a killed run is recovered from them; a reader never sees half a file). The
    tool's own clone is deleted after the run, whatever happens, and nobody else reads it: no
    lock, marker or journal there, and each file is overwritten in place."""
    from automator.writeback.commit import CommitWriter

    bare, work, tags = env_repo
    source = FileTagSource.load(tags)
    seen = {}

    def run(ws: Workspace) -> None:
        app = ws.root / "envs/prod/app.yaml"
        inode = app.stat().st_ino
        writer = CommitWriter(SimpleNamespace(ws=ws))

        def apply(plan, record):
            seen["record"] = record
            written = writer.apply(plan, record)
            seen["records"] = sorted(p.name for p in ws.git_dir.iterdir() if p.name.startswith("automator"))
            return written

        scan = ws.root / "envs/prod"
        result = write_updates(scan, replan=lambda: make_plan(ws.root, source, scan_path=scan), apply=RecordingApply(apply),
                               options=WriteOptions(), workspace=ws)
        assert result.pushed and f"{APP}:1.2.0" in app.read_text()
        seen["same file"] = app.stat().st_ino == inode

    if where == "checkout":
        run(Workspace.open(work))
        assert seen["record"] is not None and seen["same file"] is False
        assert seen["records"] == ["automator-run.files", "automator-run.json", "automator.lock"]
    else:
        with cloned(str(bare), "main", Context({"GIT_AUTHOR_NAME": "Bot"})) as ws:
            run(ws)
        assert seen["record"] is None and seen["same file"] is True
        assert seen["records"] == []
    assert f"{APP}:1.2.0" in show(bare, "envs/prod/app.yaml")


def test_a_file_the_run_creates_in_its_own_clone_is_added_and_committed(env_repo, tmp_path):
    """`commit -- FILES` does not know a new file: the run adds it to an index of its own
    (filled from HEAD), commits that, and brings the clone's index to the new HEAD."""
    bare, _, tags = env_repo
    trace = tmp_path / "trace.json"

    def create(ws):
        def apply(plan, record):
            (ws.root / "envs/prod/new.yaml").write_text("kind: ConfigMap\n")
            return ["envs/prod/new.yaml"]
        return apply

    [result] = write_in_own_clone(bare, tags, trace, apply=create)
    assert result.pushed and show(bare, "envs/prod/new.yaml") == "kind: ConfigMap"
    assert verbs(traced(trace)[0])[-7:] == ["commit", "read-tree", "add", "commit", "reset", "rev-parse", "push"]
