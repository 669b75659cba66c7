"""Fixtures of the store tests."""

from __future__ import annotations

import pytest

from prefcenter.context import AppContext
from prefcenter.demo import load_demo


@pytest.fixture
async def ctx(backend):
    """The app's context on this session's database of each engine, with the demo catalog."""
    context = AppContext.build(backend)
    await load_demo(context)
    yield context
    await context.db.dispose()
