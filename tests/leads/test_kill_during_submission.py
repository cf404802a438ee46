"""A process killed (-9) in the middle of a lead submission leaves all or nothing: a lead with
its audit event and outbox rows, or no lead; a restarted worker delivers each key once."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.settings import Settings
from knowledge.base import KnowledgeBase

FORM = ["/conseiller", "1", "Ateliers du Nord", "passer", "Valenciennes", "40", "passer",
        "Chemises", "passer", "4", "4", "Marie", "marie@example.fr", "passer"]


def _relocbot() -> str:
    return str(Path(sys.executable).with_name("relocbot"))


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.15, 0.4])
def test_kill_9_during_submission_is_all_or_nothing(kb: KnowledgeBase, kb_settings: Settings,
                                                    tmp_path: Path, delay: float) -> None:
    data = tmp_path / "data"
    shutil.copytree(kb_settings.index_dir, data / "index")          # no rebuild
    db_file = tmp_path / "leads.db"
    env = {**os.environ, "RELOCBOT_DATA_DIR": str(data), "DATABASE_URL": f"sqlite:///{db_file}",
           "ORT_DISABLE_TELEMETRY": "1", "RELOCBOT_EMBEDDED_WORKER": "false",
           "RELOCBOT_LOG_LEVEL": "WARNING"}
    chat = subprocess.Popen([_relocbot(), "chat"], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert chat.stdin
    assert chat.stdout
    for line in FORM:
        chat.stdin.write((line + "\n").encode())
    chat.stdin.flush()
    deadline = time.monotonic() + 60
    seen = b""
    while b"Transmettre" not in seen and time.monotonic() < deadline:   # the summary is shown
        seen += os.read(chat.stdout.fileno(), 65536)
    assert b"Transmettre" in seen
    chat.stdin.write(b"1\n")          # confirm...
    chat.stdin.flush()
    time.sleep(delay)
    chat.send_signal(signal.SIGKILL)  # ...and die somewhere in the submission
    chat.wait(10)

    with sqlite3.connect(db_file) as conn:
        leads = conn.execute("SELECT id, ref FROM leads").fetchall()
        events = conn.execute("SELECT lead_id, action FROM lead_events").fetchall()
        outbox = conn.execute("SELECT lead_id, idempotency_key FROM outbox").fetchall()
    assert len(leads) <= 1
    if leads:
        [(lead_id, _)] = leads
        assert events == [(lead_id, "created")]
        assert [row[0] for row in outbox] == [lead_id]
    else:
        assert events == []
        assert outbox == []

    if not leads:
        return
    worker = subprocess.Popen([_relocbot(), "worker"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    inbox = data / "inbox"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(inbox.glob("*.json")):
        time.sleep(0.2)
    time.sleep(0.5)                   # a second delivery of the same key would show up here
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(30) == 0       # graceful: it finishes what it holds, then exits
    assert len(list(inbox.glob("*.json"))) == len(outbox) == 1
