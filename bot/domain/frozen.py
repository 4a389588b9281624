"""`frozen`: a frozen, keyword-only dataclass that is cheaper to build.

The `__init__` that dataclasses writes for a frozen class stores each field with
`object.__setattr__`, to get past the class's own `__setattr__` that refuses changes; that call
costs more than the rest of the construction. The `__init__` made here has the same signature
and stores the fields in the instance's dict directly, in about half the time. Everything else
(equality, hashing, repr, `dataclasses.fields` and `replace`, a pydantic `TypeAdapter`) is the
dataclass's own.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(kw_only_default=True, frozen_default=True)
def frozen(cls: type[T]) -> type[T]:
    made = dataclass(frozen=True, kw_only=True)(cls)
    made.__init__ = _init(made)  # type: ignore[method-assign]  # replacing the dataclass's own, same signature
    return made


def _init(cls: type[Any]) -> Any:
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: __post_init__ is not supported")
    defaults: dict[str, Any] = {}
    params, stores = [], []
    for field in fields(cls):
        if field.default_factory is not MISSING or not field.init:
            raise TypeError(f"{cls.__name__}.{field.name}: only plain defaults are supported")
        if field.default is MISSING:
            params.append(field.name)
        else:
            defaults[f"_default_{field.name}"] = field.default
            params.append(f"{field.name}=_default_{field.name}")
        stores.append(f"    values[{field.name!r}] = {field.name}\n")
    signature = ", ".join(["self", *(["*", *params] if params else [])])
    source = f"def __init__({signature}):\n    values = self.__dict__\n{''.join(stores)}"
    namespace: dict[str, Any] = {}
    exec(source, defaults, namespace)  # how dataclasses itself writes `__init__`
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init
