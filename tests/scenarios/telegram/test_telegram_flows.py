"""The aid finder and the lead form, end to end through the real PTB Application."""

from __future__ import annotations

from sqlalchemy import select

from adapters.telegram import TelegramChannel
from bot.i18n import Catalog
from bot.storage import Database
from bot.storage.lead_tables import Lead, OutboxItem
from ops.fakes.telegram_api import FakeTelegramAPI, callback_update, message_update, plain, user


class Chat:
    """One user's conversation: send, press, and read the bot's replies in order."""

    def __init__(self, fake: FakeTelegramAPI, user_id: int) -> None:
        self.fake, self.me, self.seen = fake, user(user_id), 0

    async def _next(self) -> str:
        await self.fake.wait_calls("sendMessage", self.seen + 1, chat_id=self.me["id"])
        await self.fake.settle(0.2)
        messages = self.fake.sent(self.me["id"])
        fresh, self.seen = messages[self.seen:], len(messages)
        return "\n".join(plain(m["text"]) for m in fresh)

    async def say(self, text: str) -> str:
        self.fake.push(message_update(text, sender=self.me))
        return await self._next()

    async def press(self, data: str) -> str:
        self.fake.push(callback_update(data, sender=self.me))
        return await self._next()


async def test_aid_finder_in_telegram(bot: TelegramChannel, fake_api: FakeTelegramAPI,
                                      catalog: Catalog) -> None:
    chat = Chat(fake_api, 501)
    assert catalog.t("finder_ask_department", "fr") in await chat.press("menu:aid")
    results = await chat.say("PME de 40 salariés à Roubaix qui veut relocaliser la "
                             "fabrication de parasols")
    assert catalog.t("finder_results_title", "fr") in results
    assert "✔ PME" in results
    assert "Aide à l'implantation (IMPL)" in results
    keyboard = fake_api.sent(501)[-1]["reply_markup"]["inline_keyboard"]
    assert ["menu:advisor"] in [[b["callback_data"] for b in row if b["callback_data"] ==
                                 "menu:advisor"] for row in keyboard]


async def test_lead_form_in_telegram_prefilled_by_the_finder(
    bot: TelegramChannel, fake_api: FakeTelegramAPI, catalog: Catalog, db: Database
) -> None:
    chat = Chat(fake_api, 502)
    await chat.press("menu:aid")
    await chat.say("PME de 40 salariés à Valenciennes qui relocalise la confection")
    assert catalog.t("lead_consent", "fr") in await chat.press("menu:advisor")
    assert catalog.t("lead_q_company", "fr") in await chat.press("lf:consent:yes")
    await chat.say("Ateliers <Nord> & Fils")
    assert catalog.t("lead_invalid_siren", "fr") in await chat.say("123")
    product = await chat.press("lf:skip")          # place and headcount known from the finder
    assert catalog.t("lead_q_sector", "fr") in product or catalog.t(
        "lead_q_product", "fr") in product
    if catalog.t("lead_q_sector", "fr") in product:
        await chat.press("lf:skip")
    await chat.say("Chemises en lin")
    await chat.press("lf:skip")
    await chat.press("lf:choice:financement")
    await chat.press("lf:choice:6-12-mois")
    await chat.say("Jeanne")
    await chat.say("jeanne@example.fr")
    summary = await chat.press("lf:skip")
    assert catalog.t("lead_summary_title", "fr") in summary
    assert "Ateliers <Nord> & Fils" in summary          # escaped in HTML, intact for the user
    done = await chat.press("lf:confirm")
    assert "REL-" in done
    assert "CCI Grand Hainaut" in done
    async with db.sessions() as session:
        lead = (await session.scalars(select(Lead))).one()
        assert (lead.company, lead.desk_id, lead.channel) == (
            "Ateliers <Nord> & Fils", "cci-grand-hainaut", "telegram")
        assert (await session.scalars(select(OutboxItem))).all()
