"""``automator serve``'s receiver over real HTTP on 127.0.0.1: it verifies each source's
credential, answers at once, coalesces bursts into one run and drains on stop."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from pathlib import Path

import pytest
import requests

from automator.events.payloads import MAX_EVENT_BYTES
from automator.serve.app import WebhookApp
from automator.serve.auth import WebhookSecrets
from automator.serve.metrics import ServeMetrics
from automator.serve.queue import RunQueue, RunReport
from automator.serve.server import Listen, Receiver, parse_listen

FIXTURES = Path(__file__).parent / "events"
TOKEN = "bearer-token-for-tests"
GITHUB_SECRET = "github-hmac-secret"
DOCKERHUB_TOKEN = "dockerhub-path-token"


class RecordingRunner:
    """Stands in for the run pipeline: records each batch, optionally slowly."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.batches: list[tuple[str, ...] | None] = []
        self.seconds = seconds
        self.started = threading.Event()
        self.lock = threading.Lock()

    def __call__(self, batch):
        self.started.set()
        time.sleep(self.seconds)
        with self.lock:
            self.batches.append(None if batch is None else tuple(sorted(str(i) for i in batch)))
        return RunReport(exit_code=0, updates=0 if batch is None else len(batch))


@pytest.fixture
def receiver_for():
    started: list[Receiver] = []

    def make(runner=None, *, debounce=0.2, capacity=100, secrets=None):
        runner = runner or RecordingRunner()
        secrets = secrets or WebhookSecrets(token=TOKEN, github_secret=GITHUB_SECRET, dockerhub_token=DOCKERHUB_TOKEN)
        metrics = ServeMetrics()
        queue = RunQueue(runner, debounce=debounce, capacity=capacity, on_run=metrics.record_run)
        receiver = Receiver(WebhookApp(queue, secrets, metrics), Listen("127.0.0.1", 0))
        receiver.start()
        started.append(receiver)
        receiver.url = f"http://127.0.0.1:{receiver.address.port}"
        receiver.runner = runner
        return receiver

    yield make
    for receiver in started:
        receiver.stop(timeout=10)


def post(receiver, route, body, **headers):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(receiver.url + route, data=data, headers=headers, timeout=10)


def bearer(token=TOKEN):
    return {"Authorization": f"Bearer {token}"}


