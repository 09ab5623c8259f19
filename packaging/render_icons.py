#!/usr/bin/env python3
"""Renders the icons ui/icons.py draws into resources/icons, for the desktop files.

The desktop entry, the menu and the tray autostart need icon *files* (the
freedesktop hicolor theme); the running program still draws its own. Run
again after changing ui/icons.py:

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/render_icons.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtGui import QGuiApplication  # noqa: E402

from ui.icons import envelope_pixmap  # noqa: E402
from ui.tray_state import HEALTH_COLOURS  # noqa: E402

APP_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)
TRAY_SIZES = (22, 64)


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 (QPixmap needs it)
    icons = ROOT / "resources" / "icons"
    for size in APP_SIZES:
        out = icons / "hicolor" / f"{size}x{size}" / "apps" / "mailroom.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        if not envelope_pixmap(size).save(str(out), "PNG"):
            raise SystemExit(f"could not write {out}")
    for health, colour in HEALTH_COLOURS.items():
        for size in TRAY_SIZES:
            out = icons / "tray" / f"mailroom-{health}-{size}.png"
            out.parent.mkdir(parents=True, exist_ok=True)
            if not envelope_pixmap(size, colour).save(str(out), "PNG"):
                raise SystemExit(f"could not write {out}")
    print(f"icons written under {icons}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
