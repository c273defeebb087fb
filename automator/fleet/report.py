"""Renderings of a fleet result: text, one JSON document, a Markdown summary table (pure)."""

from __future__ import annotations

import json
from typing import Any

from automator.errors import scrub
from automator.fleet.runner import FleetResult, PathResult, RepositoryResult
from automator.fleet.spec import FleetRepository
from automator.report import json as json_report
from automator.report.markdown import cell
from automator.report.records import update_record


def _clean(url: str) -> str:
    """The URL without its credentials: http(s) without user and password, any other scheme
    (``ssh://git:PASSWORD@host``) without its password."""
    from urllib.parse import urlsplit, urlunsplit

    from automator.git.credentials import split_url_credentials

    url = split_url_credentials(url)[0]
    parts = urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    return urlunsplit(parts._replace(netloc=f"{userinfo.partition(':')[0]}@{host}"))


def _message(text: str | None) -> str | None:
    """A message for a report: any URL credentials or token in it (a clone's or a push's
    command line) removed."""
    return scrub(text) if text is not None else None


def _where(path: PathResult) -> str:
    result = path.result
    if result is None or result.change is None:
        return ""
    change = result.change
    if change.pr_url:
        return change.pr_url
    return f"{change.commit[:12]} on {change.branch}" if change.commit else ""


def _problems(path: PathResult) -> list[str]:
    """The path's error, or its plan's and writing's problems (each pull request that failed is
    one of them)."""
    if path.error:
        return [scrub(path.error)]
    if path.result is None:
        return []
    return [scrub(p.message) for p in path.result.problems]


def fleet_text(result: FleetResult) -> str:
    dry = " (dry run: nothing written)" if result.dry_run else ""
    lines = [f"fleet shard {result.shard}: {len(result.repositories)} repositories, {result.updates} updates{dry}"]
    if result.discovery_error:
        lines.append(f"  discovery FAILED: {_message(result.discovery_error)}")
    for repository in result.repositories:
        if repository.error:
            lines.append(f"  {repository.repository.label}: FAILED: {_message(repository.error)}")
            continue
        for path in repository.paths:
            count = len(path.result.written) if path.result is not None else 0
            where = _where(path)
            lines.append(f"  {repository.repository.label} {path.path}: {count} update(s)" + (f" -> {where}" if where else ""))
            lines += [f"    error: {message}" for message in _problems(path)]
    return "\n".join(lines) + "\n"


def _path_document(path: PathResult) -> dict[str, Any]:
    if path.result is None:  # the fields of every path, and the error that stopped this one
        errors = [{"file": path.path, "image": "", "message": message} for message in _problems(path)]
        return {"path": path.path, "updates": [], "errors": errors, "error": _message(path.error), "exit_code": path.exit_code}
    return {"path": path.path, **json_report.result_document(path.result), "exit_code": path.exit_code}


def _repository_document(repository: RepositoryResult) -> dict[str, Any]:
    return {
        "url": _clean(repository.repository.url),
        "name": repository.repository.name,
        "ref": repository.repository.ref,
        "source": repository.repository.source,
        "mode": repository.repository.mode,
        "exit_code": repository.exit_code,
        "error": _message(repository.error),
        "paths": [_path_document(path) for path in repository.paths],
    }


def fleet_document(result: FleetResult) -> dict[str, Any]:
    return {
        "shard": result.shard,
        "exit_code": result.exit_code,
        "updates": result.updates,
        "dry_run": result.dry_run,
        "discovery_error": _message(result.discovery_error),
        "repositories": [_repository_document(r) for r in result.repositories],
    }


def fleet_markdown(result: FleetResult) -> str:
    lines = [
        f"## Image updates across the fleet (shard {result.shard})",
        "",
        f"{len(result.repositories)} repositories, {result.updates} updates, exit code {result.exit_code}."
        + (" A dry run: the updates are what would change, nothing was written." if result.dry_run else ""),
        "",
        *([f"Discovery failed, only the fleet file's repositories ran: {cell(_message(result.discovery_error))}", ""]
          if result.discovery_error else []),
        "| repository | path | updates | commit / pull request | problems |",
        "| --- | --- | ---: | --- | --- |",
    ]
    for repository in result.repositories:
        name = cell(repository.repository.label)
        if repository.error:
            lines.append(f"| {name} | | 0 | | {cell(repository.error)} |")
            continue
        for path in repository.paths:
            count = len(path.result.written) if path.result is not None else 0
            problems = "<br>".join(cell(m) for m in _problems(path))
            lines.append(f"| {name} | {cell(path.path)} | {count} | {cell(_where(path))} | {problems} |")
    return "\n".join(lines) + "\n"


def fleet_outputs(result: FleetResult) -> dict[str, str]:
    """Step outputs (the names of ``action.yml``): ``updated``, ``problems``, ``updates`` and
    ``dry-run``. Each update has the fields of ``run``'s (``repository`` is the image's), after
    the environment repository it was made in and the path."""
    updates = [
        {"environment": r.repository.label, "path": p.path, **update_record(update)}
        for r in result.repositories for p in r.paths if p.result is not None
        for update in p.result.written
    ]
    problems = sum(1 for r in result.repositories if r.error) + sum(
        len(_problems(p)) for r in result.repositories for p in r.paths) + (1 if result.discovery_error else 0)
    return {"updated": str(result.updates), "problems": str(problems), "updates": json.dumps(updates, separators=(",", ":")),
            "dry-run": "true" if result.dry_run else "false"}


def fleet_dotenv(result: FleetResult) -> str:
    """``--dotenv FILE``: the step outputs, and the shard, as a GitLab dotenv report."""
    from automator.report.dotenv import render_dotenv

    return render_dotenv({**fleet_outputs(result), "shard": result.shard})


# --- fleet --list: the repositories a shard would run -------------------------------------------


def _listed(repository: FleetRepository) -> dict[str, Any]:
    return {"url": _clean(repository.url), "name": repository.name, "ref": repository.ref, "paths": list(repository.paths),
            "mode": repository.mode, "source": repository.source}


def list_document(shard: str, mine: list[FleetRepository], total: int, discovery_error: str | None) -> dict[str, Any]:
    return {"shard": shard, "total": total, "discovery_error": _message(discovery_error), "repositories": [_listed(r) for r in mine]}


def list_text(shard: str, mine: list[FleetRepository], total: int, discovery_error: str | None) -> str:
    lines = [f"fleet shard {shard}: {len(mine)} of {total} repositories"]
    if discovery_error:
        lines.append(f"  discovery FAILED: {_message(discovery_error)}")
    for repository in mine:
        where = f"  ({repository.source})" if repository.source else ""
        lines.append(f"  {repository.label} {' '.join(repository.paths)} [{repository.mode}]{where}")
    return "\n".join(lines) + "\n"
