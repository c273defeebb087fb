"""The command layer: settings built once at the edge, pure routing, one result rendered many ways."""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from automator.cli import COMMANDS, build_parser, main, option_groups
from automator.commands.options import build_settings
from automator.context import Context
from automator.errors import AutomatorError, ExitCode
from automator.forge.base import PullRequest
from automator.forge.ensure import Outcome
from automator.forge.settings import PullRequestSettings
from automator.imageref import parse_image_ref
from automator.model import Change, ImageUse, Plan, PolicySpec, Problem, Span, Update
from automator.report import json as json_report
from automator.report import text as text_report
from automator.result import Committed, Preview, PullRequests, RunResult
from automator.rules.write import everything_to, route
from automator.settings import Settings


def update(image: str, to: str, file: str = "apps/web.yaml") -> Update:
    ref = parse_image_ref(image)
    use = ImageUse(file, 3, Span(0, 1), "image", ref, "app", PolicySpec("semver:^1"), "native")
    return Update(use=use, from_tag=ref.tag or "", to_tag=to, new_text=ref.with_tag(to), reason="newest")


WEB, API = update("ghcr.io/acme/web:1.0.0", "1.1.0"), update("ghcr.io/acme/api:1.0.0", "1.2.0", "apps/api.yaml")
BROKEN = Problem("registry said 401", file="apps/db.yaml", image="ghcr.io/acme/db")
PLAN = Plan((WEB, API), (BROKEN,))


def settings_of(command: str, *argv: str, environ: dict[str, str] | None = None) -> Settings:
    """What ``automator COMMAND ARGV`` hands its ``run``: the settings built at the edge."""
    parser = build_parser([command, *argv])
    args = parser.parse_args([command, *argv])
    return build_settings(args.option_groups, args, Context.from_environ(environ or {}))


# --- settings at the edge -----------------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_gets_frozen_settings_values_and_never_the_namespace(command):
    """Each option group's value is built from the parsed arguments once; a group that needs
    more than the minimal arguments (a secret, a readable file) refuses with a user-facing error."""
    argv = {
        "select": ["semver:^1", "1.0.0"], "run": [], "health": ["health.json"], "serve": ["envs/prod", "--insecure-no-auth"],
    }.get(command, ["envs/prod"])
    args = build_parser([command, *argv]).parse_args([command, *argv])
    module = __import__(COMMANDS[command][0], fromlist=["run"])
    built = 0
    for group in option_groups(module):
        try:
            value = group.settings(args, Context.from_environ({}))
        except AutomatorError as error:
            assert error.exit_code == ExitCode.USAGE
            continue
        built += 1
        assert not isinstance(value, argparse.Namespace)
        if dataclasses.is_dataclass(value):
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(value, dataclasses.fields(value)[0].name, None)
    assert built >= 1  # the log group at least
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings(log=None).log = None


def test_run_settings_carry_each_option_group_as_one_value():
    settings = settings_of(
        "run", "envs/prod", "--tags-from", "tags.yaml", "--no-cache", "--pr", "--label", "a", "--label", "b",
        "--max-attempts", "3", "--every", "5m", "--json",
    )
    assert settings.path == "envs/prod"
    assert settings.source.tags_file == Path("tags.yaml") and settings.source.cache_dir is None
    assert settings.rules.cache_dir is None  # --no-cache keeps no first-seen times either
    assert settings.pull_requests == PullRequestSettings(enabled=True, labels=("a", "b"))
    assert settings.write.retry.max_attempts == 3 and settings.write.push
    assert settings.schedule.every == 300.0
    assert settings.report.json and not settings.dry_run


