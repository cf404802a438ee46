"""The shell around the bot: command line (``relocbot``), benches, soak run, load stack,
configuration check, evaluation and the local fakes they use.

Layers import only downward: ``ops`` → ``adapters`` → ``bot`` → ``knowledge``
(``tests/test_architecture.py``). Nothing below imports ``ops``.
"""
