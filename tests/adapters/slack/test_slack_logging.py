"""The Slack SDKs' loggers never log below INFO (their DEBUG lines carry message text), and
each has a level of its own: the SDKs test ``logger.level`` itself, and an unset one made them
build a debug dump of every request."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from adapters.slack.channel import SDK_LOGGERS, _no_text_in_logs


@pytest.fixture
def sdk_levels() -> Iterator[None]:
    saved = {name: logging.getLogger(name).level for name in SDK_LOGGERS}
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.usefixtures("sdk_levels")
def test_every_sdk_logger_gets_its_own_level_of_at_least_info() -> None:
    for name in SDK_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    logging.getLogger("slack_sdk").setLevel(logging.DEBUG)   # configured too low
    _no_text_in_logs()
    for name in SDK_LOGGERS:
        logger = logging.getLogger(name)
        assert logger.level >= logging.INFO, name
        assert not logger.isEnabledFor(logging.DEBUG), name


@pytest.mark.usefixtures("sdk_levels")
def test_a_level_set_higher_is_kept() -> None:
    logging.getLogger("slack_sdk.web.async_base_client").setLevel(logging.ERROR)
    _no_text_in_logs()
    assert logging.getLogger("slack_sdk.web.async_base_client").level == logging.ERROR
