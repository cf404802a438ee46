"""Local fake servers for the network boundary (Telegram Bot API, Slack Web API, SMTP, webhook
receiver, LLM APIs) and fakes of our own interfaces (a deterministic embedder).

They serve the tests, the benches and the soak run. They are development tooling: their extra
dependencies (``aiosmtpd`` for the SMTP server) come with ``pip install -e '.[dev]'``; nothing in
``bot``, ``knowledge`` or ``adapters`` imports them (``tests/test_architecture.py``).
"""
