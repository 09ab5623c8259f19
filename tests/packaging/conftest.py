"""Where the packaging tests find `make package`'s output.

On a developer's machine without dist/ these tests skip and say why; in CI
(CI=true), where `make test` builds the package first, a missing build is a
failure, never a silent skip.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def built(path: Path | None, what: str) -> Path:
    if path is not None and path.exists():
        return path
    message = f"{what} not built: run `make package` (looked in {DIST})"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def onefolder() -> Path:
    return built(DIST / "mailroom" / "mailroom", "the one-folder build")


@pytest.fixture(scope="session")
def onefile() -> Path:
    return built(DIST / "mailroom-onefile", "the one-file build")


@pytest.fixture(scope="session")
def deb() -> Path:
    found = sorted(glob.glob(str(DIST / "mailroom_*_amd64.deb")))
    return built(Path(found[-1]) if found else None, "the .deb")
