"""Frozen value classes written out by hand, for the few types a short command needs at start.

``@dataclass(frozen=True)`` generates its methods with ``exec`` when the class is created
(about half a millisecond a class, after importing ``dataclasses`` and ``inspect``): for
``automator select`` that was a third of its start-up. The types on that path subclass
:class:`Frozen` instead and behave as frozen dataclasses do:

* the fields are the ``__slots__`` not starting with ``_``, in order (after those of a base
  class), and the class writes its own ``__init__`` (setting each field with ``set_field``);
* equality compares the fields of two instances of the same class, the hash is the hash of
  the fields, ``repr`` reads ``Name(field=value, ...)``, ``__match_args__`` lists the fields;
* setting or deleting an attribute raises ``dataclasses.FrozenInstanceError``;
* copies and pickles are rebuilt through ``__init__`` with the fields as arguments;
* ``value.replace(**changes)`` stands for ``dataclasses.replace(value, **changes)``.

Everything else is a frozen dataclass made with :func:`automator.values.value_type` (one
``exec`` a class instead of six); a type moves here only when a short command's start-up
needs it.
"""

from __future__ import annotations

from operator import attrgetter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, NoReturn

set_field = object.__setattr__  # what each ``__init__`` uses, as a frozen dataclass's does


class Frozen:
    __slots__ = ()
    _fields: tuple[str, ...] = ()
    _values: Callable[[Any], tuple]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = tuple(name for name in cls.__dict__.get("__slots__", ()) if not name.startswith("_"))
        fields = (*cls._fields, *own)  # a subclass adds its slots to its base's fields
        cls._fields = fields
        cls.__match_args__ = fields
        getter = attrgetter(*fields) if fields else (lambda value: ())
        cls._values = staticmethod(getter if len(fields) != 1 else (lambda value: (getter(value),)))  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._values(self) == self._values(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values(self))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{self.__class__.__qualname__}({fields})"

    def __setattr__(self, name: str, value: object) -> NoReturn:
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> NoReturn:
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[type, tuple]:
        return self.__class__, self._values(self)

    def replace(self, **changes: Any) -> Any:
        """A copy with some fields changed (``dataclasses.replace`` for these classes)."""
        unknown = set(changes) - set(self._fields)
        if unknown:
            raise TypeError(f"{self.__class__.__qualname__} has no field {sorted(unknown)[0]!r}")
        return self.__class__(**{name: changes.get(name, getattr(self, name)) for name in self._fields})
