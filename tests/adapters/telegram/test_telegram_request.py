"""The Bot API request body: JSON for ordinary calls (nested objects as objects), multipart
when a file goes with it."""

from __future__ import annotations

import io
import json

import aiohttp
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from adapters.telegram.request import _body


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
