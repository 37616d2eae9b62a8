"""Refusals and deflections in the answer (en/es/de/fr), one RE2 pass over the column.

A support copilot that says "I can't help with that", "as an AI language model" or
"please contact support" has not done its job even when it is polite: the user came
*to* support. Patterns are first-person refusals, AI disclaimers and hand-offs to
another channel; they are anchored on the phrasing, not on single words, so "we
can help with that" or "support for this device ended" are not refusals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalflow.signals.arrow_text import bounded_union, matches, to_arrow

_A = "[’']"

REFUSAL_PATTERNS: dict[str, tuple[str, ...]] = {
    "en": (
        rf"i\s+(?:can{_A}?t|cannot|can\s+not|am\s+(?:not\s+able|unable)|{_A}m\s+(?:not\s+able|unable)|won{_A}t\s+be\s+able)\s+to\s+(?:help|assist|answer|provide|do\s+that|share|discuss|support)",
        rf"i\s+(?:can{_A}?t|cannot)\s+help\s+(?:you\s+)?with",
        rf"i{_A}m\s+(?:unable|not\s+able)\s+to",
        rf"i{_A}m\s+sorry,?\s+but\s+i\s+(?:can{_A}?t|cannot|am\s+unable)",
        r"as\s+an?\s+(?:ai|a\.i\.|language\s+model|large\s+language\s+model|ai\s+(?:language\s+)?model|ai\s+assistant)",
        rf"i\s+(?:don{_A}?t|do\s+not)\s+have\s+access\s+to",
        rf"(?:please|kindly|you\s+(?:will\s+|would\s+|{_A}ll\s+)?(?:need|have)\s+to)\s+(?:contact|reach\s+out\s+to|call|get\s+in\s+touch\s+with)\s+(?:our\s+|the\s+|your\s+)?(?:customer\s+)?(?:support|service|help\s*desk|support\s+team|customer\s+service)",
        r"(?:that|this)\s+is\s+(?:outside|beyond)\s+(?:of\s+)?(?:my|the)\s+scope",
        rf"i\s+(?:don{_A}?t|do\s+not)\s+have\s+(?:enough|sufficient)\s+information",
        rf"i\s+(?:couldn{_A}?t|could\s+not|can{_A}?t|cannot|was\s+unable\s+to)\s+find\s+(?:any\s+)?information",
        rf"(?:i{_A}m|i\s+am|i\s+will\s+be|i{_A}ll\s+be)\s+(?:passing|forwarding|handing|transferring|escalating)\s+(?:your\s+(?:question|request|case)|this)\s+(?:over\s+|on\s+)?to",
        r"an?\s+(?:human|support|live)\s+agent\s+will\s+(?:follow\s+up|contact\s+you|get\s+back|reach\s+out)",
        r"please\s+(?:check|see|visit|consult|refer\s+to)\s+(?:our|the)\s+(?:help\s*cent(?:er|re)|faq|documentation|knowledge\s+base)",
    ),
    "es": (
        r"no\s+(?:puedo|podr[ée]|soy\s+capaz\s+de)\s+(?:ayudar(?:te|le)?|asistir(?:te|le)?|responder|proporcionar|hacer\s+eso)",
        r"lo\s+siento,?\s+(?:pero\s+)?no\s+puedo",
        r"como\s+(?:una\s+|un\s+)?(?:ia|inteligencia\s+artificial|modelo\s+de\s+lenguaje|asistente\s+de\s+ia)",
        r"no\s+tengo\s+acceso\s+a",
        r"(?:por\s+favor,?\s+)?(?:contacta|contacte|cont[aá]ctanos|cont[aá]ctenos|comun[ií]quese|comun[ií]cate|ponte\s+en\s+contacto|p[oó]ngase\s+en\s+contacto)\s+con\s+(?:el\s+|nuestro\s+|el\s+equipo\s+de\s+)?(?:soporte|servicio\s+(?:de\s+atenci[oó]n\s+)?al\s+cliente|atenci[oó]n\s+al\s+cliente)",
        r"(?:est[aá]|eso\s+est[aá])\s+fuera\s+de\s+mi\s+alcance",
        r"no\s+tengo\s+(?:la\s+)?(?:suficiente|bastante)\s+informaci[oó]n",
        r"no\s+(?:encontr[ée]|he\s+encontrado|pude\s+encontrar|puedo\s+encontrar)\s+(?:ninguna\s+)?informaci[oó]n",
        r"(?:paso|transfiero|derivo|env[ií]o|traslado)\s+(?:tu|su)\s+(?:pregunta|consulta|solicitud|caso)\s+a",
        r"un\s+agente\s+(?:te|le|se)\s+(?:contactar[aá]|escribir[aá]|pondr[aá])",
        r"(?:por\s+favor,?\s+)?consult[ae]\s+(?:nuestro|el)\s+centro\s+de\s+ayuda",
    ),
    "de": (
        r"ich\s+kann\s+(?:ihnen|dir|euch)?\s*(?:dabei|damit|hierbei|hier)?\s*(?:leider\s+)?nicht\s+(?:helfen|weiterhelfen|behilflich\s+sein|beantworten)",
        r"(?:leider\s+)?(?:kann|darf)\s+ich\s+(?:ihnen|dir)?\s*(?:dabei|damit|hier|hierbei)?\s*(?:leider\s+)?nicht\s+(?:helfen|weiterhelfen|behilflich)",
        r"als\s+(?:eine\s+|ein\s+)?(?:ki|k\.i\.|künstliche\s+intelligenz|sprachmodell|ki-modell|ki-assistent)",
        r"ich\s+habe\s+keinen\s+zugriff\s+auf",
        r"(?:bitte\s+)?(?:wenden\s+sie\s+sich|wende\s+dich|kontaktieren\s+sie|kontaktiere)\s+(?:bitte\s+)?(?:an\s+)?(?:den|unseren|unser|das)?\s*(?:kundendienst|kundenservice|support(?:-team|team)?|service-team|serviceteam)",
        r"habe\s+ich\s+(?:\S+\s+){0,5}?(?:nichts|keine\s+informationen)\s+gefunden",
        r"(?:nicht\s+genug|keine\s+ausreichenden|zu\s+wenige)\s+informationen",
        r"ich\s+leite\s+(?:ihre|deine|die)\s+(?:frage|anfrage)\s+(?:\S+\s+){0,3}?(?:an|weiter)",
        r"ein\s+(?:mitarbeiter|agent|kollege)\s+(?:meldet\s+sich|wird\s+sich)",
        r"bitte\s+(?:schauen|sehen)\s+sie\s+(?:\S+\s+){0,4}?(?:im|in\s+unser(?:em)?)\s+hilfe(?:center|zentrum|bereich)",
    ),
    "fr": (
        rf"je\s+ne\s+(?:peux|pourrai|suis\s+pas\s+en\s+mesure\s+d{_A}?)\s*(?:pas\s+)?(?:vous\s+|t{_A})?(?:aider|assister|r[ée]pondre|fournir)",
        r"d[ée]sol[ée]e?,?\s+(?:mais\s+)?je\s+ne\s+peux\s+pas",
        rf"en\s+tant\s+qu{_A}(?:ia|intelligence\s+artificielle|assistant\s+ia)|en\s+tant\s+que\s+(?:mod[èe]le\s+de\s+langage|ia|assistant\s+virtuel)",
        rf"je\s+n{_A}ai\s+pas\s+acc[èe]s\s+[àa]",
        r"(?:veuillez|merci\s+de|je\s+vous\s+invite\s+[àa])\s+contacter\s+(?:le\s+|notre\s+)?(?:support|service\s+client(?:s|[èe]le)?|assistance)|contactez\s+(?:le\s+|notre\s+)?(?:support|service\s+client(?:s|[èe]le)?|assistance)",
        rf"je\s+n{_A}ai\s+pas\s+trouv[ée]\s+d{_A}?\s*informations?",
        rf"je\s+n{_A}ai\s+pas\s+(?:assez|suffisamment)\s+d{_A}?\s*informations?",
        r"je\s+(?:transmets|transf[èe]re|redirige)\s+votre\s+(?:question|demande)\s+[àa]",
        r"un\s+(?:agent|conseiller|coll[èe]gue)\s+va\s+vous\s+(?:re)?contacter",
        r"(?:veuillez|merci\s+de)\s+consulter\s+(?:notre|le)\s+centre\s+d{_A}aide".replace(
            "{_A}", _A
        ),
    ),
}

_RE2 = bounded_union([p for pats in REFUSAL_PATTERNS.values() for p in pats], "re2")


def refusal(texts: pd.Series) -> pd.Series:
    """True where the answer refuses or deflects (see module docstring)."""
    mask = matches(to_arrow(texts), _RE2) if len(texts) else np.zeros(0, dtype=bool)
    return pd.Series(mask, index=texts.index, name="refusal")
