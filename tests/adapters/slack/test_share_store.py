"""``ShareStore`` keeps one lock per Slack user only while that user's put is under way (issue
#13, item 16: it used to keep one per user forever), and still serialises one user's puts."""

from __future__ import annotations

import asyncio
import gc

from adapters.slack.state import ShareStore
from bot.storage import Database


async def test_locks_do_not_outlive_the_puts(db: Database) -> None:
    shares = ShareStore(db.channel_store, keep=2)
    for i in range(300):
        await shares.put("T1", f"U{i}", blocks=[], text=f"answer {i}")
    gc.collect()
    assert len(shares._locks) == 0
    ids = await asyncio.gather(*(shares.put("T1", "U0", blocks=[], text=f"again {n}")
                                 for n in range(5)))
    kept = [await shares.get("T1", "U0", share_id) for share_id in ids]
    assert [k["text"] if k else None for k in kept] == [None, None, None, "again 3", "again 4"]
