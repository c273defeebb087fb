"""``automator serve``: receive registry push events over HTTP and turn them into runs."""

from __future__ import annotations

import argparse
import logging
import math
import sys
import threading
from pathlib import Path

from automator.commands.options import OptionGroup, clone, pull_requests, rules, source, write
from automator.context import Context
from automator.errors import UsageError
from automator.events.settings import FULL_RUN, EventSettings
from automator.schedule import parse_interval
from automator.serve import auth
from automator.serve.settings import DEFAULT_DEBOUNCE, DEFAULT_LISTEN, DEFAULT_QUEUE, ServeSettings
from automator.settings import Settings

log = logging.getLogger("automator.serve")

DESCRIPTION = """\
Receive push events from registries and forges over HTTP and run for each burst of them.

Each accepted event is answered at once (202) and queued; events within --debounce become
one run, runs are serialised, and each run is `automator run PATH --pushed ...` for the
pushed images: only their repositories' images are considered, each choosing between its
current tag and the pushed one. --every adds a full run on an interval as a safety net.
SIGTERM drains: no new events (503), the run in flight finishes its push, what was accepted
runs, exit 0. See docs/events.md.
"""

EPILOG = f"""\
routes:
  POST /hooks/distribution   CNCF distribution notifications     Authorization: Bearer TOKEN
  POST /hooks/harbor         Harbor PUSH_ARTIFACT webhooks        Authorization: Bearer TOKEN
  POST /hooks/generic        {{"image": ...}} or {{"images": [...]}}   Authorization: Bearer TOKEN
  POST /hooks/github         GitHub registry_package events      X-Hub-Signature-256 (HMAC)
  POST /hooks/dockerhub/TOKEN  Docker Hub webhooks (the secret is the last path segment)
  GET  /healthz   GET /metrics (Prometheus)

secrets (environment variables, or the files named by the options below):
  {auth.TOKEN_VARIABLE}            bearer token for distribution, Harbor and generic senders
  {auth.GITHUB_SECRET_VARIABLE}    GitHub webhook secret (HMAC-SHA256 of the body)
  {auth.DOCKERHUB_TOKEN_VARIABLE}  the path token of Docker Hub webhooks
A source whose secret is not set answers 401 unless --insecure-no-auth is given.

examples:
  automator serve clusters/prod --every 30m
  automator serve --listen 0.0.0.0:8080 --repo https://github.com/acme/env.git --ref main clusters/prod
  curl -X POST -H "Authorization: Bearer $AUTOMATOR_WEBHOOK_TOKEN" \\
       -d '{{"image": "ghcr.io/acme/app:1.4.2"}}' http://127.0.0.1:8080/hooks/generic

exit codes: 0 stopped by SIGTERM/SIGINT after draining, 2 invalid arguments.
"""


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".", metavar="PATH",
                        help="directory to run for each event, inside a checkout (or inside the clone with --repo); default: .")


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("receiver")
    group.add_argument("--listen", metavar="HOST:PORT",
                       help=f"address to listen on (default: AUTOMATOR_LISTEN, else {DEFAULT_LISTEN}; the container image sets 0.0.0.0:8080)")
    group.add_argument("--debounce", type=float, default=DEFAULT_DEBOUNCE, metavar="SECONDS",
                       help="events within this long of the first become one run (default: %(default)s)")
    group.add_argument("--queue-size", type=int, default=DEFAULT_QUEUE, metavar="N",
                       help="pushed images the queue may hold before answering 503 (default: %(default)s)")
    group.add_argument("--every", metavar="INTERVAL", help="also run fully every INTERVAL (30m, 1h): polling as a safety net")
    group.add_argument("--webhook-token-file", type=Path, metavar="FILE", help=f"bearer token file (instead of {auth.TOKEN_VARIABLE})")
    group.add_argument("--github-secret-file", type=Path, metavar="FILE", help=f"GitHub webhook secret file (instead of {auth.GITHUB_SECRET_VARIABLE})")
    group.add_argument("--dockerhub-token-file", type=Path, metavar="FILE", help=f"Docker Hub path token file (instead of {auth.DOCKERHUB_TOKEN_VARIABLE})")
    group.add_argument("--insecure-no-auth", action="store_true", help="accept events without any credential (a private network only)")


