"""The PR body: a table rendered from the plan and a hidden marker later runs can read back."""

from __future__ import annotations

from dataclasses import replace

import pytest
from forge_helpers import deployment, make_env_repo, plan_for, tags

from automator.forge.body import fingerprint, parse_marker, render_body, render_title
from automator.tags import PolicySpec


@pytest.fixture
def env(tmp_path):
    return make_env_repo(tmp_path, {"clusters/prod/app.yaml": deployment()})


def test_body_has_one_table_row_per_update_and_a_marker_that_round_trips(env):
    plan = plan_for(env.clone, tags(podinfo="6.5.1", redis="7.2.4"))
    body = render_body(plan.updates, env_path="clusters/prod", branch="automator/clusters-prod/all")

    rows = [line for line in body.splitlines() if line.startswith("| `")]
    assert len(rows) == 2
    assert "`redis` -> " not in body and "`7.2.3` -> `7.2.4`" in body
    marker = parse_marker(body)
    assert (marker.env, marker.branch, marker.fingerprint) == ("clusters/prod", "automator/clusters-prod/all", fingerprint(plan.updates))
    assert marker.repositories == ("docker.io/library/redis", "ghcr.io/acme/podinfo")


def test_fingerprint_depends_on_what_changes_not_on_line_numbers(env, tmp_path):
    plan = plan_for(env.clone, tags(podinfo="6.5.1"))
    (env.clone / "clusters/prod/app.yaml").write_text("# a comment that shifts every line\n" + deployment())
    shifted = plan_for(env.clone, tags(podinfo="6.5.1"))
    newer = plan_for(env.clone, tags(podinfo="6.6.0"))

    assert plan.updates[0].use.line != shifted.updates[0].use.line
    assert fingerprint(plan.updates) == fingerprint(shifted.updates)
    assert fingerprint(plan.updates) != fingerprint(newer.updates)


def test_titles_name_one_image_or_count_several(env):
    assert render_title(plan_for(env.clone, tags(podinfo="6.5.1")).updates, "clusters/prod") == "Update podinfo to 6.5.1 in clusters/prod"
    assert render_title(plan_for(env.clone, tags(podinfo="6.5.1", redis="7.2.4")).updates, "") == "Update 2 images"


@pytest.mark.parametrize(
    "body",
    [None, "", "no marker here", "<!-- automator:{not json} -->", '<!-- automator:{"env": "x"} -->'],
)
def test_bodies_without_a_valid_marker_are_not_ours(body):
    assert parse_marker(body) is None


def test_marker_cannot_be_closed_early_by_a_file_name(env):
    plan = plan_for(env.clone, tags(podinfo="6.5.1"))
    body = render_body(plan.updates, env_path="odd-->name", branch="b")

    assert parse_marker(body).env == "odd-->name"


def _long(plan, reason_length):
    """The plan's updates with reasons long enough to overflow a description."""
    from dataclasses import replace

    return tuple(replace(u, reason=f"{u.reason} " + "because " * (reason_length // 8)) for u in plan.updates)


def test_a_body_over_the_limit_keeps_the_rows_that_fit_a_note_and_the_whole_marker(env):
    plan = plan_for(env.clone, tags(podinfo="6.5.1", redis="7.2.4"))
    updates = _long(plan, 900)
    full = render_body(updates, env_path="clusters/prod", branch="automator/clusters-prod/all")
    assert len(full) > 2000

    body = render_body(updates, env_path="clusters/prod", branch="automator/clusters-prod/all", limit=2000)

    assert len(body) <= 2000
    rows = [line for line in body.splitlines() if line.startswith("| `")]
    assert len(rows) == 1 and rows[0] in full
    assert "**1 of 2 updates are not listed here**" in body
    assert "limit of 2,000 characters" in body and "The commit on `automator/clusters-prod/all` carries every change" in body
    marker = parse_marker(body)
    assert marker == parse_marker(full) and marker.fingerprint == fingerprint(updates)


def test_a_body_within_the_limit_is_left_whole(env):
    plan = plan_for(env.clone, tags(podinfo="6.5.1", redis="7.2.4"))
    full = render_body(plan.updates, env_path="clusters/prod", branch="b")
    assert render_body(plan.updates, env_path="clusters/prod", branch="b", limit=len(full)) == full


def test_when_even_the_marker_is_too_long_it_keeps_only_what_later_runs_read(env):
    plan = plan_for(env.clone, tags(podinfo="6.5.1", redis="7.2.4"))
    full = render_body(plan.updates, env_path="clusters/prod", branch="b")
    bodies = {}
    for limit in range(len(full), 0, -5):  # down to where not even a bare marker fits
        try:
            bodies[limit] = render_body(plan.updates, env_path="clusters/prod", branch="b", limit=limit)
        except ValueError:
            break
    assert all(len(body) <= limit and parse_marker(body).fingerprint == fingerprint(plan.updates) for limit, body in bodies.items())
    limit, compact = next((limit, body) for limit, body in bodies.items() if '"from"' not in body)
    assert "**2 of 2 updates are not listed here**" in compact
    marker = parse_marker(compact)
    assert marker.repositories == ("docker.io/library/redis", "ghcr.io/acme/podinfo")
    assert marker.files == ("clusters/prod/app.yaml",)


def _row(body):
    [row] = [line for line in body.splitlines() if line.startswith("| `")]
    return row


def test_the_reason_is_shown_as_written_not_as_markdown_or_html(env):
    plan = plan_for(env.clone, tags(podinfo="6.5.1"))
    reason = "glob 'v1.*-*' on tags matching '^main-(?P<ts>[0-9]+)$' (comparing '$ts'): a_b & [c](d) ~~e~~ `f` \\g"
    updates = [replace(u, reason=reason) for u in plan.updates]

    row = _row(render_body(updates, env_path="clusters/prod", branch="b"))

    reason_cell = row.rsplit(" | ", 1)[1]
    assert reason_cell == (
        "glob 'v1.\\*-\\*' on tags matching '^main-(?P&lt;ts&gt;\\[0-9\\]+)\\$' (comparing '\\$ts'): "
        "a\\_b &amp; \\[c\\](d) \\~\\~e\\~\\~ \\`f\\` \\\\g |"
    )


def test_a_policy_with_backticks_stays_one_code_span(env):
    plan = plan_for(env.clone, tags(podinfo="6.5.1"))
    use = plan.updates[0].use
    odd = replace(use, policy=PolicySpec("regex:^v`1``2$"))
    updates = [replace(plan.updates[0], use=odd)]

    row = _row(render_body(updates, env_path="clusters/prod", branch="b"))

    assert "| ```regex:^v`1``2$``` |" in row
