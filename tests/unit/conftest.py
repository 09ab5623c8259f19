"""Fixtures shared by the unit tests of the store."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.store import Mailstore


@pytest.fixture
def store(tmp_path: Path) -> Mailstore:
    """An empty mail store in the test's own directory."""
    return Mailstore(tmp_path, "host.test")