def serve_settings(args: argparse.Namespace, ctx: Context) -> ServeSettings:
    from automator.serve.server import parse_listen

    try:
        listen = parse_listen(args.listen or ctx.get("AUTOMATOR_LISTEN") or DEFAULT_LISTEN)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if not math.isfinite(args.debounce) or args.debounce < 0:
        raise UsageError(f"--debounce {args.debounce}: give a number of seconds, 0 or more")
    if args.queue_size < 1:
        raise UsageError(f"--queue-size {args.queue_size}: must be at least 1")
    secrets = auth.WebhookSecrets(
        token=auth.read_secret(ctx.get(auth.TOKEN_VARIABLE), args.webhook_token_file, "webhook token"),
        github_secret=auth.read_secret(ctx.get(auth.GITHUB_SECRET_VARIABLE), args.github_secret_file, "GitHub webhook secret"),
        dockerhub_token=auth.read_secret(ctx.get(auth.DOCKERHUB_TOKEN_VARIABLE), args.dockerhub_token_file, "Docker Hub token"),
        insecure_no_auth=args.insecure_no_auth,
    )
    if secrets.dockerhub_token and any(c in secrets.dockerhub_token for c in "/?#%"):
        raise UsageError(
            "the Docker Hub token is the last segment of the webhook's path, so it cannot hold '/', '?', '#' or '%'",
            hint="make one of letters and digits, e.g. openssl rand -hex 32",
        )
    if not secrets.any and not secrets.insecure_no_auth:
        raise UsageError(
            "no webhook secret is set, so every event would be refused",
            hint=f"set {auth.TOKEN_VARIABLE} (or another secret in --help), or pass --insecure-no-auth on a private network",
        )
    every = parse_interval(args.every) if args.every else None
    return ServeSettings(listen, secrets, args.debounce, args.queue_size, every)


OPTIONS: tuple[OptionGroup, ...] = (
    OptionGroup("path", add_target_arguments, lambda args, ctx: args.path),
    source.GROUP,
    write.GROUP,
    clone.GROUP,
    pull_requests.GROUP,
    rules.GROUP,
    OptionGroup("serve", add_serve_arguments, serve_settings),
    OptionGroup("dry_run", lambda parser: None, lambda args, ctx: False),
)


def make_runner(settings: Settings, ctx: Context):
    """One run per batch of pushed images (None: a full polling run), reported to the log."""
    from automator.report import text as text_report
    from automator.serve.queue import RunReport
    from automator.writeback.run import run_once

    def run(batch) -> RunReport:
        events = EventSettings(batch) if batch is not None else FULL_RUN
        what = ", ".join(str(image) for image in batch) if batch is not None else "full run"
        log.info("run for %s", what)
        result = run_once(settings.replace(events=events), ctx)
        out, err = text_report.result_text(result)
        sys.stdout.write(out)
        sys.stdout.flush()
        sys.stderr.write(err)
        return RunReport(result.exit_code, updates=len(result.written))

    return run


def run(settings: Settings, ctx: Context) -> int:
    from automator.serve.app import WebhookApp
    from automator.serve.metrics import ServeMetrics
    from automator.serve.queue import RunQueue
    from automator.serve.server import Receiver

    serve: ServeSettings = settings.serve
    _check_target(settings)
    metrics = ServeMetrics()
    queue = RunQueue(make_runner(settings, ctx), debounce=serve.debounce, capacity=serve.queue_size, on_run=metrics.record_run)
    try:
        receiver = Receiver(WebhookApp(queue, serve.secrets, metrics), serve.listen)
    except OSError as error:
        raise UsageError(f"cannot listen on {serve.listen}: {error.strerror}") from None
    receiver.start()
    print(f"automator serve: listening on http://{receiver.address} (POST /hooks/..., GET /healthz, GET /metrics)", file=sys.stderr, flush=True)
    poller = _start_polling(queue, serve.every) if serve.every else None
    receiver.wait_for_signal()
    if poller is not None:
        poller.set()
    print("automator serve: drained, stopped", file=sys.stderr)
    return 0


def _check_target(settings: Settings) -> None:
    """PATH in a checkout, checked before listening: a PATH that does not exist, or lies in no
    git checkout, would fail every run the receiver accepts events for (with --repo, PATH is in
    the clone each run makes, and the run says so)."""
    if settings.clone.repo:
        return
    path = Path(settings.path)
    if not path.exists():
        raise UsageError(f"{path} does not exist", hint="name the environment directory of a checkout, or use --repo URL")
    from automator.git.workspace import find_repository

    find_repository(path)


def _start_polling(queue, every: float) -> threading.Event:
    stop = threading.Event()

    def loop() -> None:
        queue.poll()  # a first full run at start-up catches what happened while it was down
        while not stop.wait(every):
            queue.poll()

    threading.Thread(target=loop, name="automator-poll", daemon=True).start()
    return stop
