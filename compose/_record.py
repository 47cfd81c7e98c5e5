"""A lean stand-in for :func:`dataclasses.dataclass`, for modules on the build path.

``import dataclasses`` imports :mod:`inspect` (with ``ast``, ``dis``, ``tokenize``): with
dataclasses instead of this module, ``compose build DIR`` takes 1.19 times the CPU time
(``bench/stand_ins.py``, 61.5 against 51.9 ms).
:func:`record` covers what those modules use: annotated fields in order, plain defaults,
``field(default_factory=...)``, a keyword-or-positional ``__init__``, ``__repr__``, ``__eq__``,
and ``frozen=True`` (immutable and hashable). Nothing else: anything fancier uses dataclasses.

>>> @record
... class Point:
...     x: int
...     y: int = 0
...     tags: list = field(default_factory=list)
>>> Point(1), Point(1) == Point(1, 0, [])
(Point(x=1, y=0, tags=[]), True)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["record", "field"]

T = TypeVar("T")
_MISSING = object()


class _Factory:
    __slots__ = ("factory",)

    def __init__(self, factory: Callable[[], Any]) -> None:
        self.factory = factory


def field(*, default_factory: Callable[[], Any]) -> Any:
    """A field whose default is made fresh for each instance."""
    return _Factory(default_factory)


def record(cls: type[T] | None = None, *, frozen: bool = False) -> Any:
    """Give ``cls`` an ``__init__``, ``__repr__`` and ``__eq__`` from its annotated fields."""

    def wrap(klass: type[T]) -> type[T]:
        names = list(klass.__dict__.get("__annotations__", {}))
        defaults: dict[str, Any] = {}
        for name in names:
            if name in klass.__dict__:
                defaults[name] = klass.__dict__[name]
                if isinstance(defaults[name], _Factory):
                    delattr(klass, name)
        params, body = [], []
        env: dict[str, Any] = {"_MISSING": _MISSING, "_setattr": object.__setattr__}
        for name in names:
            default = defaults.get(name, _MISSING)
            if default is _MISSING:
                params.append(name)
                value = name
            elif isinstance(default, _Factory):
                env[f"_f_{name}"] = default.factory
                params.append(f"{name}=_MISSING")
                value = f"_f_{name}() if {name} is _MISSING else {name}"
            else:
                env[f"_d_{name}"] = default
                params.append(f"{name}=_d_{name}")
                value = name
            body.append(f"  _setattr(self, {name!r}, {value})" if frozen else f"  self.{name} = {value}")
        src = f"def __init__(self, {', '.join(params)}):\n" + ("\n".join(body) or "  pass") + "\n"
        exec(src, env)  # noqa: S102 - generated from the class's own field names
        init = env["__init__"]
        init.__qualname__ = f"{klass.__qualname__}.__init__"
        klass.__init__ = init  # type: ignore[misc]
        fields = tuple(names)

        def __repr__(self: Any) -> str:
            inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in fields)
            return f"{type(self).__qualname__}({inner})"

        def __eq__(self: Any, other: Any) -> Any:
            if other.__class__ is not self.__class__:
                return NotImplemented
            return all(getattr(self, n) == getattr(other, n) for n in fields)

        if "__repr__" not in klass.__dict__:
            klass.__repr__ = __repr__  # type: ignore[assignment]
        klass.__eq__ = __eq__  # type: ignore[assignment]
        if frozen:
            def __setattr__(self: Any, name: str, value: Any) -> None:
                raise AttributeError(f"cannot assign to field {name!r} of a frozen {type(self).__name__}")

            def __hash__(self: Any) -> int:
                return hash(tuple(getattr(self, n) for n in fields))

            klass.__setattr__ = __setattr__  # type: ignore[assignment]
            klass.__delattr__ = __setattr__  # type: ignore[assignment]
            klass.__hash__ = __hash__  # type: ignore[assignment]
        else:
            klass.__hash__ = None  # type: ignore[assignment]  # mutable and comparable, as dataclasses
        klass.__record_fields__ = fields  # type: ignore[attr-defined]
        return klass

    return wrap(cls) if cls is not None else wrap
