"""Run every environment repository of a fleet: clone, plan, write, clean up — side by side.

Each repository is ``automator run --repo URL --ref REF PATH`` for each of its paths, with
its fleet-file settings over the command line's, all sharing one tag source (one listing per
image repository for the whole process). One repository's failure never stops the others.
A signal stops them all at once (:func:`_stop`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import wait as wait_until
from dataclasses import replace
from pathlib import Path

from automator.context import Context
from automator.errors import AutomatorError, ConfigError, ExitCode, scrub
from automator.fleet.spec import FleetRepository
from automator.interrupts import resume_workers, stop_point, stop_workers, wait_for
from automator.result import RunResult
from automator.settings import Settings
from automator.tagsource import TagSource
from automator.values import value_type
from automator.workers import Workers

log = logging.getLogger("automator.fleet")

STOP_GRACE_SECONDS = 2.0  # how long a stopping fleet waits for its workers to unwind


@value_type
class PathResult:
    path: str
    result: RunResult | None = None
    error: str | None = None
    exit_code: int = 0


@value_type
class RepositoryResult:
    repository: FleetRepository
    paths: tuple[PathResult, ...] = ()
    error: str | None = None  # the repository could not be cloned or set up at all
    exit_code: int = 0


@value_type
class FleetResult:
    shard: str
    repositories: tuple[RepositoryResult, ...]
    discovery_error: str | None = None  # the forge's search failed: only the fleet file's repositories ran
    discovery_exit_code: int = 0
    dry_run: bool = False  # planned and reported, nothing written

    @property
    def exit_code(self) -> int:
        codes = [r.exit_code for r in self.repositories]
        if self.discovery_error:
            codes.append(self.discovery_exit_code)
        return max(codes, default=int(ExitCode.OK))

    @property
    def updates(self) -> int:
        return sum(len(p.result.written) for r in self.repositories for p in r.paths if p.result is not None)


def repository_settings(base: Settings, repository: FleetRepository, root: Path) -> Settings:
    """The run settings of one repository: its fleet-file values over the command line's."""
    from automator.writeback.job import CloneSettings

    write = base.write
    write = replace(
        write,
        branch=repository.branch or write.branch,
        message_template=repository.message_template or write.message_template,
        author=_author(repository.author) or write.author,
    )
    requests = base.pull_requests
    requests = replace(
        requests,
        enabled=repository.mode in ("pr", "mr") if repository.mode else requests.enabled,
        forge_url=repository.forge_url or requests.forge_url,
        base=repository.pr_base or requests.base,
        labels=repository.labels or requests.labels,
        reviewers=repository.reviewers or requests.reviewers,
        assignees=repository.assignees or requests.assignees,
        draft=requests.draft if repository.draft is None else repository.draft,  # draft: false wins over --draft
        branch_template=repository.pull_request_template(requests.branch_template),
    )
    rules = base.rules
    if repository.rules:
        rules = replace(rules, file=root / repository.rules)
    return base.replace(write=write, pull_requests=requests, rules=rules, clone=CloneSettings(repository.url, repository.ref))


def _author(text: str | None):
    if not text:
        return None
    from automator.git.identity import parse_identity

    return parse_identity(text)


RunPath = Callable[[Path, Settings, Context, TagSource, object], RunResult]


