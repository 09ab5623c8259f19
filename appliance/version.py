"""The program's version, one place for ``--version``, the .deb and the frozen build.

Kept as a literal (not read from package metadata) because the frozen program
and a source checkout carry no installed distribution to ask; a test checks it
against pyproject.toml.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
