"""Filters between tag listing and selection, with the real tag policies and a fixed clock."""

from datetime import datetime, timedelta, timezone

import pytest

from automator.model import PolicySpec, TagInfo
from automator.policy import make_policy
from automator.rules import parse_rules, select_with_rules, settings_for
from automator.rules.firstseen import FirstSeenFile, first_seen, remember

NOW = datetime(2026, 1, 21, 12, 0, tzinfo=timezone.utc)  # a Wednesday
FRIDAY_EVENING = datetime(2026, 1, 23, 17, 0, tzinfo=timezone.utc)
SEMVER = make_policy(PolicySpec("semver:>=1.0.0"))
TAGS = [TagInfo("1.2.3"), TagInfo("1.2.4"), TagInfo("1.3.0"), TagInfo("2.0.0")]


def choose(rules_text, tags=TAGS, current="1.2.3", now=NOW, created_of=lambda tag: None, held_by=None):
    rules = parse_rules(rules_text, "rules.yaml")
    return select_with_rules(
        SEMVER, tags, current, now=now, created_of=created_of, held_by=held_by,
        settings_of=lambda size: settings_for(rules, "production/app.yaml", "docker.io/acme/app", size),
    )


MAJOR = "major change; rules allow at most minor"
HELD = "held by rule"


@pytest.mark.parametrize(
    ("rules", "chosen", "excluded", "count"),
    [
        ("rules: []", "2.0.0", [], 0),
        ("rules:\n  - max-change: minor\n", "1.3.0", [("2.0.0", MAJOR)], 1),
        (
            "rules:\n  - max-change: patch\n",
            "1.2.4",
            [("2.0.0", "major change; rules allow at most patch"), ("1.3.0", "minor change; rules allow at most patch")],
            2,
        ),
        ("rules:\n  - {match: {change: major}, hold: true}\n", "1.3.0", [("2.0.0", HELD)], 1),
        ("rules:\n  - hold: true\n", "1.2.3", [("2.0.0", HELD)], 3),
        ("rules:\n  - {match: {paths: staging/**}, hold: true}\n", "2.0.0", [], 0),
        ("rules:\n  - {match: {images: other/*}, hold: true}\n", "2.0.0", [], 0),
    ],
)
def test_hold_and_change_size(rules, chosen, excluded, count):
    selection = choose(rules)
    assert selection.chosen == chosen
    assert list(selection.excluded) == excluded
    assert selection.excluded_count == count


def test_a_held_image_stays_and_says_why():
    selection = choose("rules: []", held_by="held by annotation automator.dev/hold")
    assert selection.chosen == "1.2.3"
    assert selection.reason == "stays on 1.2.3: held by annotation automator.dev/hold"


FREEZE = "rules:\n  - freeze:\n      - {from: Fri 16:00, to: Mon 08:00, timezone: Europe/Berlin}\n"


def test_a_freeze_window_keeps_the_current_tag_only_while_it_lasts():
    frozen = choose(FREEZE, now=FRIDAY_EVENING)
    assert frozen.chosen == "1.2.3"
    assert frozen.excluded[0] == ("2.0.0", "freeze window Fri 16:00 -> Mon 08:00 Europe/Berlin")
    assert "stays on 1.2.3: freeze window" in frozen.reason
    assert choose(FREEZE, now=NOW).chosen == "2.0.0"


def test_patches_may_pass_a_freeze_when_a_rule_lifts_it_for_them():
    rules = FREEZE + "  - {match: {change: patch}, freeze: []}\n"
    assert choose(rules, now=FRIDAY_EVENING).chosen == "1.2.4"


def created(hours_ago):
    return NOW - timedelta(hours=hours_ago)


def test_minimum_age_skips_tags_that_are_too_new():
    tags = [TagInfo("1.2.3", created(100)), TagInfo("1.2.4", created(30)), TagInfo("1.3.0", created(2))]
    selection = choose("rules:\n  - min-age: 1d\n", tags=tags)
    assert selection.chosen == "1.2.4"
    assert selection.excluded[0] == ("1.3.0", "too new: built 2h ago, minimum age 1d")