def signed(body: bytes, secret=GITHUB_SECRET):
    return {"X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def wait_for(predicate, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_each_source_with_its_credential_is_queued_and_run(receiver_for):
    receiver = receiver_for()
    github = (FIXTURES / "github-registry-package.json").read_bytes()
    answers = [
        post(receiver, "/hooks/distribution", (FIXTURES / "distribution.json").read_bytes(), **bearer()),
        post(receiver, "/hooks/harbor", (FIXTURES / "harbor.json").read_bytes(), **bearer()),
        post(receiver, "/hooks/generic", {"image": "ghcr.io/acme/web:2.0.0"}, **bearer()),
        post(receiver, "/hooks/github", github, **signed(github)),
        post(receiver, f"/hooks/dockerhub/{DOCKERHUB_TOKEN}", (FIXTURES / "dockerhub.json").read_bytes()),
    ]
    assert [a.status_code for a in answers] == [202] * 5
    assert answers[2].json()["queued"] == ["ghcr.io/acme/web:2.0.0"]
    assert wait_for(lambda: receiver.runner.batches)
    receiver.stop(timeout=10)
    ran = [image for batch in receiver.runner.batches for image in batch]
    assert "ghcr.io/acme/web:2.0.0" in ran and "docker.io/acme/app:1.4.2" in ran
    assert any(image.startswith("registry.example.com:5000/acme/app:1.4.2@") for image in ran)


@pytest.mark.parametrize(
    ("route", "headers"),
    [
        ("/hooks/generic", {}),
        ("/hooks/generic", {"Authorization": "Bearer wrong"}),
        ("/hooks/generic", {"Authorization": f"Basic {TOKEN}"}),
        ("/hooks/github", {"X-Hub-Signature-256": "sha256=" + "0" * 64}),
        ("/hooks/github", {}),
        ("/hooks/dockerhub/wrong-token", {}),
    ],
)
def test_a_bad_credential_is_401_and_queues_nothing(receiver_for, route, headers):
    receiver = receiver_for()
    answer = post(receiver, route, {"image": "ghcr.io/acme/app:1.0.0"}, **headers)
    assert answer.status_code == 401
    assert receiver.app.queue.pending == 0
    assert 'reason="unauthorised"' in requests.get(receiver.url + "/metrics", timeout=10).text


def test_a_signature_of_another_body_is_refused(receiver_for):
    receiver = receiver_for()
    original = (FIXTURES / "github-registry-package.json").read_bytes()
    tampered = original.replace(b"1.4.2", b"9.9.9")
    assert post(receiver, "/hooks/github", tampered, **signed(original)).status_code == 401


def test_a_replayed_github_delivery_is_queued_once(receiver_for):
    receiver = receiver_for(debounce=5)
    body = (FIXTURES / "github-registry-package.json").read_bytes()
    first = post(receiver, "/hooks/github", body, **signed(body), **{"X-GitHub-Delivery": "d-1"})
    again = post(receiver, "/hooks/github", body, **signed(body), **{"X-GitHub-Delivery": "d-1"})
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json()["queued"] == []


def test_a_github_delivery_refused_because_the_queue_was_full_is_taken_when_redelivered(receiver_for):
    """A 503 asks GitHub to deliver again later: the delivery was never queued, so its id
    must not make the redelivery look like a replay (its image would never be updated)."""
    receiver = receiver_for(RecordingRunner(seconds=1.0), debounce=0.05, capacity=1)
    assert post(receiver, "/hooks/generic", {"image": "ghcr.io/acme/api:1.1.0"}, **bearer()).status_code == 202
    assert receiver.runner.started.wait(10)
    assert post(receiver, "/hooks/generic", {"image": "ghcr.io/acme/api:1.2.0"}, **bearer()).status_code == 202  # fills the queue
    body = (FIXTURES / "github-registry-package.json").read_bytes()
    refused = post(receiver, "/hooks/github", body, **signed(body), **{"X-GitHub-Delivery": "d-7"})
    assert refused.status_code == 503 and refused.headers["Retry-After"]
    assert wait_for(lambda: receiver.app.queue.pending == 0)
    again = post(receiver, "/hooks/github", body, **signed(body), **{"X-GitHub-Delivery": "d-7"})
    assert again.status_code == 202 and again.json()["queued"] != []


@pytest.mark.parametrize(
    ("route", "body", "reason"),
    [
        ("/hooks/generic", b'{"image": "ghcr.io/acme/web:1.0.0", "n": ' + b"1" * 5000 + b"}", "not JSON this tool can read"),
        ("/hooks/harbor", b'{"image": "ghcr.io/acme/web:1.0.0"}', "not a Harbor event: it has no type"),
    ],
    ids=["a-number-too-long-to-read", "not-harbor-at-all"],
)
def test_a_payload_the_tool_cannot_read_is_400_with_the_reason_never_500(receiver_for, route, body, reason):
    receiver = receiver_for()
    answer = post(receiver, route, body, **bearer())
    assert answer.status_code == 400 and reason in answer.json()["message"]


def test_a_github_package_event_with_a_registry_url_that_is_not_a_url_is_400(receiver_for):
    receiver = receiver_for()
    event = json.loads((FIXTURES / "github-registry-package.json").read_text())
    package = event.get("registry_package") or event["package"]
    package["package_version"].pop("package_url", None)
    package["registry"] = {"url": "https://[ghcr.io"}
    body = json.dumps(event).encode()
    answer = post(receiver, "/hooks/github", body, **signed(body))
    assert answer.status_code == 400 and "is not a URL" in answer.json()["message"]


def test_a_declared_body_over_the_limit_is_413_before_it_is_sent(receiver_for):
    """Nobody can make the receiver buffer a large body: the declared length is enough to refuse
    it, without a credential and before a byte of the body arrives."""
    import socket

    receiver = receiver_for()
    with socket.create_connection(("127.0.0.1", receiver.address.port), timeout=10) as connection:
        connection.sendall(b"POST /hooks/generic HTTP/1.1\r\nHost: x\r\nContent-Length: 52428800\r\n\r\n")
        answer = connection.recv(200)
    assert answer.startswith(b"HTTP/1.1 413")


def test_malformed_bodies_are_400_with_the_reason(receiver_for):
    receiver = receiver_for()
    answer = post(receiver, "/hooks/generic", b"{not json", **bearer())
    assert answer.status_code == 400 and "not JSON" in answer.json()["message"]
    answer = post(receiver, "/hooks/distribution", {"events": [{"action": "push", "target": {"tag": "1"}}]}, **bearer())
    assert answer.status_code == 400 and "target.repository" in answer.json()["message"]


def test_a_body_over_one_mebibyte_is_413_and_one_of_exactly_one_mebibyte_is_read(receiver_for):
    receiver = receiver_for()
    answer = post(receiver, "/hooks/generic", b"x" * (MAX_EVENT_BYTES + 1), **bearer())
    assert answer.status_code == 413
    body = json.dumps({"image": "ghcr.io/acme/app:1.0.0", "pad": ""}).encode()
    body = body.replace(b'"pad": ""', b'"pad": "' + b"x" * (MAX_EVENT_BYTES - len(body)) + b'"')
    assert len(body) == MAX_EVENT_BYTES  # what run --event reads too
    assert post(receiver, "/hooks/generic", body, **bearer()).status_code == 202


def test_unknown_routes_are_404_and_wrong_methods_405(receiver_for):
    receiver = receiver_for()
    assert requests.get(receiver.url + "/nope", timeout=10).status_code == 404
    assert post(receiver, "/hooks/quay", {}, **bearer()).status_code == 404
    assert requests.get(receiver.url + "/hooks/generic", timeout=10).status_code == 405
    assert requests.get(receiver.url + "/healthz", timeout=10).json()["status"] == "ok"
    mistyped = post(receiver, f"/hooks/dockerhubX/{DOCKERHUB_TOKEN}", {})  # a token route mistyped
    assert mistyped.status_code == 404 and DOCKERHUB_TOKEN not in mistyped.text


def test_a_burst_within_the_debounce_becomes_one_run(receiver_for):
    receiver = receiver_for(debounce=1.0)
    for tag in ("1.0.1", "1.0.2", "1.0.3"):
        assert post(receiver, "/hooks/generic", {"image": f"ghcr.io/acme/app:{tag}"}, **bearer()).status_code == 202
    assert wait_for(lambda: receiver.runner.batches)
    assert receiver.runner.batches == [("ghcr.io/acme/app:1.0.1", "ghcr.io/acme/app:1.0.2", "ghcr.io/acme/app:1.0.3")]


def test_a_full_queue_answers_503_with_retry_after(receiver_for):
    receiver = receiver_for(debounce=30, capacity=2)
    post(receiver, "/hooks/generic", {"images": ["ghcr.io/acme/a:1", "ghcr.io/acme/b:1"]}, **bearer())
    answer = post(receiver, "/hooks/generic", {"image": "ghcr.io/acme/c:1"}, **bearer())
    assert answer.status_code == 503 and answer.headers["Retry-After"]


def test_stop_finishes_the_run_in_flight_and_what_was_accepted(receiver_for):
    runner = RecordingRunner(seconds=0.5)
    receiver = receiver_for(runner, debounce=0.0)
    post(receiver, "/hooks/generic", {"image": "ghcr.io/acme/app:1.0.0"}, **bearer())
    assert runner.started.wait(10)
    post(receiver, "/hooks/generic", {"image": "ghcr.io/acme/app:1.0.1"}, **bearer())  # accepted mid-run
    assert receiver.stop(timeout=30)
    assert runner.batches == [("ghcr.io/acme/app:1.0.0",), ("ghcr.io/acme/app:1.0.1",)]
    with pytest.raises(requests.ConnectionError):
        requests.get(receiver.url + "/healthz", timeout=2)


def test_metrics_count_events_runs_and_updates(receiver_for):
    receiver = receiver_for(debounce=0.0)
    post(receiver, "/hooks/generic", {"image": "ghcr.io/acme/app:1.0.0"}, **bearer())
    assert wait_for(lambda: receiver.runner.batches)
    text = requests.get(receiver.url + "/metrics", timeout=10).text
    assert 'automator_events_received_total{source="generic"} 1.0' in text
    assert wait_for(lambda: 'automator_runs_total{trigger="event"} 1.0' in requests.get(receiver.url + "/metrics", timeout=10).text)
    text = requests.get(receiver.url + "/metrics", timeout=10).text
    assert "automator_updates_total 1.0" in text and "automator_run_duration_seconds_count 1.0" in text


def test_no_credential_configured_refuses_unless_insecure(receiver_for):
    closed = receiver_for(secrets=WebhookSecrets())
    assert post(closed, "/hooks/generic", {"image": "ghcr.io/acme/app:1"}).status_code == 401
    open_ = receiver_for(secrets=WebhookSecrets(insecure_no_auth=True))
    assert post(open_, "/hooks/generic", {"image": "ghcr.io/acme/app:1"}).status_code == 202


def test_insecure_no_auth_opens_only_the_sources_without_a_secret(receiver_for):
    """A flag meant for an internal registry that cannot send a header must not let anyone
    forge events on a route whose secret is set."""
    receiver = receiver_for(secrets=WebhookSecrets(github_secret=GITHUB_SECRET, insecure_no_auth=True))
    event = (FIXTURES / "github-registry-package.json").read_bytes()
    wrong = {**signed(event, "not-the-secret"), "X-GitHub-Event": "registry_package", "X-GitHub-Delivery": "d-1"}
    assert post(receiver, "/hooks/github", event, **wrong).status_code == 401
    assert post(receiver, "/hooks/generic", {"image": "ghcr.io/acme/app:1"}).status_code == 202  # no secret: open


def test_secrets_never_show_in_repr():
    text = repr(WebhookSecrets(token=TOKEN, github_secret=GITHUB_SECRET))
    assert TOKEN not in text and GITHUB_SECRET not in text


@pytest.mark.parametrize(("text", "expected"), [("127.0.0.1:8080", ("127.0.0.1", 8080)), ("0.0.0.0:80", ("0.0.0.0", 80)), ("[::1]:9000", ("::1", 9000))])
def test_listen_addresses(text, expected):
    listen = parse_listen(text)
    assert (listen.host, listen.port) == expected


@pytest.mark.parametrize("text", ["8080", "localhost", ":8080", "host:99999", "host:http"])
def test_bad_listen_addresses_say_what_is_expected(text):
    with pytest.raises(ValueError, match="HOST:PORT|name the address"):
        parse_listen(text)


def test_an_event_naming_more_images_than_the_queue_holds_is_413_not_a_retry_for_ever(receiver_for):
    receiver = receiver_for(capacity=2)
    images = {"images": [f"ghcr.io/acme/app-{n}:1.0.0" for n in range(3)]}
    answer = post(receiver, "/hooks/generic", images, **bearer())
    assert answer.status_code == 413 and "Retry-After" not in answer.headers
    assert "more than the queue holds (2); start serve with a larger --queue-size" in answer.json()["message"]
