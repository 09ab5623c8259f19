"""One control boundary: the GUI imports from the appliance only the control client, the
plain control types and the desktop deployment module (the issue's grep, kept as a test)."""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "ui"
ALLOWED = {"appliance.control.client", "appliance.control.types", "appliance.control.desktop",
           "appliance.bootstrap"}  # bootstrap: ui/__init__ finds the project's venv
# A developer's tool that seeds demo data for the pictures, not part of the program.
TOOLS = {"screenshots.py"}


def test_ui_imports_only_the_control_boundary() -> None:
    wrong = []
    for path in sorted(UI.rglob("*.py")):
        if path.name in TOOLS:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                if name.startswith("appliance") and name not in ALLOWED:
                    wrong.append(f"{path.relative_to(UI.parent)}:{node.lineno}: {name}")
    assert not wrong, "\n".join(wrong)
