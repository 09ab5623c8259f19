# Mailroom's stand-in for PyInstaller's pyi_rth_pyside6 run-time hook (packaging/mailroom.spec
# drops that one). PyInstaller's hook imports PySide6.QtCore at every start, only to add an
# embedded qt.conf that the PyPI PySide6 wheels register themselves; in a frozen `mailroom
# serve` that import alone held 14 MB of Qt libraries the daemon never uses. This sets the
# same paths and leaves Qt to be imported by the desktop program when it starts.
# ruff: noqa


def _pyi_rthook():
    import os
    import sys

    if sys.platform.startswith("win"):
        qt_path = os.path.join(sys._MEIPASS, "PySide6")
    else:
        qt_path = os.path.join(sys._MEIPASS, "PySide6", "Qt")
    os.environ["QT_PLUGIN_PATH"] = os.path.join(qt_path, "plugins")
    os.environ["QML2_IMPORT_PATH"] = os.path.join(qt_path, "qml")


_pyi_rthook()
del _pyi_rthook
