from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemon import Mailroom, make_mailroom


@pytest.fixture
def home(tmp_path: Path) -> Mailroom:
    """An initialised data directory (no daemon running)."""
    return make_mailroom(tmp_path)


@pytest.fixture
def mailroom(home: Mailroom) -> Iterator[Mailroom]:
    """The real daemon on 127.0.0.1 with a random port offset."""
    home.start()
    try:
        yield home
    finally:
        home.stop()
