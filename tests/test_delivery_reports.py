"""Reports for people and CI: Markdown tables, GitHub workflow commands, outputs, dotenv."""

from __future__ import annotations

import json

import pytest

from automator.errors import register_secret
from automator.imageref import parse_image_ref
from automator.model import Change, ImageUse, Plan, PolicySpec, Problem, Span, Update
from automator.report import dotenv, markdown, records, workflow


def make_update(file="apps/web.yaml", line=12, image="ghcr.io/acme/web:1.2.0", to="1.3.0", reason="newest of 4 tags matching ^1"):
    ref = parse_image_ref(image)
    use = ImageUse(
        file=file,
        line=line,
        span=Span(10, 20),
        field="image",
        image=ref,
        container="web",
        policy=PolicySpec("semver:^1"),
        dialect="native",
    )
    return Update(use=use, from_tag=ref.tag, to_tag=to, new_text=ref.with_tag(to), reason=reason)


PLAN = Plan(
    updates=(make_update(), make_update(file="apps/api.yaml", line=3, image="nginx:1.25.0", to="1.25.3")),
    problems=(
        Problem("registry said 401: log in", file="apps/db.yaml", line=7, image="quay.io/x/db"),
        Problem("no tag matches ^9", file="apps/cache.yaml", line=2, severity="warning"),
    ),
)


# --- Markdown ---------------------------------------------------------------------------------


def test_markdown_has_one_table_row_per_update_with_from_to_policy_and_reason():
    text = markdown.render_markdown(PLAN)
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert rows == [
        "| `apps/web.yaml:12` | `ghcr.io/acme/web` | `1.2.0` -> `1.3.0` | `semver:^1` | newest of 4 tags matching ^1 |",
        "| `apps/api.yaml:3` | `nginx` | `1.25.0` -> `1.25.3` | `semver:^1` | newest of 4 tags matching ^1 |",
    ]
    assert "2 image updates in 2 file(s)." in text


def test_markdown_lists_problems_with_severity_and_location():
    text = markdown.render_markdown(PLAN)
    assert "#### Problems (2)" in text
    assert "- **error** `apps/db.yaml:7` `quay.io/x/db`: registry said 401: log in" in text
    assert "- **warning** `apps/cache.yaml:2`: no tag matches ^9" in text


def test_markdown_cell_cannot_break_the_table():
    update = make_update(reason="a | b\nsecond line")
    row = markdown.update_row(update)
    assert row.endswith("| a \\| b second line |")
    assert "\n" not in row


def test_a_file_name_with_a_line_break_stays_in_its_table_row():
    row = markdown.update_row(make_update(file="apps/we\nb.yaml"))
    assert "\n" not in row and row.startswith("| `apps/we \\| b.yaml:12` |")


def test_markdown_for_empty_plan_says_nothing_to_do_and_shows_the_change():
    text = markdown.render_markdown(Plan(), Change(commit="0123456789abcdef", branch="main"))
    assert "No image needs an update." in text
    assert "Commit: `0123456789ab` on `main`" in text
    assert "|" not in text


def test_markdown_never_shows_a_registered_secret():
    register_secret("s3cr3t-value-42")
    text = markdown.render_markdown(Plan(problems=(Problem("token s3cr3t-value-42 refused"),)))
    assert "s3cr3t-value-42" not in text and "***" in text


# --- workflow commands ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "data", "prop"),
    [
        ("plain", "plain", "plain"),
        ("50%", "50%25", "50%25"),
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("c:/x,y", "c:/x,y", "c%3A/x%2Cy"),
        ("%0A", "%250A", "%250A"),
    ],
)
def test_escaping_of_messages_and_properties(raw, data, prop):
    assert workflow.escape_data(raw) == data
    assert workflow.escape_property(raw) == prop


