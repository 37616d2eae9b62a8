"""Toxicity lexicon: true positives and false-positive guards in en/es/de/fr."""

from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from evalflow.signals.arrow_text import bounded_union
from evalflow.signals.toxicity import ENTRIES, TOXIC_THRESHOLD, score_text, toxicity

TOXIC = {
    "en": [
        "You are an idiot.",
        "I will kill you if this happens again.",
        "Honestly, that's a stupid question. Read the documentation yourself.",
        "Shut up and stop whining.",
        "What a fucking mess, moron.",
        "You're so useless.",
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
        "So eine Scheiße!",
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


def test_severity_ordering_and_terms() -> None:
    threat = score_text("I will kill you").score
    targeted = score_text("you are an idiot").score
    insult = score_text("idiot").score
    mild = score_text("damn").score
    assert threat > targeted > insult > mild > 0
    assert mild < TOXIC_THRESHOLD
    both = score_text("damn, what a crappy idiot")
    assert both.score > insult  # weak signals add up (noisy-OR)
    assert both.terms == ["damn", "crappy", "idiot"]


def test_empty_and_null_rows() -> None:
    out = toxicity(pd.Series([None, "", "fine answer"], index=[10, 11, 12]))
    assert list(out.index) == [10, 11, 12]
    assert out["toxicity_score"].tolist() == [0.0, 0.0, 0.0]
    assert toxicity(pd.Series([], dtype=object)).empty


def test_every_entry_is_valid_in_both_engines_and_has_no_capturing_group() -> None:
    for entry in ENTRIES:
        assert re.compile(entry.body).groups == 0, entry.body
    # RE2 (pyarrow) must accept the union; a syntax error raises here.
    pc.match_substring_regex(pa.array(["x"]), bounded_union([e.body for e in ENTRIES], "re2"))


def test_re2_filter_is_a_superset_of_python_hits() -> None:
    """Rows the precise scanner flags must all pass the RE2 candidate filter."""
    corpus = [t for ts in TOXIC.values() for t in ts] + [t for ts in CLEAN.values() for t in ts]
    corpus += ["Pédé!", "TE VOY A MATAR", "SCHEISSE", "Mátate", "FICK DICH"]
    scores = toxicity(pd.Series(corpus))["toxicity_score"].tolist()
    for text, score in zip(corpus, scores, strict=True):
        assert score == score_text(text).score, text
