"""Database.async_session/async_transaction close their session in the caller's task: a
cancellation that lands while the close waits on the server still returns the connection."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from schemakit.db import Database
from tests.db._models import Item


@pytest.mark.parametrize("transaction", [False, True])
def test_a_cancellation_during_the_close_still_returns_the_connection(
    database: Database, monkeypatch: pytest.MonkeyPatch, transaction: bool
) -> None:
    closes: list[int] = []
    close = AsyncSession.close

    async def counted_close(self: AsyncSession) -> None:
        closes.append(id(self))
        await close(self)

    monkeypatch.setattr(AsyncSession, "close", counted_close)
    interrupted = 0

    async def request(ready: asyncio.Event, sku: str) -> None:
        opened: Any = database.async_transaction if transaction else database.async_session
        async with opened() as s:
            s.add(Item(user_id="u1", sku=sku, name=sku))
            await s.flush()
            # The cancellation arrives once this task waits: in the close (async_session), or
            # in the COMMIT before it (async_transaction), which psycopg completes.
            ready.set()

    async def main() -> None:
        nonlocal interrupted
        pool = database.async_engine.sync_engine.pool
        for turns in range(6):
            closes.clear()
            ready = asyncio.Event()
            task = asyncio.create_task(request(ready, f"s{turns}"))
            await ready.wait()
            for _ in range(turns):
                await asyncio.sleep(0)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass  # a close cut off raises the cancellation once it has finished
            else:
                assert len(closes) == 1  # done before the cancellation came
            interrupted += len(closes) == 2  # the first close was cut off and run again
            assert pool.checkedout() == 0, f"connection not returned after {turns} turns"
        async with database.async_session() as s:
            # The pooled connections still work; a session never committed wrote nothing.
            skus = (await s.scalars(sa.select(Item.sku))).all()
            if not transaction:
                assert skus == []
        await database.aclose()

    asyncio.run(main())
    if not transaction:
        # The cancellation landed inside the close at least once (else this tests nothing).
        assert interrupted >= 1