def test_problems_become_error_and_warning_annotations_at_file_and_line():
    lines = workflow.annotations(PLAN, prefix="env/prod")
    assert lines[0] == "::error file=env/prod/apps/db.yaml,line=7,title=automator%3A quay.io/x/db::registry said 401: log in"
    assert lines[1] == "::warning file=env/prod/apps/cache.yaml,line=2,title=automator::no tag matches ^9"
    assert lines[2].startswith("::notice file=env/prod/apps/web.yaml,line=12,title=automator%3A semver%3A^1::")
    assert len(lines) == 4


def test_annotation_without_file_leaves_out_file_and_line():
    assert workflow.problem_annotation(Problem("cannot clone")) == "::error title=automator::cannot clone"


def test_mask_commands_cover_each_line_of_each_secret_once():
    assert workflow.mask_commands(["abc123", "abc123", "line1\nline2"]) == [
        "::add-mask::abc123",
        "::add-mask::line1",
        "::add-mask::line2",
    ]


def test_outputs_file_uses_a_delimiter_safe_for_multiline_values(tmp_path):
    out = tmp_path / "github_output"
    out.write_text("earlier=1\n")
    workflow.write_outputs(out, {"updates": '[{"a":1}]', "note": "two\nlines"})
    parsed = parse_github_output(out.read_text())
    assert parsed == {"earlier": "1", "updates": '[{"a":1}]', "note": "two\nlines"}


def test_output_block_refuses_a_value_containing_its_delimiter():
    with pytest.raises(ValueError):
        workflow.output_block("x", "EOF inside", delimiter="EOF")


