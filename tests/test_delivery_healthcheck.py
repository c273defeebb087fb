"""The image's HEALTHCHECK checks what the main process does: nothing for a one-shot run, the
health record's freshness for the loop, GET /healthz for serve; a failed attempt is unhealthy
only when asked for."""

from __future__ import annotations

import http.server
import json
import threading
import time

import pytest

from automator.ci import healthcheck as hc


def fake_proc(root, processes: dict[int, tuple[int, list[str]]]):
    """A /proc with ``pid -> (ppid, argv)``."""
    for pid, (ppid, argv) in processes.items():
        entry = root / str(pid)
        entry.mkdir()
        (entry / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
        (entry / "status").write_text(f"Name:\tx\nPPid:\t{ppid}\n")
    (root / "self").mkdir()  # not a pid: ignored
    return root


def record(path, status="ok", age=0.0):
    path.write_text(json.dumps({"status": status, "attempt": 3, "timestamp": time.time() - age}))
    return path


def test_under_tini_the_main_process_is_its_child_running_automator(tmp_path):
    proc = fake_proc(tmp_path, {
        1: (0, ["/usr/bin/tini", "--", "automator", "run", "--every", "5m"]),
        7: (1, ["/usr/local/bin/python3.12", "/usr/local/bin/automator", "run", "--every", "5m"]),
        9: (7, ["git", "fetch"]),
    })
    assert hc.main_process(proc) == ["/usr/local/bin/python3.12", "/usr/local/bin/automator", "run", "--every", "5m"]


def test_without_an_init_pid_1_is_the_main_process(tmp_path):
    proc = fake_proc(tmp_path, {1: (0, ["python", "-m", "automator", "serve"])})
    assert hc.automator_args(hc.main_process(proc)) == ["serve"]


def test_a_one_shot_run_is_healthy_with_nothing_to_check(tmp_path, capsys):
    proc = fake_proc(tmp_path, {1: (0, ["/usr/bin/tini", "--", "automator"]),
                                5: (1, ["python3", "/usr/local/bin/automator", "run", "--repo", "x", "."])})
    assert hc.main(environ={}, proc=proc) == 0
    assert "one-shot" in capsys.readouterr().out


def test_the_loop_is_healthy_while_its_record_is_fresh_and_unhealthy_when_stale(tmp_path, capsys):
    health = record(tmp_path / "health")
    args = ["-v", "run", "--every", "5m", "--health-file", str(health), "clusters/prod"]
    (probe,) = hc.probes_for(args, {})
    assert probe == hc.Probe("record", str(health), 600.0, False)
    assert hc.check(probe)[0] is True
    record(health, age=900)
    ok, why = hc.check(probe)
    assert not ok and "older than 600s" in why


def test_the_maximum_age_comes_from_the_environment_in_interval_syntax(tmp_path):
    (probe,) = hc.probes_for(["run", "--every=1m", "--health-file=/tmp/h"], {"AUTOMATOR_HEALTH_MAX_AGE": "3m"})
    assert (probe.target, probe.max_age) == ("/tmp/h", 180.0)


def test_a_failed_attempt_is_healthy_unless_opted_in(tmp_path):
    health = record(tmp_path / "health", status="failed")
    args = ["run", "--every", "5m", "--health-file", str(health)]
    (default,) = hc.probes_for(args, {})
    assert hc.check(default)[0] is True
    (strict,) = hc.probes_for(args, {"AUTOMATOR_HEALTH_FAIL_ON_FAILED": "true"})
    ok, why = hc.check(strict)
    assert not ok and "the last attempt failed" in why
    record(health, status="partial")
    assert hc.check(strict)[0] is True


def test_a_missing_record_is_unhealthy(tmp_path):
    ok, why = hc.check_record(tmp_path / "nope", 600)
    assert not ok and "unreadable" in why


def test_a_loop_without_a_health_file_has_nothing_to_check():
    assert hc.probes_for(["run", "--every", "5m", "."], {}) == []


@pytest.mark.parametrize(("listen", "url"), [
    (None, "http://127.0.0.1:8080/healthz"),
    ("0.0.0.0:9000", "http://127.0.0.1:9000/healthz"),
    ("127.0.0.2:81", "http://127.0.0.2:81/healthz"),
    ("[::1]:8081", "http://[::1]:8081/healthz"),
    ("9100", "http://127.0.0.1:9100/healthz"),
])
def test_serve_is_checked_on_the_port_it_listens_on(listen, url):
    args = ["serve"] + (["--listen", listen] if listen else [])
    assert hc.probes_for(args, {}) == [hc.Probe("http", url)]


def test_serve_without_listen_is_checked_where_automator_listen_puts_it():
    """The image sets AUTOMATOR_LISTEN=0.0.0.0:8080, and `docker run -e AUTOMATOR_LISTEN=...`
    moves serve (its --help says so): the check follows it; --listen wins over both."""
    moved = {"AUTOMATOR_LISTEN": "0.0.0.0:9000"}
    assert hc.probes_for(["serve", "envs"], moved) == [hc.Probe("http", "http://127.0.0.1:9000/healthz")]
    assert hc.probes_for(["serve", "--listen", "9100", "envs"], moved) == [hc.Probe("http", "http://127.0.0.1:9100/healthz")]


class Healthz(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):  # noqa: N802 - the http.server name
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.HTTPServer(("127.0.0.1", 0), Healthz)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_serve_is_healthy_when_healthz_answers_200_and_not_otherwise(server, tmp_path):
    port = server.server_address[1]
    proc = fake_proc(tmp_path, {1: (0, ["tini", "--", "automator"]),
                                2: (1, ["python", "/usr/local/bin/automator", "serve", "--listen", f"0.0.0.0:{port}"])})
    assert hc.main(environ={}, proc=proc) == 0
    Healthz.status = 503
    try:
        assert hc.main(environ={}, proc=proc) == 1
    finally:
        Healthz.status = 200


def test_nothing_listening_is_unhealthy_and_says_where_it_asked():
    with socket_port() as port:
        ok, why = hc.check_http(f"http://127.0.0.1:{port}/healthz", timeout=2)
    assert not ok and f"127.0.0.1:{port}/healthz" in why


class socket_port:
    """A port that was free a moment ago (bound, then closed)."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]

    def __exit__(self, *exc):
        return False


def test_serve_beside_the_loop_checks_both(tmp_path):
    args = ["serve", "--every", "10m", "--health-file", "/tmp/h"]
    assert [p.kind for p in hc.probes_for(args, {})] == ["record", "http"]


def test_the_health_command_counts_a_failed_attempt_only_when_asked(tmp_path, capsys):
    from automator.cli import main

    health = record(tmp_path / "health", status="failed")
    assert main(["health", str(health)]) == 0
    assert main(["health", str(health), "--fail-on-failed"]) == 1
    assert "the last attempt failed" in capsys.readouterr().err
    record(health, status="ok")
    assert main(["health", str(health), "--fail-on-failed"]) == 0


def test_the_older_schedule_check_spelling_takes_the_option_too(tmp_path):
    import subprocess
    import sys

    health = record(tmp_path / "health", status="failed")
    done = subprocess.run([sys.executable, "-m", "automator.schedule", "check", str(health), "--fail-on-failed"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "the last attempt failed" in done.stderr


def test_a_maximum_age_that_is_no_interval_is_one_line_saying_unhealthy(tmp_path, capsys):
    proc = fake_proc(tmp_path, {1: (0, ["automator", "run", "--every", "5m", "--health-file", str(tmp_path / "h")])})

    assert hc.main(environ={"AUTOMATOR_HEALTH_MAX_AGE": "10 minutes"}, proc=proc) == 1

    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == "unhealthy: AUTOMATOR_HEALTH_MAX_AGE: invalid interval '10 minutes' (write it like 30s, 5m, 1h or 1h30m)\n"


@pytest.mark.parametrize("abbreviated", [["--ever", "1h", "--health", "/tmp/h"], ["--every=1h", "--health-f=/tmp/h"]])
def test_the_loop_refuses_abbreviated_options_so_the_probe_never_misses_them(abbreviated, capsys):
    from automator.cli import build_parser

    argv = ["run", *abbreviated, "."]
    with pytest.raises(SystemExit) as refused:
        build_parser(argv).parse_args(argv)

    assert refused.value.code == 2
    assert "unrecognized arguments: --" in capsys.readouterr().err
