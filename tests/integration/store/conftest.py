"""A fresh SQLite store in a temporary folder for each test, closed afterwards."""

from __future__ import annotations

import pytest

from smsgate.store import Store

from ..store_fixtures import db_path, open_more, store
from .store_support import Tenant

# The fixtures of this package, the imported ones included: pytest registers both.
__all__ = ["db_path", "open_more", "store", "tenant"]


@pytest.fixture
async def tenant(store: Store) -> Tenant:
    return await Tenant().save(store)
