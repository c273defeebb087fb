"""``@value_type``: a frozen dataclass whose methods cost one ``exec`` instead of six.

``@dataclass(frozen=True)`` compiles ``__init__``, ``__repr__``, ``__eq__``, ``__hash__``,
``__setattr__`` and ``__delattr__`` with ``exec`` for each class as it is created: about half
a millisecond a class in CPython 3.11, and a run imports some 75 of them (40-55 ms of an
event run's 250 ms). A class decorated with :func:`value_type` is the same frozen dataclass to its
users -- ``dataclasses.fields``, ``replace``, ``asdict`` and ``is_dataclass`` work on it, its
fields take ``field(default=..., default_factory=..., init=, repr=, compare=, hash=)`` and its
``__post_init__`` runs -- but only ``__init__`` is compiled (it must be: a generic one would
slow every instance down); equality, hash, repr and the frozen guards are shared functions
that read the fields through ``operator.attrgetter``.

A class that asks for more than that (``order``, ``kw_only``, ``InitVar``, ``ClassVar``,
``slots``, field ``metadata``), or whose annotations are not strings (every module of the
package has ``from __future__ import annotations``), is handed to ``dataclass`` itself.
"""

from __future__ import annotations

import dataclasses
from dataclasses import MISSING, Field, FrozenInstanceError
from operator import attrgetter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    T = TypeVar("T")

_PARAMS: dict[bool, object] = {}  # the __dataclass_params__ of a frozen dataclass, by repr
_UNSUPPORTED_ANNOTATIONS = ("ClassVar", "InitVar", "KW_ONLY")


def value_type(cls: type[T] | None = None, /, *, repr: bool = True) -> Any:  # noqa: A002 -- dataclass's own keyword
    """``@dataclass(frozen=True)`` (or ``(frozen=True, repr=False)``), made cheaply."""

    def wrap(cls: type[T]) -> type[T]:
        fields = _fields_of(cls)
        if fields is None:
            return dataclasses.dataclass(frozen=True, repr=repr)(cls)
        _install(cls, fields, repr)
        return cls

    return wrap if cls is None else wrap(cls)


def _fields_of(cls: type) -> dict[str, Field] | None:
    """The class's fields, its bases' first (as ``dataclass`` collects them), or None when
    the class needs something only ``dataclass`` does. Nothing is changed before that is
    known: a class handed to ``dataclass`` reaches it as it was written."""
    if "__slots__" in cls.__dict__ or "__setattr__" in cls.__dict__ or "__delattr__" in cls.__dict__:
        return None
    fields: dict[str, Field] = {}
    for base in cls.__mro__[-1:0:-1]:
        base_fields = getattr(base, "__dataclass_fields__", None)
        if base_fields is not None:
            if not base.__dataclass_params__.frozen or any(f._field_type is not dataclasses._FIELD for f in base_fields.values()):
                return None  # a non-frozen base (dataclass raises the error it deserves), ClassVar or InitVar
            fields.update(base_fields)
    own = cls.__dict__.get("__annotations__")
    if own is None and "__annotate__" in cls.__dict__:
        return None  # annotations evaluated on demand (Python 3.14): dataclass knows how to ask
    declared = []
    for name, annotation in (own or {}).items():
        if not isinstance(annotation, str) or any(word in annotation for word in _UNSUPPORTED_ANNOTATIONS):
            return None
        written = cls.__dict__.get(name, MISSING)
        if isinstance(written, Field) and (written.metadata or written.kw_only not in (MISSING, False)):
            return None
        default = written.default if isinstance(written, Field) else written
        if default is not MISSING and default.__class__.__hash__ is None:
            return None  # a mutable default: dataclass refuses it with a clear error
        declared.append((name, annotation, written))
    for name, annotation, written in declared:
        spec = written if isinstance(written, Field) else dataclasses.field(default=written)
        spec.name = name
        spec.type = annotation
        spec._field_type = dataclasses._FIELD  # what dataclass marks its ordinary fields with
        spec.kw_only = False
        if isinstance(written, Field):  # the class attribute holds the default, as dataclass leaves it
            if spec.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, spec.default)
        fields[name] = spec
    return fields


