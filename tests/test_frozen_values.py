"""The values a short command builds at start-up are hand-written frozen classes
(automator/frozen.py) that behave as the frozen dataclasses they replace."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from automator.commands.select import SelectSettings
from automator.context import Context
from automator.log import LogSettings
from automator.model import PolicySpec as ModelPolicySpec
from automator.policy import parse_constraint, parse_version
from automator.policy.pattern import compile_go_regex, parse_template
from automator.tags import PolicySpec, Selection, TagInfo

VALUES = [
    TagInfo("1.2.3"),
    PolicySpec("semver:^1", filter="^v", exclude=("rc",), source="app.yaml", line=3),
    Selection("1.2.0", "chose 1.2.0", 3, (("2.0.0", "outside the range"),), 1),
    LogSettings(verbose=1),
    SelectSettings(PolicySpec("semver:^1"), ("1.0.0",), current="1.0.0"),
    parse_constraint(">=1.2 <2 || ^0.9"),
    parse_version("v1.2.3-rc.1+build"),
    parse_template("$v", compile_go_regex("(?P<v>.*)")),
    Context({"HOME": "/home/a"}),
]


def test_the_pipeline_model_exports_the_same_classes():
    assert ModelPolicySpec is PolicySpec


def test_equal_fields_make_equal_values_with_equal_hashes():
    assert TagInfo("1.0", digest="sha256:a") == TagInfo("1.0", None, "sha256:a")
    assert hash(TagInfo("1.0")) == hash(TagInfo("1.0"))
    assert TagInfo("1.0") != TagInfo("1.1") and TagInfo("1.0") != ("1.0", None, None)
    assert len({PolicySpec("semver:^1"), PolicySpec("semver:^1"), PolicySpec("semver:^2")}) == 2
    assert parse_constraint("^1") == parse_constraint("^1") != parse_constraint("^2")


def test_repr_reads_like_a_dataclass():
    assert repr(TagInfo("1.0")) == "TagInfo(tag='1.0', created=None, digest=None)"
    assert repr(parse_version("v1.2")) == "Version(major=1, minor=2, patch=0, prerelease='', metadata='', original='v1.2')"


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_values_are_frozen_copyable_and_picklable(value):
    field = type(value)._fields[0]
    with pytest.raises(dataclasses.FrozenInstanceError, match=f"cannot assign to field '{field}'"):
        setattr(value, field, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        delattr(value, field)
    with pytest.raises(dataclasses.FrozenInstanceError):
        value.anything_else = 1
    assert copy.copy(value) == value == copy.deepcopy(value)
    assert pickle.loads(pickle.dumps(value)) == value


def test_replace_changes_the_named_fields_and_keeps_the_original():
    selection = Selection("1.2.0", "chose 1.2.0", 3)
    changed = selection.replace(reason="held", excluded_count=2)
    assert changed == Selection("1.2.0", "held", 3, (), 2)
    assert selection.reason == "chose 1.2.0"
    with pytest.raises(TypeError, match="no field 'chosn'"):
        selection.replace(chosn="1.0")


def test_fields_match_in_patterns():
    match TagInfo("1.0", digest="sha256:a"):
        case TagInfo(tag, created, digest):
            assert (tag, created, digest) == ("1.0", None, "sha256:a")


def test_a_subclass_keeps_its_bases_fields_and_adds_its_own():
    from automator.frozen import set_field

    class Dated(TagInfo):
        __slots__ = ("seen",)

        def __init__(self, tag: str, created=None, digest=None, seen: int = 0) -> None:
            super().__init__(tag, created, digest)
            set_field(self, "seen", seen)

    assert Dated._fields == ("tag", "created", "digest", "seen")
    assert Dated("1.0", seen=2) == Dated("1.0", seen=2) != Dated("1.0", seen=3)
    assert repr(Dated("1.0")).endswith("Dated(tag='1.0', created=None, digest=None, seen=0)")
