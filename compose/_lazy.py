"""Names a package exports but imports only on first use (a PEP 562 module ``__getattr__``).

``import compose`` and ``compose build`` must not pay for the composer, the runners (kubernetes,
boto3) or Prefect unless they are used; the packages list what lives where and this makes the
``__getattr__`` that loads it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(namespace: dict[str, Any], table: Mapping[str, str]) -> Callable[[str], Any]:
    """The module ``__getattr__`` for ``namespace`` (a module's ``globals()``): ``name`` is
    imported from the module ``table[name]`` on first use and kept in ``namespace``."""

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__
