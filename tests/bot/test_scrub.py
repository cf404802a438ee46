"""The question-log scrubber (issue #13, item 9) on 200+ tricky strings: phone numbers spaced,
dotted, slashed or international (phonenumbers' matcher), disguised e-mail addresses, SIREN and
SIRET (stdnum), names after "je m'appelle" / "my name is", a title or a signature; and the
ordinary questions it must leave alone."""

from __future__ import annotations

import itertools

import pytest

from bot.storage import Database, scrub

PHONES = ["06 12 34 56 78", "06.12.34.56.78", "06-12-34-56-78", "06/12/34/56/78", "0612345678",
          "+33 6 12 34 56 78", "+33612345678", "0033 6 12 34 56 78", "+33 (0)6 12 34 56 78",
          "03 20 12 34 56", "03.20.12.34.56", "(03) 20 12 34 56", "06 1234 5678",
          "+32 2 555 12 12", "+44 20 7946 0958", "+1 415 555 2671", "07 98 76 54 32",
          "0 6 1 2 3 4 5 6 7 8", "06_12_34_56_78", "+33 3 20 12 34 56"]
PHONE_TEMPLATES = ["appelez-moi au {}", "Mon numéro : {} merci", "tel:{}", "{}",
                   "joignable au {} après 18h"]
EMAILS = ["jean.dupont@example.fr", "jean.dupont (at) example.fr", "jean.dupont(at)example.fr",
          "jean.dupont [at] example [dot] fr", "jean.dupont arobase example point fr",
          "jean.dupont at example dot fr", "jean.dupont @ example.fr", "JEAN.DUPONT@EXAMPLE.FR",
          "jean.dupont{at}example.fr", "jean.dupont＠example.fr", "jean.dupont@example",
          "jean+relocbot@mail.example.co.uk", "jean.dupont <at> example <dot> fr",
          "jean.dupont(a)example.fr"]
EMAIL_TEMPLATES = ["écrivez à {}", "mon mail : {}", "{} pour la réponse", "contact {} svp"]
COMPANY_NUMBERS = ["732 829 320", "732829320", "732.829.320", "732-829-320",
                   "732 829 320 00074", "73282932000074", "552 100 554", "552100554"]
COMPANY_TEMPLATES = ["notre SIREN est {}", "SIRET : {}", "RCS Lille {} est notre société",
                     "siren {} ?"]
NAMES = ["Jean Dupont", "Marie-Claire de La Tour", "Anne-Marie van der Berg", "Paul",
         "Élodie Lefèvre"]
NAME_TEMPLATES = ["Je m'appelle {} et je dirige une PME", "je m’appelle {}, bonjour",
                  "My name is {} and I run a factory", "Bonjour, mon nom est {}.",
                  "Moi c'est {}, je cherche des aides", "Cordialement, {}", "Merci, {}",
                  "Bonjour M. {}", "Mme {} voudrait relocaliser", "Best regards, {}",
                  "Nom : {}"]
ORDINARY = [
    "PME de 40 salariés en 2026", "Quelles aides pour relocaliser à Lille ?",
    "prêt de 500 000 euros pour une usine", "aides à 59300 Valenciennes",
    "entre 2020 et 2026, combien de relocalisations ?", "un projet de 1 500 000 €",
    "le 12/03/2026 à 14h", "Quelle CCI couvre le 62 ?", "Moi c'est pour une question d'aides",
    "Je m'appelle pas, je demande : quelles aides ?", "Monsieur, Madame,",
    "c'est quoi le PIA ?", "What is the Prêt Nouvelle Industrie?", "We have 250 employees",
    "Appel à projets 2025-2026", "Article L.1233-3", "taux de 3,5 % sur 7 ans",
    "20 emplois créés d'ici 2027", "AAP n° 2026-04", "Merci beaucoup !",
]


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _cases() -> list[tuple[str, list[str]]]:
    """(text, what must not survive in it)."""
    cases = [(t.format(v), [v, _digits(v)[-8:]])
             for t, v in itertools.product(PHONE_TEMPLATES, PHONES)]
    cases += [(t.format(v), [v, "dupont", "relocbot"])
              for t, v in itertools.product(EMAIL_TEMPLATES, EMAILS)]
    cases += [(t.format(v), [v, _digits(v)[:9]])
              for t, v in itertools.product(COMPANY_TEMPLATES, COMPANY_NUMBERS)]
    cases += [(t.format(v), [v, *(w for w in v.split() if w[:1].isupper())])
              for t, v in itertools.product(NAME_TEMPLATES, NAMES)]
    return cases


CASES = _cases()


def test_the_corpus_has_at_least_200_tricky_strings() -> None:
    assert len(CASES) >= 200


@pytest.mark.parametrize(("text", "secrets"), CASES)
def test_personal_data_is_scrubbed(text: str, secrets: list[str]) -> None:
    scrubbed = scrub(text)
    for secret in secrets:
        if secret.isdigit():
            assert secret not in _digits(scrubbed), scrubbed
        else:
            assert secret.lower() not in scrubbed.lower(), scrubbed


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_questions_are_left_alone(text: str) -> None:
    assert scrub(text) == text


async def test_the_question_log_and_feedback_store_only_scrubbed_text(db: Database) -> None:
    said = "Je m'appelle Jean Dupont, jean.dupont(at)example.fr, 06/12/34/56/78, SIREN 732829320"
    await db.log_question(channel="t", lang="fr", question=said, declined=True, reason="",
                          top_source=None, latency_ms=1.0)
    await db.add_feedback(channel="t", rating=-1, question=said, sources=[])
    stored = [row.question for row in await db.questions()] + [
        row.question for row in await db.feedback()]
    for row in stored:
        for secret in ("Jean", "Dupont", "jean.dupont", "06/12", "732829320"):
            assert secret not in row, row
