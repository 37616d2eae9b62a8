"""The 100%-traffic toxicity signal: true positives, false-positive guards in en/es/de/fr,
agreement with the safety judge, and the RE2 candidate filter's superset property."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from evalflow.judges.toxicity import lexicon_phrases
from evalflow.judges.toxicity import toxicity as judge_toxicity
from evalflow.signals.toxicity import TOXIC_THRESHOLD, candidate_pattern, score_text, toxicity
from evalflow_tests.judges.test_safety import CLEAN as JUDGE_CLEAN
from evalflow_tests.judges.test_safety import CONTEXT as JUDGE_CONTEXT

TOXIC = {
    "en": [
        "You are an idiot.",
        "I will kill you if this happens again.",
        "Honestly, that's a stupid question. Read the documentation yourself.",
        "Shut up and stop whining.",
        "What a fucking mess, moron.",
        "You're so useless.",
        "You are a f****** c***.",
    ],
    "es": [
        "Eres un idiota.",
        "Te voy a matar.",
        "Cállate, nadie te preguntó.",
        "Arréglatelas tú solo, imbécil, no es tan difícil.",
        "Vete a la mierda.",
    ],
    "de": [
        "Du bist so dumm.",
        "Ich bringe dich um.",
        "Halt die Klappe, du Arschloch.",
        "Nicht schon wieder. Finde es selbst heraus, so schwer ist das nicht, Trottel.",
    ],
    "fr": [
        "Tu es vraiment nul.",
        "Je vais te tuer.",
        "Ferme ta gueule, connard.",
        "Arrêtez de me faire perdre mon temps, espèce d'idiot.",
        "Encore ça... Débrouillez-vous tout seul, crétin.",
    ],
}

CLEAN = {
    "en": [
        "Kill the process with kill -9 and restart the service.",
        "To terminate your subscription, open Billing > Plan and choose Cancel.",
        "You can abort the upgrade at any time; the installer will execute a rollback.",
        "There are no stupid questions, happy to help!",
        "The class assignment and the assistant's password were reset.",
        "Hello! Packages can get lost in transit; we will open an investigation.",
        "Use the Mongo database connection string from Settings.",
        "This will kill the task and shoot an email to the admin.",
        "I teach psychology; we read Moby Dick and listened to Insane Clown Posse.",
        "The C# SDK and the POS terminal are both supported.",
        "Empty the trash folder to free space.",
    ],
    "es": [
        "El pedido sale con retraso, lo sentimos.",
        "Para matar el proceso, ejecute el comando de nuevo.",
        "Puede cancelar la suscripción con su cuenta de administrador.",
        "No hay preguntas estúpidas.",
    ],
    "de": [
        "Die Bestellung ist unterwegs und die Rechnung folgt.",
        "Beenden Sie den Prozess und führen Sie das Skript erneut aus.",
        "Es gibt keine dummen Fragen.",
        "Der Versand dauert drei Tage, die Lieferung ist kostenlos.",
        "Der Bildschirm ist zu hell, bitte den Rat des Supports befolgen.",
    ],
    "fr": [
        "Votre colis est en retard, veuillez nous excuser.",
        "Pour tuer le processus, exécutez la commande suivante.",
        "Il n'y a pas de questions stupides.",
        "Vous pouvez résilier l'abonnement et contacter la banque.",
    ],
}


@pytest.mark.parametrize(("lang", "text"), [(lg, t) for lg, ts in TOXIC.items() for t in ts])
def test_toxic_texts_are_flagged(lang: str, text: str) -> None:
    out = toxicity(pd.Series([text]))
    assert bool(out["toxic"].iloc[0]), (lang, text, out.to_dict("records"))
    assert out["toxicity_score"].iloc[0] >= TOXIC_THRESHOLD
    assert out["toxicity_terms"].iloc[0]


@pytest.mark.parametrize(("lang", "text"), [(lg, t) for lg, ts in CLEAN.items() for t in ts])
def test_support_vocabulary_is_not_toxic(lang: str, text: str) -> None:
    out = toxicity(pd.Series([text]))
    assert out["toxicity_score"].iloc[0] == 0.0, (lang, text, out.to_dict("records"))
    assert out["toxicity_terms"].iloc[0] is None


def test_signal_agrees_with_the_safety_judge() -> None:
    """One matcher: ``toxic`` is exactly the judge's ``fail``, the score its score."""
    corpus = [t for ts in TOXIC.values() for t in ts] + [t for ts in CLEAN.values() for t in ts]
    corpus += JUDGE_CLEAN + JUDGE_CONTEXT + ["Damn.", "This printer is stupid."]
    out = toxicity(pd.Series(corpus))
    for text, score, toxic in zip(corpus, out["toxicity_score"], out["toxic"], strict=True):
        judged = judge_toxicity(text)
        assert score == judged.score and toxic == (judged.verdict == "fail"), text


def test_weak_and_mentioned_cues_score_but_are_not_toxic() -> None:
    out = toxicity(
        pd.Series(["Damn, late again.", 'He said "you idiot" to me.', "So eine Scheiße!"])
    )
    assert (out["toxicity_score"] > 0).all() and not out["toxic"].any()
    assert out["toxicity_terms"].notna().all()


def test_severity_ordering_and_terms() -> None:
    threat = score_text("I will kill you").score
    targeted = score_text("you are an idiot").score
    insult = score_text("like an idiot I forgot my keys").score
    mild = score_text("damn").score
    assert threat > targeted > insult > mild > 0
    assert insult < TOXIC_THRESHOLD and mild < TOXIC_THRESHOLD
    both = score_text("damn, this crappy idiot printer")
    assert both.score > insult  # weak signals add up, capped below toxic
    assert both.terms == ["damn", "crappy", "idiot"]
    assert score_text("you are an idiot").categories == ["second_person"]


def test_empty_and_null_rows() -> None:
    out = toxicity(pd.Series([None, "", "fine answer"], index=[10, 11, 12]))
    assert list(out.index) == [10, 11, 12]
    assert out["toxicity_score"].tolist() == [0.0, 0.0, 0.0]
    assert toxicity(pd.Series([], dtype=object)).empty


def test_candidate_pattern_compiles_in_re2_and_entries_are_ascii() -> None:
    """ASCII boundary classes are a superset of the matcher's only if entries are ASCII."""
    pc.match_substring_regex(pa.array(["x"]), candidate_pattern(), ignore_case=True)
    for keys in lexicon_phrases():
        assert all(k.isascii() for k in keys), keys


def test_re2_filter_is_a_superset_of_python_hits() -> None:
    """Rows the precise scanner scores must all pass the RE2 candidate filter."""
    corpus = [t for ts in TOXIC.values() for t in ts] + [t for ts in CLEAN.values() for t in ts]
    corpus += JUDGE_CLEAN + JUDGE_CONTEXT
    corpus += ["Pédé!", "TE VOY A MATAR", "SCHEISSE", "Scheiße!", "Mátate", "FICK DICH"]
    corpus += ["CRÉTIN !", "halt’s Maul", "sh1t", "fu@ker", "#fuckthis", "T’es con, abruti."]
    scores = toxicity(pd.Series(corpus))["toxicity_score"].tolist()
    for text, score in zip(corpus, scores, strict=True):
        assert score == score_text(text).score, text
