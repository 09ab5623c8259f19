"""Plain types shared by the control API and its callers (the CLI, the GUI).

Qt-free and free of the state store: the desktop program imports this and
the control client, nothing else of the appliance. ``ControlError`` is the
one error every operation raises (the state store's ``StateError`` is one),
with the field at fault, ready to show beside a form field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ControlError", "Endpoint", "SettingSpec"]


class ControlError(ValueError):
    """A refused operation. ``field`` names the input at fault, for forms."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def to_dict(self) -> dict[str, Any]:
        return {"message": self.message, "field": self.field}


@dataclass(frozen=True)
class Endpoint:
    """Where the running daemon's control API listens, and its secret."""

    host: str
    port: int
    secret: str
    pid: int | None = None


@dataclass(frozen=True)
class SettingSpec:
    """One setting as ``settings.schema`` describes it to a form."""

    key: str
    type: str  # "bool", "int", "str", "list"
    default: Any
    help: str
    group: str
    unit: str = ""  # "s", "ms", "bytes", "" (a count or text)
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = field(default_factory=tuple)
    secret: bool = False

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> SettingSpec:
        return cls(key=row["key"], type=row["type"], default=row["default"],
                   help=row.get("help", ""), group=row.get("group", ""),
                   unit=row.get("unit", ""), minimum=row.get("minimum"),
                   maximum=row.get("maximum"), choices=tuple(row.get("choices") or ()),
                   secret=bool(row.get("secret")))
