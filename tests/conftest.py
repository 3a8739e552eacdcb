"""Fixtures shared by every suite."""
from __future__ import annotations

import pytest


@pytest.fixture
def store(transactional_db):
    """A fresh store on the test database (real commits, so other threads see them)."""
    from cluster.store import Store

    return Store()
