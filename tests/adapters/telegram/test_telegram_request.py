"""The Bot API request body: JSON for ordinary calls (nested objects as objects), multipart
when a file goes with it; the lean ``post_json`` raises what PTB raises for the same answer."""

from __future__ import annotations

import datetime as dt
import io
import json

import aiohttp
import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from adapters.telegram.request import AiohttpRequest, _body, _Replay


def _data(**values: object) -> RequestData:
    return RequestData([RequestParameter.from_input(k, v) for k, v in values.items()])


def test_an_ordinary_call_is_one_json_document_with_nested_objects() -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Oui", callback_data="yes")]])
    body, headers = _body(_data(chat_id=42, text="Bonjour « été »", reply_markup=markup))
    assert headers == {"Content-Type": "application/json"}
    sent = json.loads(body)
    assert sent["chat_id"] == 42
    assert sent["text"] == "Bonjour « été »"
    assert sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "yes"


def test_a_file_goes_as_multipart() -> None:
    document = InputFile(io.BytesIO(b"col1;col2\n"), filename="leads.csv")
    body, headers = _body(_data(chat_id=42, document=document))
    assert isinstance(body, aiohttp.FormData)
    assert headers is None


def test_no_parameters_no_body() -> None:
    assert _body(None) == (None, None)


async def test_an_error_answer_becomes_the_exception_ptb_raises() -> None:
    url = "http://127.0.0.1:1/botTOKEN/sendMessage"
    flood = b'{"ok":false,"error_code":429,"description":"Too Many Requests",' \
            b'"parameters":{"retry_after":3}}'
    with pytest.raises(RetryAfter) as waited:
        await _Replay(429, flood).raise_error(url)
    assert waited.value.retry_after in (3, dt.timedelta(seconds=3))
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await _Replay(400, b'{"ok":false,"description":"Bad Request: chat not found"}'
                      ).raise_error(url)
    with pytest.raises(Forbidden):
        await _Replay(403, b'{"ok":false,"description":"Forbidden: bot was blocked"}'
                      ).raise_error(url)
    with pytest.raises(NetworkError):
        await _Replay(502, b"<html>Bad Gateway</html>").raise_error(url)
    with pytest.raises(NetworkError):
        await _Replay(500, b'{"ok":false,"description":"Internal Server Error"}'
                      ).raise_error(url)


async def test_post_json_without_a_session_or_server_is_a_network_error() -> None:
    request = AiohttpRequest(connect_timeout=1.0)
    with pytest.raises(NetworkError, match="not initialized"):   # as PTB's wrapper says it
        await request.post_json("http://127.0.0.1:9/botTOKEN/sendMessage", {"chat_id": 1})
    await request.initialize()
    try:
        with pytest.raises(NetworkError):   # nothing listens on the discard port
            await request.post_json("http://127.0.0.1:9/botTOKEN/sendMessage", {"chat_id": 1})
    finally:
        await request.shutdown()