def _install(cls: type, fields: dict[str, Field], with_repr: bool) -> None:
    cls.__dataclass_fields__ = fields
    cls.__dataclass_params__ = _params(with_repr)
    init_fields = [f for f in fields.values() if f.init]
    _set(cls, "__match_args__", tuple(f.name for f in init_fields))
    _set(cls, "__init__", _init(cls, fields))
    if with_repr:
        cls._value_repr_fields = tuple(f.name for f in fields.values() if f.repr)
        _set(cls, "__repr__", _repr)
    compared = [f.name for f in fields.values() if f.compare]
    cls._value_compared = _getter(compared)
    _set(cls, "__eq__", _eq)
    explicit_hash = "__hash__" in cls.__dict__ and not (cls.__dict__["__hash__"] is None and "__eq__" in cls.__dict__)
    if not explicit_hash:
        hashed = [f.name for f in fields.values() if (f.compare if f.hash is None else f.hash)]
        cls._value_hashed = _getter(hashed)
        cls.__hash__ = _hash
    cls.__setattr__, cls.__delattr__ = _frozen_guards(cls, frozenset(fields))
    if cls.__doc__ is None:
        cls.__doc__ = f"{cls.__name__}({', '.join(f.name for f in init_fields)})"


def _params(with_repr: bool) -> object:
    """What ``dataclass`` records of its arguments, taken from a class it made once."""
    params = _PARAMS.get(with_repr)
    if params is None:
        params = _PARAMS[with_repr] = dataclasses.dataclass(frozen=True, repr=with_repr)(type("Params", (), {})).__dataclass_params__
    return params


def _set(cls: type, name: str, function: object) -> None:
    """Set a method unless the class body wrote its own (as ``dataclass`` does)."""
    if name not in cls.__dict__:
        setattr(cls, name, function)


def _getter(names: list[str]) -> Callable[[Any], tuple]:
    if not names:
        return lambda self: ()
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda self: (one(self),)
    return attrgetter(*names)


def _init(cls: type, fields: dict[str, Field]) -> Callable:
    """``__init__`` compiled for these fields: the one method a generic version would slow."""
    names: dict[str, object] = {"__set": object.__setattr__, "__missing": MISSING}
    parameters, body = ["self"], []
    seen_default = False
    for f in fields.values():
        if f.init:
            if f.default is not MISSING:
                names[f"__default_{f.name}"] = f.default
                parameters.append(f"{f.name}=__default_{f.name}")
                seen_default = True
            elif f.default_factory is not MISSING:
                names[f"__factory_{f.name}"] = f.default_factory
                parameters.append(f"{f.name}=__missing")
                body.append(f"if {f.name} is __missing: {f.name} = __factory_{f.name}()")
                seen_default = True
            else:
                if seen_default:
                    raise TypeError(f"non-default argument {f.name!r} follows default argument")
                parameters.append(f.name)
            body.append(f"__set(self, {f.name!r}, {f.name})")
        elif f.default is not MISSING:
            names[f"__default_{f.name}"] = f.default
            body.append(f"__set(self, {f.name!r}, __default_{f.name})")
        elif f.default_factory is not MISSING:
            names[f"__factory_{f.name}"] = f.default_factory
            body.append(f"__set(self, {f.name!r}, __factory_{f.name}())")
    if hasattr(cls, "__post_init__"):
        body.append("self.__post_init__()")
    source = f"def __init__({', '.join(parameters)}):\n" + "".join(f"    {line}\n" for line in body or ["pass"])
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<value {cls.__qualname__}>", "exec"), names, namespace)  # noqa: S102 -- as dataclass does
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    return init


def _repr(self: Any) -> str:
    fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._value_repr_fields)
    return f"{self.__class__.__qualname__}({fields})"


def _eq(self: Any, other: object) -> bool:
    if other.__class__ is self.__class__:
        return self._value_compared(self) == self._value_compared(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(self._value_hashed(self))


def _frozen_guards(cls: type, names: frozenset[str]) -> tuple[Callable, Callable]:
    """``__setattr__`` and ``__delattr__`` that refuse the fields, and every attribute of an
    instance of ``cls`` itself (a plain subclass may add attributes of its own), as
    ``dataclass`` writes them."""

    def __setattr__(self: Any, name: str, value: object) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __setattr__, __delattr__
