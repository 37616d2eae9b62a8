"""Refusal and deflection patterns in en/es/de/fr."""

from __future__ import annotations

import pandas as pd
import pytest

from evalflow.signals.refusal import refusal

REFUSALS = {
    "en": [
        "I'm sorry, but I can't help with that.",
        "As an AI language model, I cannot give legal advice.",
        "Please contact support for this request.",
        "I don't have enough information to answer that reliably.",
        "I couldn't find information about this. I'm passing your question to a support agent.",
    ],
    "es": [
        "Lo siento, pero no puedo ayudarte con eso.",
        "Como modelo de lenguaje, no tengo acceso a tu cuenta.",
        "Por favor, contacte con el servicio de atención al cliente.",
        "No encontré información sobre esto. Paso tu pregunta a un agente de soporte.",
    ],
    "de": [
        "Ich kann Ihnen dabei leider nicht helfen.",
        "Als KI habe ich keinen Zugriff auf Ihr Konto.",
        "Bitte wenden Sie sich an den Kundendienst.",
        "Dazu habe ich in unserer Wissensdatenbank nichts gefunden.",
    ],
    "fr": [
        "Je ne peux pas vous aider avec cela.",
        "En tant qu'IA, je n'ai pas accès à votre compte.",
        "Veuillez contacter le service client.",
        "Je n'ai pas trouvé d'information à ce sujet. Je transmets votre question à un agent.",
    ],
}

ANSWERS = {
    "en": [
        "We can help with that: open Settings > Billing.",
        "Support for this device ended in 2020, but the app still works.",
        "You can find more details in the help center.",
        "I can help you reset the password right away.",
    ],
    "es": [
        "Puedo ayudarte con el reembolso.",
        "Encontrarás más detalles en el centro de ayuda.",
    ],
    "de": [
        "Ich kann Ihnen helfen, das Passwort zurückzusetzen.",
        "Weitere Details finden Sie im Hilfecenter.",
    ],
    "fr": [
        "Je peux vous aider à réinitialiser le mot de passe.",
        "Vous trouverez plus de détails dans le centre d'aide.",
    ],
}


@pytest.mark.parametrize(("lang", "text"), [(lg, t) for lg, ts in REFUSALS.items() for t in ts])
def test_refusals_detected(lang: str, text: str) -> None:
    assert refusal(pd.Series([text])).iloc[0], (lang, text)


@pytest.mark.parametrize(("lang", "text"), [(lg, t) for lg, ts in ANSWERS.items() for t in ts])
def test_helpful_answers_are_not_refusals(lang: str, text: str) -> None:
    assert not refusal(pd.Series([text])).iloc[0], (lang, text)


def test_nulls_and_index() -> None:
    out = refusal(pd.Series([None, "I cannot help with that"], index=[3, 4]))
    assert out.tolist() == [False, True]
    assert list(out.index) == [3, 4]
    assert refusal(pd.Series([], dtype=object)).empty
