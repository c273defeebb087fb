"""``@value_type`` (automator/values.py) makes the same frozen dataclass as
``@dataclass(frozen=True)``, compiling only its ``__init__``."""

from __future__ import annotations

import builtins
import copy
import dataclasses
import importlib
import inspect
import pickle
import pkgutil
import re
from dataclasses import FrozenInstanceError, asdict, field, fields, replace
from pathlib import Path

import pytest

import automator
from automator.values import value_type


@value_type
class Point:
    """A point."""

    x: int
    y: int = 0
    tags: tuple[str, ...] = field(default_factory=tuple)
    note: str = field(default="", compare=False, repr=False)


@value_type
class Labelled(Point):
    label: str = "origin"


@value_type
class Checked:
    name: str
    size: int = field(default=0, hash=False)
    derived: str = field(init=False, default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "derived", self.name.upper())


def test_fields_defaults_and_factories_are_those_of_a_dataclass():
    point = Point(1)
    assert (point.x, point.y, point.tags, point.note) == (1, 0, (), "")
    assert [f.name for f in fields(point)] == ["x", "y", "tags", "note"]
    assert dataclasses.is_dataclass(point) and dataclasses.is_dataclass(Point)
    assert asdict(Point(1, 2, ("a",))) == {"x": 1, "y": 2, "tags": ("a",), "note": ""}
    assert Point.__match_args__ == ("x", "y", "tags", "note")
    assert Point.y == 0, "the class attribute keeps the default, as dataclass leaves it"


def test_replace_makes_a_changed_copy_and_refuses_unknown_fields():
    point = Point(1, 2)
    assert replace(point, y=5) == Point(1, 5)
    assert point == Point(1, 2)
    with pytest.raises(TypeError):
        replace(point, z=1)


def test_instances_are_frozen():
    point = Point(1)
    with pytest.raises(FrozenInstanceError):
        point.x = 2
    with pytest.raises(FrozenInstanceError):
        del point.y
    with pytest.raises(FrozenInstanceError):
        point.other = 1


def test_equality_and_hash_follow_compare_and_hash():
    assert Point(1, 2) == Point(1, 2, note="ignored")
    assert Point(1, 2) != Point(2, 1)
    assert hash(Point(1, 2)) == hash(Point(1, 2, note="ignored"))
    assert Point(1) != Labelled(1), "instances of different classes are never equal"
    assert Checked("a", 1) != Checked("a", 2)
    assert hash(Checked("a", 1)) == hash(Checked("a", 2)), "size is compared but not hashed"
    assert Point(1).__eq__(object()) is NotImplemented


def test_repr_leaves_out_fields_with_repr_false():
    assert repr(Point(1, 2)) == "Point(x=1, y=2, tags=())"
    assert repr(Labelled(1)) == "Labelled(x=1, y=0, tags=(), label='origin')"


def test_the_compiled_init_belongs_to_its_class():
    assert Point.__init__.__qualname__ == "Point.__init__"
    assert Point.__init__.__module__ == __name__
    assert list(inspect.signature(Point).parameters) == ["x", "y", "tags", "note"]


def test_post_init_and_init_false_fields():
    checked = Checked("web")
    assert checked.derived == "WEB"
    with pytest.raises(TypeError):
        Checked("web", 1, "X")  # derived is not an argument


def test_a_subclass_adds_its_fields_after_its_bases():
    labelled = Labelled(1, label="a")
    assert [f.name for f in fields(labelled)] == ["x", "y", "tags", "note", "label"]
    assert labelled == Labelled(1, 0, (), "", "a")


def test_instances_copy_and_pickle():
    point = Point(1, 2, ("a",), "n")
    assert copy.copy(point) == point and copy.deepcopy(point) == point
    assert pickle.loads(pickle.dumps(point)) == point


def test_a_required_field_after_a_defaulted_one_is_an_error_as_in_dataclass():
    with pytest.raises(TypeError, match="non-default argument 'z' follows default argument"):
        @value_type
        class Bad:
            y: int = 0
            z: int


def test_what_only_dataclass_does_is_left_to_dataclass():
    @value_type
    class KeywordOnly:
        a: int = field(default=0, kw_only=True)

    with pytest.raises(TypeError):
        KeywordOnly(1)
    assert KeywordOnly(a=1).a == 1


def test_a_class_whose_annotations_are_computed_on_demand_is_left_to_dataclass():
    @value_type
    class Lazy:  # as Python 3.14 makes classes: __annotate__ instead of __annotations__
        __annotate__ = None

    assert dataclasses.is_dataclass(Lazy)
    assert "_value_compared" not in Lazy.__dict__


def test_a_class_left_to_dataclass_reaches_it_as_written():
    @value_type
    class Mixed:
        first: int = field(default=0, compare=False)
        second: int = field(default=0, kw_only=True)  # only dataclass does kw_only

    assert "_value_compared" not in Mixed.__dict__
    assert Mixed(1, second=2) == Mixed(3, second=2), "first keeps compare=False"


def test_a_mutable_default_is_refused_as_dataclass_refuses_it():
    with pytest.raises(ValueError, match="mutable default"):
        @value_type
        class Bad:
            items: list = []


def test_one_exec_per_class_where_dataclass_needs_one_per_method(monkeypatch):
    calls = []
    real_exec = builtins.exec
    monkeypatch.setattr(builtins, "exec", lambda *args: (calls.append(1), real_exec(*args))[1])

    @value_type
    class Ours:
        a: int
        b: str = ""

    ours = len(calls)
    calls.clear()

    @dataclasses.dataclass(frozen=True)
    class Theirs:
        a: int
        b: str = ""

    assert ours == 1
    assert len(calls) >= ours


def value_types():
    """Every class of the package made with @value_type."""
    found = {}
    for module_info in pkgutil.walk_packages(automator.__path__, "automator."):
        if module_info.name.endswith("__main__"):
            continue  # runs the command line
        module = importlib.import_module(module_info.name)
        for item in vars(module).values():
            if isinstance(item, type) and "_value_compared" in item.__dict__ and item.__module__ == module.__name__:
                found[f"{item.__module__}.{item.__qualname__}"] = item
    return found


def test_every_value_type_of_the_package_takes_the_arguments_a_dataclass_would():
    classes = value_types()
    assert len(classes) > 90
    for name, cls in classes.items():
        twin = dataclasses.make_dataclass(cls.__name__, [
            (f.name, f.type, field(default=f.default, default_factory=f.default_factory, init=f.init, repr=f.repr,
                                   hash=f.hash, compare=f.compare))
            for f in fields(cls)], frozen=True)
        ours, theirs = inspect.signature(cls).parameters, inspect.signature(twin).parameters
        assert [(p.name, p.kind, p.default is p.empty) for p in ours.values()] == \
               [(p.name, p.kind, p.default is p.empty) for p in theirs.values()], name
        assert cls.__match_args__ == twin.__match_args__, name


def test_the_package_declares_its_frozen_value_types_with_value_type():
    """A new @dataclass(frozen=True) would cost every command's start its six execs again."""
    package = Path(automator.__file__).parent
    declared = [str(path.relative_to(package)) for path in sorted(package.rglob("*.py"))
                if re.search(r"^\s*@dataclass\(frozen=True", path.read_text(encoding="utf-8"), re.MULTILINE)]
    assert declared == [], "declare these with @value_type (automator/values.py)"