def test_step_summary_is_appended_not_overwritten(tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    workflow.append_step_summary(summary, "### Image updates")
    assert summary.read_text() == "# earlier step\n### Image updates\n"


def parse_github_output(text: str) -> dict[str, str]:
    """What the runner does with $GITHUB_OUTPUT: ``k=v`` lines and ``k<<DELIM`` blocks."""
    result, lines = {}, iter(text.splitlines())
    for line in lines:
        if "<<" in line:
            name, delimiter = line.split("<<", 1)
            body = []
            for inner in lines:
                if inner == delimiter:
                    break
                body.append(inner)
            result[name] = "\n".join(body)
        else:
            name, value = line.split("=", 1)
            result[name] = value
    return result


# --- records, outputs and dotenv --------------------------------------------------------------


def test_run_outputs_count_and_describe_the_updates():
    outputs = records.run_outputs(PLAN, Change(commit="abc", branch="main", pr_url="https://h/pr/1"))
    assert outputs["updated"] == "2"
    assert outputs["pr-url"] == "https://h/pr/1"
    first = json.loads(outputs["updates"])[0]
    assert first == {
        "file": "apps/web.yaml",
        "line": 12,
        "image": "ghcr.io/acme/web",
        "repository": "ghcr.io/acme/web",
        "container": "web",
        "from": "1.2.0",
        "to": "1.3.0",
        "policy": "semver:^1",
        "reason": "newest of 4 tags matching ^1",
    }


def test_run_outputs_name_the_policy_as_every_other_report_does():
    """A filter and extract are part of the policy: the step output keeps them, like the JSON report."""
    from dataclasses import replace

    from automator.report.json import plan_dict

    update = make_update()
    filtered = replace(update, use=replace(update.use, policy=PolicySpec("numerical", filter="^main-(?P<ts>[0-9]+)$", extract="$ts")))
    plan = Plan(updates=(filtered,))
    (record,) = json.loads(records.run_outputs(plan)["updates"])
    assert record["policy"] == "numerical filter=^main-(?P<ts>[0-9]+)$ extract=$ts"
    assert record["policy"] == plan_dict(plan)["updates"][0]["policy"]
    assert f"`{record['policy']}`" in markdown.render_markdown(plan)


def test_dotenv_has_one_single_line_variable_per_output():
    text = dotenv.render_dotenv({"updated": "2", "pr-url": "", "note": "a\nb"})
    assert text == "AUTOMATOR_UPDATED=2\nAUTOMATOR_PR_URL=\nAUTOMATOR_NOTE=a b\n"


def test_dotenv_over_the_gitlab_size_limit_empties_the_longest_value_and_says_so():
    text = dotenv.render_dotenv({"updated": "300", "updates": "x" * 6000})
    assert len(text.encode()) <= dotenv.MAX_BYTES
    assert text.splitlines() == ["AUTOMATOR_UPDATED=300", "AUTOMATOR_UPDATES=", "AUTOMATOR_TRUNCATED=AUTOMATOR_UPDATES"]


def test_write_dotenv_replaces_the_file(tmp_path):
    target = tmp_path / "automator.env"
    target.write_text("OLD=1\n")
    dotenv.write_dotenv(target, {"updated": "0"})
    assert target.read_text() == "AUTOMATOR_UPDATED=0\n"
    assert [p.name for p in tmp_path.iterdir()] == ["automator.env"]


# --- the shared report options ----------------------------------------------------------------


def report_args(*argv: str):
    """The report settings that these command-line arguments give (as ``automator scan`` builds them)."""
    import argparse

    from automator.commands.options import reports
    from automator.context import Context

    group = reports.group()
    parser = argparse.ArgumentParser()
    group.add_arguments(parser)
    return group.settings(parser.parse_args(argv), Context.from_environ({}))


def test_report_options_write_markdown_and_dotenv_files(tmp_path):
    from automator.context import Context
    from automator.report.publish import write_reports

    args = report_args("--markdown", str(tmp_path / "r.md"), "--dotenv", str(tmp_path / "a.env"))
    write_reports(args, Context.from_environ({}), PLAN, Change(commit="c0ffee"))
    assert (tmp_path / "r.md").read_text() == markdown.render_markdown(PLAN, Change(commit="c0ffee"))
    assert "AUTOMATOR_COMMIT=c0ffee\n" in (tmp_path / "a.env").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.env", "r.md"]


def test_markdown_dash_goes_to_stdout_and_nothing_is_published_outside_github(capsys):
    from automator.context import Context
    from automator.report.publish import write_reports

    write_reports(report_args("--markdown", "-"), Context.from_environ({"GITLAB_CI": "true"}), PLAN)
    out = capsys.readouterr().out
    assert out == markdown.render_markdown(PLAN)


def test_with_json_the_workflow_commands_move_to_stderr(capsys, tmp_path):
    from automator.context import Context
    from automator.report.publish import write_reports

    ctx = Context.from_environ({"GITHUB_ACTIONS": "true"})
    write_reports(report_args("--json"), ctx, PLAN)
    captured = capsys.readouterr()
    assert "::" not in captured.out
    assert "::error file=apps/db.yaml,line=7" in captured.err


MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  annotations:
    automator.dev/policy: "semver:^1"
spec:
  template:
    spec:
      containers:
        - name: app
          image: ghcr.io/acme/app:1.0.0
"""


def test_a_report_that_cannot_be_written_is_named_and_the_other_reports_still_are(tmp_path, capsys):
    from automator.cli import main

    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "app.yaml").write_text(MANIFEST)
    (tmp_path / "tags.yaml").write_text('ghcr.io/acme/app: ["1.0.0", "1.1.0"]\n')
    missing = tmp_path / "no-such-dir" / "report.md"
    code = main(["scan", str(tmp_path / "env"), "--tags-from", str(tmp_path / "tags.yaml"),
                 "--markdown", str(missing), "--dotenv", str(tmp_path / "automator.env")])
    err = capsys.readouterr().err
    assert code == 1
    assert f"cannot write the report {missing}" in err and "Traceback" not in err
    assert "AUTOMATOR_UPDATED=1\n" in (tmp_path / "automator.env").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["automator.env", "env", "tags.yaml"]


def test_a_problem_item_shows_its_location_and_image_once():
    problem = Problem("apps/db.yaml:7: quay.io/x/db: registry said 401: log in", file="apps/db.yaml", line=7, image="quay.io/x/db")
    item = markdown.problem_item(problem)
    assert item == "- **error** `apps/db.yaml:7` `quay.io/x/db`: registry said 401: log in"
    assert markdown.problem_item(Problem("no file here", image="quay.io/x/db")).endswith(": no file here")