def test_settings_replace_makes_a_new_value_and_keeps_the_old():
    settings = Settings(path="a", dry_run=False)
    changed = settings.replace(dry_run=True)
    assert (settings.dry_run, changed.dry_run, changed.path) == (False, True, "a")
    with pytest.raises(AttributeError, match="no settings named 'nope'"):
        settings.nope  # noqa: B018


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--max-attempts", "0"], "--max-attempts must be at least 1 and --retry-timeout positive"),
        (["--ref", "main"], "--ref needs --repo"),
        (["--repo", "https://git.example.com/acme/env.git", "--no-push"], "--no-push with --repo: the clone is deleted after the run"),
        (["--repo", "https://git.example.com/acme/env.git", "--remote", "upstream"], "--remote upstream with --repo: the clone's one remote is origin"),
        (["--repo", "https://git.example.com/acme/env.git?private_token=s3cr3t"], "--repo: a clone URL takes no query string or fragment"),
        (["--json", "--markdown", "-"], "--json and --markdown - both print to stdout"),
        (["--json", "--dotenv", "-"], "--json and --dotenv - both print to stdout"),
        (["--branch-template", "{nope}"], "--branch-template '{nope}' uses unknown field(s) nope"),
        (["--message-template", "$nope"], "commit message template has an unknown or malformed placeholder"),
        (["--message-template", "@/no/such/file"], "cannot read the message template /no/such/file"),
    ],
)
def test_bad_settings_are_refused_at_the_edge_before_anything_runs(argv, message, tmp_path, capsys):
    code = main(["run", str(tmp_path / "not-a-checkout"), *argv])
    err = capsys.readouterr().err
    assert code == ExitCode.USAGE
    assert f"automator run: error: {message}" in err
    assert "does not exist" not in err  # refused before the path was even looked at
    assert "s3cr3t" not in err  # nor any value of a URL


# --- routing (pure) -----------------------------------------------------------------------------


def test_route_splits_a_plan_by_strategy_keeping_order_problems_and_uses():
    parts = route(PLAN, lambda u: "pr" if u is API else "commit")
    assert list(parts) == ["commit", "pr"]
    assert parts["commit"].updates == (WEB,) and parts["pr"].updates == (API,)
    assert all(part.problems == (BROKEN,) for part in parts.values())


def test_everything_to_sends_every_update_to_one_strategy():
    assert route(PLAN, everything_to("preview")) == {"preview": PLAN}
    assert route(Plan(problems=(BROKEN,)), everything_to("commit")) == {}


def test_pull_request_settings_refuse_a_bad_branch_template():
    with pytest.raises(Exception, match="unknown field"):
        PullRequestSettings(branch_template="automator/{branch}")


# --- one result, many renderings ----------------------------------------------------------------


def request(action: str, number: int | None = 7, error: str | None = None) -> Outcome:
    pr = PullRequest(number, f"https://forge.test/pr/{number}", "automator/all", "main", "t", "b") if number else None
    return Outcome(action, "automator/all", pr=pr, commit="b" * 40, error=error)


COMMITTED = Committed(Plan((WEB,), (BROKEN,)), Change(commit="a" * 40, branch="main", attempts=2), ("apps/web.yaml",), pushed=True)
REQUESTED = PullRequests(Plan((API,), (BROKEN,)), (request("created"),))


def test_a_commit_and_rule_routed_pull_requests_are_one_result():
    result = RunResult(PLAN, (COMMITTED, REQUESTED))
    assert result.written == (WEB, API)
    assert result.reported.updates == (WEB, API) and result.reported.problems == (BROKEN,)
    assert result.change == Change(commit="a" * 40, branch="main", attempts=2, pr_url="https://forge.test/pr/7")
    assert result.exit_code == ExitCode.PARTIAL  # the registry error


def test_a_failed_pull_request_makes_the_run_a_write_failure():
    result = RunResult(Plan((API,)), (PullRequests(Plan((API,)), (request("failed", None, "forge said 500"),)),))
    assert result.exit_code == ExitCode.WRITE_FAILED
    assert result.change is None


def test_files_that_could_not_be_patched_are_problems_of_the_result():
    unpatched = Problem("apps/web.yaml: the file changed since it was scanned; file left unchanged", file="apps/web.yaml")
    result = RunResult(Plan((WEB,)), (Committed(Plan((WEB,)), problems=(unpatched,)),))
    assert result.problems == (unpatched,) and result.exit_code == ExitCode.PARTIAL
    assert result.written == ()  # nothing was committed
    assert result.reported.updates == (WEB,)


