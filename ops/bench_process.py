"""The whole ``relocbot ask`` process on a built index, beside the eager start-up it replaced.

``relocbot ask`` imports only the knowledge base and the answerer (``ops.asking``) and loads the
bundled model in a background thread meanwhile (``knowledge.embeddings.warm_up``). The baseline,
run in the same bench on the same data dir, is the previous path: every module imported up
front (``ops.runtime``), the database migrated, the whole Assistant built, then the answer.
Each figure is the median of ``runs`` fresh processes (different questions: no answer cache).

Usage::

    rows = process_rows(data_dir=built_dir, runs=3)   # [(figure, value, baseline, ratio)]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["process_rows"]

_LAZY = "import sys; from ops.cli import main; sys.argv[0] = 'relocbot'; main()"
_EAGER = """
import asyncio, sys
from ops import process
import ops.cli, ops.runtime                      # everything imported up front
from ops.runtime import open_runtime

async def main() -> None:
    runtime = await open_runtime(process.settings())
    await runtime.assistant.compose(sys.argv[2], "fr")
    await runtime.close()

process.quiet_telemetry()
asyncio.run(main())
"""

QUESTIONS = ("Quelles aides pour relocaliser une usine de {n} salariés ?",
             "Qui finance l'implantation d'un atelier textile ({n}) ?",
             "Comment trouver un sous-traitant en mécanique ({n}) ?")


def _seconds(code: str, question: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, "ask", question], env=env, check=True,  # noqa: S603 - our own interpreter and code
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def process_rows(*, data_dir: Path, runs: int = 3) -> list[tuple[str, str, str, str]]:
    env = {**os.environ, "RELOCBOT_DATA_DIR": str(data_dir), "ORT_DISABLE_TELEMETRY": "1",
           "ANONYMIZED_TELEMETRY": "False", "DATABASE_URL": ""}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    env.pop("SLACK_BOT_TOKEN", None)
    _seconds(_LAZY, "amorce", env)                  # the OS file cache, as for any later run
    lazy, eager = [], []
    for i in range(runs):
        question = QUESTIONS[i % len(QUESTIONS)].format(n=10 + i)
        lazy.append(_seconds(_LAZY, question, env))
        eager.append(_seconds(_EAGER, question + " ", env))
    now, before = statistics.median(lazy), statistics.median(eager)
    return [("`relocbot ask` whole process, built index (s)", f"{now:.2f}",
             f"eager imports + full runtime {before:.2f}", f"{before / now:.1f}x faster")]
