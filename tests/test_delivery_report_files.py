"""Report files are readable by the rest of the pipeline, regular files only, and a dotenv
report keeps as much as GitLab's 5 KiB allow: reasons go before updates."""

from __future__ import annotations

import json
import os
import socket
import stat

import pytest

from automator.report import dotenv
from automator.report.files import ReportError, current_umask, write_report


@pytest.fixture
def umask():
    def set_to(mask: int) -> None:
        os.umask(mask)

    saved = os.umask(0o022)
    os.umask(saved)
    yield set_to
    os.umask(saved)


def mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_a_new_report_is_0644_under_the_usual_umask(tmp_path, umask):
    umask(0o022)
    write_report(tmp_path / "report.md", "# plan\n")
    assert mode(tmp_path / "report.md") == 0o644


def test_a_new_report_respects_a_stricter_umask(tmp_path, umask):
    umask(0o077)
    assert current_umask() == 0o077
    write_report(tmp_path / "report.md", "# plan\n")
    assert mode(tmp_path / "report.md") == 0o600


def test_a_replaced_report_keeps_the_mode_its_owner_gave_it(tmp_path, umask):
    umask(0o022)
    target = tmp_path / "automator.env"
    target.write_text("OLD=1\n")
    target.chmod(0o640)
    write_report(target, "NEW=1\n")
    assert (target.read_text(), mode(target)) == ("NEW=1\n", 0o640)


def test_a_symlink_at_the_report_path_is_refused_and_its_target_untouched(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    link = tmp_path / "report.md"
    link.symlink_to(victim)
    with pytest.raises(ReportError, match=r"report\.md: it is a symbolic link, not a regular file"):
        write_report(link, "# plan\n")
    assert victim.read_text() == "keep me\n" and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md", "victim"]


def test_a_fifo_at_the_report_path_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "report.md"
    os.mkfifo(fifo)
    with pytest.raises(ReportError, match="it is a FIFO, not a regular file") as caught:
        write_report(fifo, "# plan\n")
    assert str(fifo) in str(caught.value)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.parametrize("kind", ["directory", "socket"])
def test_other_special_files_are_refused_by_name(tmp_path, kind):
    target = tmp_path / "report.md"
    if kind == "directory":
        target.mkdir()
    else:
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(target))
        server.close()
    with pytest.raises(ReportError, match=f"report.md: it is a {kind}"):
        write_report(target, "x")


def test_a_device_at_the_report_path_is_refused_by_name():
    with pytest.raises(ReportError, match="/dev/null: it is a character device"):
        write_report("/dev/null", "x")


# --- dotenv: the shorter forms come before the empty one --------------------------------------


def records(count: int) -> str:
    return json.dumps([
        {"file": f"clusters/prod/app-{i}.yaml", "line": 12, "image": f"ghcr.io/acme/app-{i}",
         "repository": f"ghcr.io/acme/app-{i}", "container": "app", "from": "1.2.0", "to": "1.3.0",
         "policy": "semver:^1", "reason": "newest of 14 tags in range ^1 (semver)"}
        for i in range(count)
    ])


def parse(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines())


def test_forty_updates_keep_every_update_by_dropping_the_reasons_first():
    text = dotenv.render_dotenv({"updated": "40", "updates": records(40)})
    values = parse(text)
    assert len(text.encode()) <= dotenv.MAX_BYTES
    updates = json.loads(values["AUTOMATOR_UPDATES"])
    assert len(updates) == 40
    assert {"file", "line", "image", "from", "to"} <= set(updates[0])
    assert "reason" not in updates[0]
    assert values["AUTOMATOR_DROPPED_FIELDS"].split(",")[0] == "reason"
    assert "AUTOMATOR_TRUNCATED" not in values


def test_a_few_updates_keep_every_field():
    values = parse(dotenv.render_dotenv({"updated": "3", "updates": records(3)}))
    assert json.loads(values["AUTOMATOR_UPDATES"]) == json.loads(records(3))
    assert set(values) == {"AUTOMATOR_UPDATED", "AUTOMATOR_UPDATES"}


def test_when_the_reasons_are_enough_the_other_fields_stay():
    one_row = len(records(1)) - len('"reason":"newest of 14 tags in range ^1 (semver)",')
    limit = len("AUTOMATOR_UPDATES=\n") + 30 * one_row + 200
    values = parse(dotenv.render_dotenv({"updates": records(30)}, max_bytes=limit))
    (first, *_) = json.loads(values["AUTOMATOR_UPDATES"])
    assert "reason" not in first and first["policy"] == "semver:^1"
    assert values["AUTOMATOR_DROPPED_FIELDS"] == "reason"


def test_too_many_updates_for_any_form_empty_the_value_and_say_so():
    values = parse(dotenv.render_dotenv({"updated": "400", "updates": records(400)}))
    assert values["AUTOMATOR_UPDATES"] == ""
    assert values["AUTOMATOR_TRUNCATED"] == "AUTOMATOR_UPDATES"
    assert values["AUTOMATOR_UPDATED"] == "400"