def test_the_json_document_renders_each_strategy_once():
    document = json_report.result_document(RunResult(PLAN, (COMMITTED, REQUESTED)))
    assert [u["image"] for u in document["updates"]] == ["ghcr.io/acme/web", "ghcr.io/acme/api"]
    assert document["errors"] == [{"file": "apps/db.yaml", "image": "ghcr.io/acme/db", "message": "registry said 401"}]
    assert (document["commit"], document["pushed"], document["attempts"], document["files"]) == ("a" * 40, True, 2, ["apps/web.yaml"])
    assert [(p["action"], p["number"]) for p in document["pull_requests"]] == [("created", 7)]
    assert json.loads(json_report.render_result(RunResult(PLAN, (Preview(PLAN, "msg"),))))["dry_run"] is True


def test_the_text_renders_each_strategy_as_a_section_and_the_problems_once():
    out, err = text_report.result_text(RunResult(PLAN, (COMMITTED, REQUESTED)))
    assert out.index("ghcr.io/acme/web") < out.index(f"committed {'a' * 12} pushed to main after 2 attempt(s)")
    assert out.index("committed") < out.index("ghcr.io/acme/api") < out.index("created: https://forge.test/pr/7 (automator/all)")
    assert err == "error: registry said 401\n"


def test_a_commit_with_nothing_to_commit_says_no_updates_only_when_it_is_the_only_write():
    nothing = Committed(Plan(problems=(BROKEN,)))
    alone, _ = text_report.result_text(RunResult(Plan(problems=(BROKEN,)), (nothing,)))
    with_requests, _ = text_report.result_text(RunResult(PLAN, (nothing, REQUESTED)))
    assert alone.startswith("no updates")
    assert "no updates" not in with_requests and "created:" in with_requests


# --- automator health -----------------------------------------------------------------------------


def health_file(tmp_path: Path, age: float) -> Path:
    path = tmp_path / "health.json"
    path.write_text(json.dumps({"status": "ok", "attempt": 3, "timestamp": time.time() - age}))
    return path


def test_health_is_zero_for_a_fresh_file_and_one_for_a_stale_or_missing_one(tmp_path, capsys):
    assert main(["health", str(health_file(tmp_path, 5)), "--max-age", "1m"]) == 0
    assert "ok" in capsys.readouterr().out
    assert main(["health", str(health_file(tmp_path, 600)), "--max-age", "1m"]) == 1
    assert main(["health", str(tmp_path / "missing.json")]) == 1
    assert "unreadable health file" in capsys.readouterr().err


def test_the_older_spelling_of_the_health_probe_still_works(tmp_path):
    fresh = health_file(tmp_path, 5)
    probe = subprocess.run([sys.executable, "-m", "automator.schedule", "check", str(fresh), "--max-age", "1m"], capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr
    assert "ok" in probe.stdout


# --- usage errors -------------------------------------------------------------------------------


def test_a_mistyped_option_shows_the_commands_usage_and_the_option_meant(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["scan", "envs/prod", "--tag-from", "tags.yaml"])
    err = capsys.readouterr().err
    assert exit_.value.code == ExitCode.USAGE
    assert err.startswith("usage: automator scan ")
    assert "automator scan: error: unrecognized arguments: --tag-from tags.yaml; did you mean --tags-from?" in err


def test_an_unknown_option_with_nothing_close_gets_no_guess(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--frobnicate"])
    assert capsys.readouterr().err.endswith("automator run: error: unrecognized arguments: --frobnicate\n")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN"])
def test_numeric_options_refuse_values_that_are_not_finite(value, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", f"--retry-timeout={value}"])
    assert exit_.value.code == ExitCode.USAGE
    assert f"argument --retry-timeout: {value!r} is not a finite number" in capsys.readouterr().err


def test_a_command_imports_only_what_it_uses():
    """``automator select`` and ``automator scan`` never pay for git, the forges or the write-back."""
    probe = (
        "import sys\n"
        "from automator.cli import build_parser\n"
        "for command in ('select', 'scan'):\n"
        "    build_parser([command])\n"
        "heavy = ('git', 'github', 'gitlab', 'automator.writeback', 'automator.git', 'automator.forge')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout == "[]\n"
