"""A fresh SQLite store with one tenant, and messages already handed to a fake carrier."""

from __future__ import annotations

import pytest

from smsgate.store import Store

from ..dispatch.dispatch_support import Tenant
from ..store_fixtures import db_path, open_more, store

__all__ = ["db_path", "open_more", "store", "tenant"]


@pytest.fixture
async def tenant(store: Store) -> Tenant:
    return await Tenant().save(store)