def test_minimum_age_asks_for_build_time_only_for_the_candidates_it_looks_at():
    asked = []
    known = {"1.3.0": created(5), "1.2.4": created(48)}

    def created_of(tag):
        asked.append(tag.tag)
        return known.get(tag.tag)

    tags = [TagInfo(t) for t in ("1.0.0", "1.1.0", "1.2.3", "1.2.4", "1.3.0")]
    assert choose("rules:\n  - min-age: 1d\n", tags=tags, created_of=created_of).chosen == "1.2.4"
    assert asked == ["1.3.0", "1.2.4"]


def test_a_tag_whose_age_is_unknown_is_not_taken_under_a_minimum_age():
    selection = choose("rules:\n  - min-age: 1h\n", tags=[TagInfo("1.2.3"), TagInfo("1.2.4")])
    assert selection.chosen == "1.2.3"
    assert "build time unknown" in selection.excluded[0][1]


def test_first_seen_times_age_tags_without_build_time(tmp_path):
    store = FirstSeenFile(tmp_path / "cache")
    state = remember(store.load(), "docker.io/acme/app", ["1.2.3", "1.2.4"], NOW - timedelta(days=2))
    state = remember(state, "docker.io/acme/app", ["1.2.4", "1.3.0"], NOW)
    store.save(state)
    reloaded = FirstSeenFile(tmp_path / "cache").load()
    assert first_seen(reloaded, "docker.io/acme/app", "1.2.4") == NOW - timedelta(days=2)
    assert first_seen(reloaded, "docker.io/acme/app", "1.3.0") == NOW
    tags = [TagInfo("1.2.3"), TagInfo("1.2.4"), TagInfo("1.3.0")]
    selection = choose("rules:\n  - min-age: 1d\n", tags=tags,
                       created_of=lambda tag: first_seen(reloaded, "docker.io/acme/app", tag.tag))
    assert (selection.chosen, selection.excluded[0][0]) == ("1.2.4", "1.3.0")


def test_a_broken_first_seen_file_is_ignored(tmp_path):
    (tmp_path / "first-seen.json").write_text("{not json")
    assert FirstSeenFile(tmp_path).load() == {}
    assert FirstSeenFile(None).load() == {}


def test_never_downgrade_still_holds_under_rules():
    selection = choose("rules:\n  - max-change: patch\n", current="1.3.0")
    assert selection.chosen == "1.3.0"


def test_a_tag_aged_by_first_seen_time_is_not_said_to_be_built_then(tmp_path):
    from automator.rules import RulesRuntime
    from automator.run import make_plan
    from automator.tagfile import FileTagSource

    (tmp_path / ".automator.yaml").write_text("rules:\n  - min-age: 1d\n")
    (tmp_path / "app.yaml").write_text(
        "kind: Deployment\nmetadata:\n  name: app\n  annotations:\n    automator.dev/policy: semver:^1\n"
        "spec:\n  template:\n    spec:\n      containers:\n        - name: app\n"
        "          image: ghcr.io/acme/app:1.2.3\n"
    )
    source = FileTagSource.parse('ghcr.io/acme/app: ["1.2.3", "1.2.4"]', "tags.yaml")
    runtime = RulesRuntime.load(tmp_path, cache_dir=tmp_path / "cache", clock=lambda: NOW)
    make_plan(tmp_path, source, rules=runtime)
    later = RulesRuntime.load(tmp_path, cache_dir=tmp_path / "cache", clock=lambda: NOW + timedelta(hours=3))
    make_plan(tmp_path, source, rules=later)
    ((_use, selection),) = later.decisions
    assert selection.excluded == (("1.2.4", "too new: first seen 3h ago (build time unknown), minimum age 1d"),)
