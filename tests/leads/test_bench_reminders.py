"""``relocbot bench``'s reminder scan rows (``ops.bench_reminders``), on a small PostgreSQL
database: the figures are there, beside their baseline (no timing is asserted)."""

from __future__ import annotations

import pytest

from ops.bench_reminders import run


@pytest.mark.postgres
async def test_the_scan_rows_beside_their_baseline(postgres_url: str | None) -> None:
    if postgres_url is None:
        pytest.skip("local PostgreSQL not reachable")
    rows = await run(postgres_url=postgres_url, leads=3_000, baseline=300, rounds=1,
                     database="relocbot_test_bench_reminders")
    names = [row[0] for row in rows]
    assert names[:2] == ["reminder scan over 3,000 leads, PostgreSQL (ms, median)",
                         "survey scan over 3,000 leads, PostgreSQL (ms, median)"]
    assert all(row[2].startswith("300 leads ") and row[3].endswith("x") for row in rows[:2])
    due = int(rows[2][1].split()[0].replace(",", ""))
    assert 0 < due < 3_000                 # a few leads behind, not every waiting one


async def test_no_rows_without_postgres() -> None:
    assert await run(postgres_url=None) == []
