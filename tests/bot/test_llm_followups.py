"""With LLM_MODEL set, a follow-up is rewritten by the model into a standalone question before
the search (the fake OpenAI-compatible server answers in order); on failure the rule-based
follow-up stands and the answer still comes."""

from __future__ import annotations

from bot.answering.llm import build_chat_model
from bot.assistant import Assistant
from bot.i18n import Catalog
from bot.messages import Incoming
from bot.settings import Settings
from bot.storage import Database
from bot.wiring import build_assistant
from knowledge.base import KnowledgeBase
from ops.fakes.openai_server import FakeOpenAI


def assistant(kb: KnowledgeBase, db: Database, catalog: Catalog, fake: FakeOpenAI) -> Assistant:
    settings = Settings(llm_model="gpt-test", llm_base_url=fake.base_url, llm_api_key="sk-test",
                        llm_timeout=5, _env_file=None)
    return build_assistant(kb=kb, db=db, catalog=catalog, settings=settings,
                     chat_model=build_chat_model(settings))


def say(text: str) -> Incoming:
    return Incoming(channel="test", conversation_key="test:llm", user_id="llm", text=text)


async def test_a_follow_up_is_searched_as_the_models_standalone_question(
    kb: KnowledgeBase, db: Database, catalog: Catalog, fake_openai: FakeOpenAI
) -> None:
    bot = assistant(kb, db, catalog, fake_openai)
    fake_openai.queue = ["Le hackathon de Lille a réuni 80 participants [1].",
                  "Combien de participants au hackathon de Rouen ?",
                  "À Rouen, les étudiants ont travaillé sur 6 produits [1]."]
    first = await bot.handle(say("Combien de participants au hackathon des 24 heures pour "
                                 "relocaliser à Lille ?"))
    assert first[0].meta.get("mode") == "llm"
    assert "80 participants" in first[0].text
    second = await bot.handle(say("et à Rouen ?"))
    rewrite, answer = fake_openai.requests[1], fake_openai.requests[2]
    assert "<followup>et à Rouen ?</followup>" in rewrite["messages"][1]["content"]
    assert "<previous>Combien de participants" in rewrite["messages"][1]["content"]
    assert "<question>Combien de participants au hackathon de Rouen ?</question>" in \
        answer["messages"][1]["content"]
    assert "6 produits" in second[0].text
    assert second[0].citations


async def test_a_failing_model_leaves_the_rule_based_follow_up(
    kb: KnowledgeBase, db: Database, catalog: Catalog, fake_openai: FakeOpenAI
) -> None:
    bot = assistant(kb, db, catalog, fake_openai)
    fake_openai.status = 500
    await bot.handle(say("Combien de participants au hackathon des 24 heures pour "
                         "relocaliser à Lille ?"))
    second = await bot.handle(say("et à Rouen ?"))
    assert second[0].kind == "answer"
    assert second[0].citations     # extractive, still answered
    assert second[0].meta.get("mode") == "extractive"