def run_repository(repository: FleetRepository, base: Settings, ctx: Context, source: TagSource, run_in: RunPath | None = None) -> RepositoryResult:
    """Clone once, run each path (a commit or pull request each), clean up."""
    from automator.git.clone import cloned

    if run_in is None:
        from automator.writeback.run import run_in
    log.info("fleet: %s", repository.label)
    try:
        with cloned(repository.url, repository.ref, ctx, timeout=base.write.retry.max_seconds) as ws:  # as run --repo
            settings = repository_settings(base, repository, ws.root)
            done = []
            for path in repository.paths:
                stop_point()
                try:
                    result = run_in(ws.root / path, settings.replace(path=path), ctx, source, ws)
                    done.append(PathResult(path, result, exit_code=result.exit_code))
                except AutomatorError as error:
                    error = _named_in_repository(error, ws.root, repository)
                    done.append(PathResult(path, error=str(error), exit_code=int(error.exit_code)))
                except Exception as error:  # a bug in one path must not stop the next, nor lose the results before it
                    log.debug("unexpected error in %s %s", repository.label, path, exc_info=True)
                    done.append(PathResult(path, error=_internal(error), exit_code=int(ExitCode.INTERNAL)))
    except AutomatorError as error:
        return RepositoryResult(repository, error=str(error), exit_code=int(error.exit_code))
    except Exception as error:  # a bug in one repository's run must not stop the fleet
        log.debug("unexpected error in %s", repository.label, exc_info=True)
        return RepositoryResult(repository, error=_internal(error), exit_code=int(ExitCode.INTERNAL))
    return RepositoryResult(repository, tuple(done), exit_code=max((p.exit_code for p in done), default=0))


def _named_in_repository(error: AutomatorError, root: Path, repository: FleetRepository) -> AutomatorError:
    """A rules file (the ``rules:`` key's or the ``.automator.yaml`` found for a path) named by
    its path in the repository, ``.automator.yaml:3 in host/org/repo@ref``, not in the clone
    that is deleted before the reports are read."""
    if not isinstance(error, ConfigError):
        return error
    from automator.rules.load import named_in

    return named_in(error, root, repository.label)


def _internal(error: Exception) -> str:
    """An unexpected error (a bug) as the report shows it, without any credential it quotes."""
    return scrub(f"internal error: {type(error).__name__}: {error}")


def run_fleet(
    repositories: Sequence[FleetRepository],
    base: Settings,
    ctx: Context,
    source: TagSource,
    *,
    parallel: int = 4,
    shard: str = "0/1",
    on_done: Callable[[RepositoryResult], None] | None = None,
) -> FleetResult:
    """Every repository, ``parallel`` at a time; results in the fleet file's order."""

    def one(repository: FleetRepository) -> RepositoryResult:
        result = run_repository(repository, base, ctx, source)
        if on_done is not None:
            on_done(result)
        return result

    pool = Workers(max(1, parallel), "fleet")
    futures = [pool.submit(one, repository) for repository in repositories]
    try:
        wait_for(futures)
    except BaseException:  # SIGINT/SIGTERM (KeyboardInterrupt) reach this thread only
        _stop(futures, source)
        raise
    finally:
        pool.shutdown()
    return FleetResult(shard, tuple(future.result() for future in futures))


def _stop(futures: Sequence[Future], source: TagSource) -> None:
    """Start no more repositories and make the running ones unwind now: their registry
    requests abandoned, their network git processes killed, every stop point raising. A
    worker still running after :data:`STOP_GRACE_SECONDS` (a forge request waiting out its
    timeout: nothing can cut it short) is left to die with the process, its clone removed
    here, and the stop stays in force. A second signal during that wait removes the clones
    at once."""
    from automator.git.clone import remove_open_clones
    from automator.git.network import kill_in_flight

    stop_workers()
    for future in futures:
        future.cancel()  # the repositories that have not started
    cancel = getattr(source, "cancel", None)
    if cancel is not None:
        cancel()
    kill_in_flight()
    try:
        _, running = wait_until(futures, timeout=STOP_GRACE_SECONDS)
    except BaseException:  # a second signal ends the wait: the process exits now, its clones with it
        remove_open_clones()
        raise
    if running:
        log.warning("fleet: %d repositories still running %.0f s after the stop (a forge request cannot be cut short); "
                    "leaving them: their clones are removed and the next run takes them up again", len(running), STOP_GRACE_SECONDS)
        remove_open_clones()
    else:
        resume_workers()
