"""The settings schema as forms need it: type, unit, range or choices, default, help, group.

Derived from :data:`appliance.state.settings.SETTINGS` (declared once there),
so a setting another part adds shows up with no change here: the range comes
from its check (``_port``, ``_positive``, ``_non_negative``, ``_choice``), the
unit from its key or its help text. ``settings.schema`` serves it; the GUI
builds its settings pages from that and never imports the state store.
"""

from __future__ import annotations

import re
from typing import Any

from appliance.control.operations import Operations, op
from appliance.control.types import ControlError
from appliance.state import settings as catalogue

__all__ = ["describe", "schema"]

_TYPES = {bool: "bool", int: "int", str: "str", list: "list"}


def _unit(spec: catalogue.Setting) -> str:
    if spec.kind is not int:
        return ""
    key, text = spec.key, spec.help.lower()
    if key.endswith("_ms") or "milliseconds" in text:
        return "ms"
    if key.endswith(("_bytes", "_size", "minfree")) or re.search(r"\bbytes\b", text):
        return "bytes"
    if (re.search(r"\bseconds?\b", text) or key.endswith(("_seconds", "timeout", "_window",
                                                           "interval", "lifetime"))
            or key.startswith("queue.retry") or key == "queue.delay_warning"):
        return "s"
    return ""


def _range(spec: catalogue.Setting) -> tuple[int | None, int | None, tuple[str, ...]]:
    check = spec.check
    choices = tuple(getattr(check, "choices", ()) or ())
    minimum = getattr(check, "minimum", None)
    maximum = getattr(check, "maximum", None)
    if check is getattr(catalogue, "_port", None):
        minimum, maximum = 1, 65535
    elif check is getattr(catalogue, "_positive", None):
        minimum = 1
    elif check is getattr(catalogue, "_non_negative", None):
        minimum = 0
    return minimum, maximum, choices


def describe(spec: catalogue.Setting) -> dict[str, Any]:
    minimum, maximum, choices = _range(spec)
    group = spec.key.split(".", 1)[0] if "." in spec.key else "general"
    return {"key": spec.key, "type": _TYPES.get(spec.kind, "str"), "default": spec.default,
            "help": spec.help, "group": group, "unit": _unit(spec), "minimum": minimum,
            "maximum": maximum, "choices": list(choices), "secret": spec.secret}


def schema(keys: list[str] | None = None) -> list[dict[str, Any]]:
    wanted = None if keys is None else set(keys)
    return [describe(s) for k, s in catalogue.SETTINGS.items()
            if wanted is None or k in wanted]


@op("settings.schema")
def settings_schema(ops: Operations, keys: list[str] | None = None) -> list[dict[str, Any]]:
    """Every setting (or those in ``keys``) described for a form; see ``types.SettingSpec``."""
    unknown = sorted(set(keys or ()) - set(catalogue.SETTINGS))
    if unknown:
        raise ControlError(catalogue.unknown_setting(unknown[0]), "key")
    return schema(keys)


@op("settings.check")
def settings_check(ops: Operations, key: str, value: Any) -> Any:
    """The value as it would be stored, or the refusal a save would give; stores nothing."""
    try:
        return catalogue.mask(key, catalogue.parse_setting(key, value))
    except catalogue.SettingError as exc:
        raise ControlError(str(exc), key if key in catalogue.SETTINGS else "key") from exc
