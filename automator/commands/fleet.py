"""``automator fleet FILE``: run every environment repository of a fleet, or this worker's share."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from automator.commands.options import OptionGroup, pull_requests, rules, source, write
from automator.context import Context
from automator.errors import ExitCode, ForgeError, UsageError
from automator.fleet.settings import FleetReports, FleetSettings
from automator.settings import Settings

DESCRIPTION = """\
Run every environment repository listed in a fleet file (and/or found on a forge by topic):
each is cloned (shallow), planned, written (one commit with rebase-retry, or a pull/merge
request) and cleaned up, --parallel-repos at a time. All of them share one tag listing per
image repository; with --cache-url every process and machine of the fleet shares it too.
One repository's failure never stops the others; the exit code is the highest of all.
--shard I/N (or the scheduler's index: Kubernetes Indexed Jobs, GitLab parallel:) runs a
stable share of the fleet. See docs/fleet.md.
"""

EPILOG = """\
fleet file (JSON Schema: policies/fleet.schema.json):
  version: 1
  defaults: {mode: commit, ref: main}
  repositories:
    - url: https://github.com/acme/env-prod.git
      path: clusters/production
      mode: pr
    - url: https://gitlab.example.com/acme/env-eu.git
      paths: [eu-west, eu-central]

examples:
  automator fleet fleet.yaml --tags-from tags.yaml --dry-run
  automator fleet fleet.yaml --cache-url redis://redis:6379/0 --shard 0/4
  automator fleet fleet.yaml --shard 1/4 --list       (which repositories shard 1 of 4 takes)
  automator fleet fleet.yaml --only 'gitlab.example.com/acme/env-eu*'   (those repositories only)
  automator fleet --discover github:acme --topic gitops-env --parallel-repos 8
  JOB_COMPLETION_INDEX=2 JOB_COMPLETIONS=4 automator fleet fleet.yaml   (a Kubernetes Indexed Job)

exit codes: the highest of all repositories': 0 every repository done,
1 some file/image/registry failed in some repository,
2 invalid arguments or fleet file (nothing run), or a path or rules file invalid in some
repository (the others ran),
3 some write-back or clone failed (the others were written),
70 internal error in some repository (a bug; the others ran),
130 stopped by SIGTERM/SIGINT (within about 2 s; clones removed, see docs/fleet.md).
"""


def add_fleet_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", type=Path, metavar="FILE", help="the fleet file (YAML)")
    group = parser.add_argument_group("fleet")
    group.add_argument("--discover", metavar="FORGE:OWNER", help="also run repositories of github:ORG or gitlab:GROUP that carry --topic")
    group.add_argument("--topic", metavar="TOPIC", help="the topic that marks environment repositories (with --discover)")
    group.add_argument("--shard", metavar="I/N", help="run share I (0 to N-1) of N; default: the scheduler's index "
                       "(JOB_COMPLETION_INDEX + JOB_COMPLETIONS, CI_NODE_INDEX + CI_NODE_TOTAL), else everything")
    group.add_argument("--only", action="append", default=[], metavar="GLOB",
                       help="run only the repositories whose name (host/path, or host/path@ref) matches GLOB; repeatable")
    group.add_argument("--parallel-repos", type=int, default=4, metavar="N", help="repositories at a time (default: %(default)s)")
    group.add_argument("--dry-run", action="store_true", help="plan every repository and report; write nothing")
    group.add_argument("--list", action="store_true", help="print the repositories this shard would run (after discovery, "
                       "--only and --shard) with their paths and mode, and exit: nothing is cloned or listed")
    group.add_argument("--json", action="store_true", help="print one JSON document: per repository its updates, commit or PR, problems")
    group.add_argument("--markdown", metavar="FILE", help="also write a fleet summary table as Markdown to FILE ('-': stdout)")
    group.add_argument("--dotenv", metavar="FILE", help="also write AUTOMATOR_UPDATED, AUTOMATOR_UPDATES (JSON), "
                       "AUTOMATOR_PROBLEMS, AUTOMATOR_DRY_RUN, AUTOMATOR_SHARD to FILE, a GitLab dotenv report")


def fleet_settings(args: argparse.Namespace, ctx: Context) -> FleetSettings:
    from automator.commands.options.clone import refuse_no_push, refuse_remote
    from automator.fleet.discover import parse_discovery
    from automator.fleet.shard import ALL, parse_shard, shard_from_scheduler

    if args.file is None and not args.discover:
        raise UsageError("name a fleet file, or --discover FORGE:OWNER --topic TOPIC (or both)")
    if args.topic and not args.discover:
        raise UsageError("--topic goes with --discover")
    if args.parallel_repos < 1:
        raise UsageError(f"--parallel-repos {args.parallel_repos}: must be at least 1")
    refuse_no_push(args, "fleet: each repository's clone is deleted after its run")
    refuse_remote(args, "fleet")
    discovery = parse_discovery(args.discover, args.topic, args.forge_url) if args.discover else None
    shard = parse_shard(args.shard) if args.shard else (shard_from_scheduler(ctx.environ) or ALL)
    if args.list and (args.markdown or args.dotenv):
        raise UsageError(f"--list prints the repositories only; drop {'--markdown' if args.markdown else '--dotenv'} (or --list)")
    return FleetSettings(args.file, discovery, shard, args.parallel_repos, list_only=args.list, only=tuple(args.only))


REFUSED_WRITE_OPTIONS = ("--no-push", "--remote")  # each clone is deleted after its run; its one remote is origin


def add_write_arguments(parser: argparse.ArgumentParser) -> None:
    """The write options of run, less those a fleet refuses (fleet_settings says why when
    they are given): --help does not offer them."""
    write.add_arguments(parser)
    for action in parser._actions:
        if set(action.option_strings) & set(REFUSED_WRITE_OPTIONS):
            action.help = argparse.SUPPRESS


OPTIONS: tuple[OptionGroup, ...] = (
    OptionGroup("fleet", add_fleet_arguments, fleet_settings),
    source.GROUP,
    OptionGroup("write", add_write_arguments, write.settings),
    pull_requests.GROUP,
    rules.GROUP,
    OptionGroup("dry_run", lambda parser: None, lambda args, ctx: args.dry_run),
    OptionGroup("fleet_report", lambda parser: None, lambda args, ctx: fleet_report_settings(args)),
)


def fleet_report_settings(args: argparse.Namespace) -> FleetReports:
    """--json, --markdown FILE, --dotenv FILE: one document on stdout at most."""
    from automator.commands.options.reports import refuse_two_documents

    refuse_two_documents(args.json, args.markdown, args.dotenv)
    return FleetReports(args.json, args.markdown, args.dotenv)


def repositories(settings: FleetSettings, ctx: Context) -> tuple[list, ForgeError | None]:
    """The fleet file's repositories and the discovered ones, and why discovery failed (the
    file's repositories still run: a forge that refuses stops only what it would have added)."""
    from automator.fleet.discover import discover
    from automator.fleet.spec import load_fleet, repository_key

    found, defaults = [], {}
    if settings.file is not None:
        spec = load_fleet(settings.file)
        found, defaults = list(spec.repositories), dict(spec.defaults)
    if settings.discovery is not None:
        token_variables = ("GITHUB_TOKEN", "GH_TOKEN") if settings.discovery.kind == "github" else ("GITLAB_TOKEN", "CI_JOB_TOKEN")
        token = next((ctx.get(name) for name in token_variables if ctx.get(name)), None)
        known = {repository_key(r.url) for r in found}  # a repository the file lists keeps its own entry
        try:
            found += [r for r in discover(settings.discovery, token, defaults) if repository_key(r.url) not in known]
        except ForgeError as error:
            return found, error
    return found, None


def _progress(result) -> None:
    """One repository done (called by the workers): its line in one write, so that lines of
    repositories that end together never run into each other (print writes the text and the
    newline apart)."""
    sys.stderr.write(f"  {result.repository.label}: exit {result.exit_code}\n")
    sys.stderr.flush()


def run(settings: Settings, ctx: Context) -> int:
    from dataclasses import replace

    from automator.fleet.report import fleet_document, fleet_dotenv, fleet_markdown, fleet_text
    from automator.fleet.runner import run_fleet
    from automator.fleet.shard import share
    from automator.fleet.shared import SharedTagSource
    from automator.fleet.spec import select
    from automator.report.files import write_reports_to
    from automator.tagsource import open_tag_source

    fleet: FleetSettings = settings.fleet
    found, failed = repositories(fleet, ctx)
    if failed is not None:
        print(f"automator fleet: {failed}; {'listing' if fleet.list_only else 'running'} the {len(found)} repositories of the fleet file",
              file=sys.stderr, flush=True)
    default_mode = "pr" if settings.pull_requests.enabled else "commit"  # what a repository without `mode` gets
    total = len(found)
    found = select(found, fleet.only, complete=failed is None)  # before sharding: each repository keeps its owner
    mine = [replace(r, mode=r.mode or default_mode) for r in share(found, fleet.shard, key=lambda r: r.url)]
    if fleet.list_only:
        return list_repositories(settings, mine, total, failed)
    source = SharedTagSource(open_tag_source(settings.source, ctx))
    quiet = settings.log.quiet  # -q: only errors on stderr, as for run
    if not quiet:
        print(f"automator fleet: shard {fleet.shard}: {len(mine)} repositories", file=sys.stderr, flush=True)
    try:
        result = run_fleet(mine, settings, ctx, source, parallel=fleet.parallel_repos, shard=str(fleet.shard),
                           on_done=None if quiet else _progress)
    finally:
        source.close()
    if failed is not None:
        result = replace(result, discovery_error=str(failed), discovery_exit_code=int(failed.exit_code))
    result = replace(result, dry_run=bool(settings.dry_run))
    reports: FleetReports = settings.fleet_report
    as_json, markdown = reports.json, reports.markdown
    if as_json:
        print(json.dumps(fleet_document(result), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(fleet_text(result))
    if ctx.ci == "github":
        publish_fleet(ctx, result, stream=sys.stderr if as_json else sys.stdout)  # stdout holds only the document
    unwritten = write_reports_to(((markdown, lambda: fleet_markdown(result)), (reports.dotenv, lambda: fleet_dotenv(result))))
    if unwritten:  # named, and the fleet's own exit code kept when it is higher
        print(f"automator fleet: error: {'; '.join(map(str, unwritten))}", file=sys.stderr, flush=True)
        return max(result.exit_code, int(ExitCode.PARTIAL))
    return result.exit_code


def list_repositories(settings: Settings, mine: list, total: int, failed: ForgeError | None) -> int:
    """``--list``: this shard's repositories as text or JSON; exit 0, or discovery's failure."""
    from automator.fleet.report import list_document, list_text

    shard, error = str(settings.fleet.shard), str(failed) if failed is not None else None
    if settings.fleet_report.json:
        print(json.dumps(list_document(shard, mine, total, error), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(list_text(shard, mine, total, error))
    return int(failed.exit_code) if failed is not None else 0


def publish_fleet(ctx: Context, result, stream=None) -> None:
    """Under GitHub Actions: the fleet table in the job summary, counts as step outputs;
    the workflow commands (``::add-mask::``) go to ``stream`` (stderr with --json)."""
    from automator.ci.github import mask_secrets
    from automator.fleet.report import fleet_markdown, fleet_outputs
    from automator.report import workflow

    mask_secrets(stream)
    summary = ctx.get("GITHUB_STEP_SUMMARY")
    if summary:
        workflow.append_step_summary(summary, fleet_markdown(result))
    outputs = ctx.get("GITHUB_OUTPUT")
    if outputs:
        workflow.write_outputs(outputs, fleet_outputs(result))
