"""Claims of an answer and the hard facts in them (numbers, dates, amounts, names).

Faithfulness is judged per claim: an answer is a list of sentences, some of which
claim nothing that the context could support or contradict (greetings, offers of more
help, abstentions, questions back to the user, personal statements in chit-chat).
Those are dropped with the reason, so "Thanks! Refunds take 60 days." is judged on
its one claim only.

The hard facts are normalised so a paraphrase does not look like a new fact: "two"
and "2", "$5" and "5 dollars", "5%" and "5 percent", "March 2, 1991" and "2 March
1991" compare equal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from evalflow.judges.text import STOPWORDS, fold

_SENTENCE_ONLY = re.compile(
    r"(?<=[.!?])\s+|\n+|(?<=[a-z0-9])\s+[-–—]\s+|(?<=[a-z)\]\"]\.)(?=[A-Z])"
)
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+|(?<=[a-z0-9])\s+[-–—]\s+|(?<=[a-z)\]\"]\.)(?=[A-Z])")

# Sentences that make no factual claim: greetings, thanks, offers of more help, pointers
# to the help centre (en/es/de/fr, accents folded).
FILLER = re.compile(
    r"^(?:hi|hello|hey|hola|hallo|bonjour|sure|of course|certainly|absolutely|claro|por supuesto|"
    r"naturlich|gerne?|bien sur|avec plaisir)\b|\b(?:good|great) question|thanks? (?:you )?for|thank you|"
    r"happy to help|glad to help|let me know if|anything else|hope (?:this|that) helps|"
    r"(?:more )?details (?:in|on) (?:the|our) help|help ?(?:center|centre)|"
    r"buena pregunta|gracias por|con gusto|algo mas|avisame|centro de ayuda|"
    r"gute frage|danke fur|gern geschehen|helfe ihnen gern|sonst noch|noch etwas|melden sie sich|"
    r"hilfe ?(?:center|centre)|hilfecenter|"
    r"bonne question|merci (?:de|pour)|n'hesitez pas|d'autres questions|autre chose|centre d'aide",
)
# Abstentions and hand-overs: "I don't have that information, an agent will follow up".
ABSTAIN = re.compile(
    r"\b(?:i (?:don't|do not) (?:have|know)|i (?:couldn't|could not|can't|cannot) find|"
    r"not (?:enough|sure)|no information|human agent|(?:pass|passing|forward|escalat\w*) (?:your|this) (?:question|request|case)|"
    r"someone (?:from|on) our team will|no (?:encontre|tengo) informacion|paso tu pregunta|un agente|"
    r"keine informationen|ich leite|ein mitarbeiter|je n'ai pas (?:trouve|d'information)|je transmets|un agent)\b",
)
# Statements about the speaker (taste, feelings, own life): true or false, the context
# cannot support them, and in chit-chat they are the point, not a hallucination.
PERSONAL = re.compile(
    r"^(?:(?:oh|well|yes|yeah|no|haha|wow|lol|so|and|but|really|honestly)[,!. ]+)*"
    r"(?:i (?:love|like|loved|liked|enjoy|enjoyed|prefer|hate|hope|wish|want|wanted|feel|felt|"
    r"have|had|am|was|used to|would|'d|'m|'ve|'ll|never|always|also|do|did|don't|didn't|can't|"
    r"haven't|grew up|play|played|watch|watched|listen|went|go|live|lived|agree|guess|"
    r"remember|mean|see|know|'ve never|have never)\b|me too|my (?:favou?rite|own|family|friends?|"
    r"wife|husband|kids?|son|daughter|dog|cat|mom|dad|mother|father)\b|"
    r"me encanta|me gusta|yo (?:tengo|soy|creo)|ich (?:liebe|mag|habe|bin)|j'adore|j'aime|je suis)",
)
# Reactions in chit-chat: an opinion about what the other person said, not a claim.
_INTERJECTION = r"(?:(?:oh|ah|wow|yes|yeah|yep|haha|hah|lol|well|ok|okay|hmm|nice|cool)[,!. ]*)*"
_REACTION_WORD = (
    r"(?:awesome|great|cool|true|interesting|amazing|nice|sad|funny|right|fun|good|bad|"
    r"terrible|wonderful|fascinating|neat|crazy|impressive|lovely|sweet|exciting|weird|"
    r"strange|surprising|scary|correct)"
)
REACTION = re.compile(
    rf"^{_INTERJECTION}(?:that(?:'s| is| sounds| must be)|it(?:'s| is| sounds)|how|what an?|"
    rf"so|very|really|sounds)\s+(?:\w+\s+)?{_REACTION_WORD}\b"
    r"(?:[^,;]{0,20}|,? (?:tell me more|go on|i see))$"
    rf"|^{_INTERJECTION}(?:i agree|me too|same here|exactly|indeed|definitely|totally|i see|"
    rf"it depends|tell me more|go on|{_REACTION_WORD})\b[!. ]*$",
)
# Hedges whose remainder is still a claim: "I think the museum opens at 9" claims it does.
HEDGE = re.compile(
    r"^(?:(?:oh|well|yes|yeah|so)[,!. ]+)?"
    r"(?:i think|i believe|i guess|i(?:'ve| have)? heard|i(?:'ve| have)? read|i know|"
    r"i'm pretty sure|i am pretty sure|"
    r"did you know|do you know|apparently|actually|well|yes|yeah|oh|so|i see)[,!. ]+(?:that )?",
)


PERSONAL_REASON = "personal or subjective statement"
QUESTION_REASON = "a question, not a claim"
REACTION_REASON = "a reaction, not a claim"
_DETACHED_CLITIC = re.compile(r"\s+(['’](?:s|ve|re|m|ll|d)\b|n['’]t\b)")


@dataclass(frozen=True)
class Sentence:
    """One sentence of an answer; ``dropped`` says why it is not a claim (None = a claim)."""

    text: str
    dropped: str | None = None


def sentences(text: str, clauses: bool = True) -> list[str]:
    """Sentences of a text, stripped, non-empty; with ``clauses`` also split at ';'."""
    pattern = _SENTENCE if clauses else _SENTENCE_ONLY
    return [s.strip() for s in pattern.split(text or "") if s and s.strip(" .!?;,")]


def classify(sentence: str) -> Sentence:
    """Keep a claim (hedge removed) or say why the sentence is not one."""
    # Opening punctuation ("¡Claro!", "¿Sabías...", quotes) must not hide a filler word.
    folded = fold(sentence.strip()).lstrip("¡¿\"'«“‘([ ")
    short = len(folded.split()) <= 14 and not any(ch.isdigit() for ch in folded)
    if short and FILLER.search(folded):
        return Sentence(sentence, "greeting, thanks or offer of help")
    if short and ABSTAIN.search(folded):
        return Sentence(sentence, "abstention or hand-over")
    if REACTION.search(folded.rstrip(" .!")):
        return Sentence(sentence, REACTION_REASON)
    if folded.rstrip().endswith("?"):
        return Sentence(sentence, QUESTION_REASON)
    hedge = HEDGE.search(folded)
    if hedge:  # "I've heard that X" claims X
        rest = sentence.strip()[hedge.end() :].strip()
        return classify(rest) if rest and rest != sentence.strip() else Sentence(sentence)
    if PERSONAL.search(folded):
        return Sentence(sentence, PERSONAL_REASON)
    return Sentence(sentence)


def split_claims(response: str) -> list[Sentence]:
    """Every sentence of the answer, classified."""
    # clauses stay whole in an answer: "departure is 22:15 daily" alone loses its subject
    text = _DETACHED_CLITIC.sub(r"\1", response or "")
    return [classify(s) for s in sentences(text, clauses=False)]


# --- numbers, amounts, dates ------------------------------------------------------------
_UNITS = {
    # en
    "zero": 0, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "twice": 2,
    "third": 3, "fourth": 4, "fifth": 5, "tenth": 10, "dozen": 12,
    # es / de / fr (accents folded)
    "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8,
    "nueve": 9, "diez": 10, "veinte": 20, "treinta": 30, "zwei": 2, "drei": 3, "vier": 4,
    "funf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "zwanzig": 20,
    "dreissig": 30, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8,
    "neuf": 9, "dix": 10, "vingt": 20, "trente": 30,
}  # fmt: skip
# not here on purpose: "one", "first", "second", "once", "single", "double", "half" are
# more often discourse ("hosted one", "calls first", "a second try") than a number
# no "k"/"m": "2,870 m" is metres far more often than millions
_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "bn": 1e9}
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            "january jan enero januar janvier", "february feb febrero februar fevrier",
            "march mar marzo marz mars", "april apr abril avril", "may mayo mai",
            "june jun junio juni juin", "july jul julio juli juillet",
            "august aug agosto aout", "september sep sept septiembre septembre",
            "october oct octubre oktober octobre", "november nov noviembre novembre",
            "december dec diciembre dezember decembre",
        ]
    )
    for m in names.split()
}  # fmt: skip
_AMBIGUOUS_MONTHS = {"may", "mar", "jan", "dec", "sept", "mai", "mars"}
_NUM_TOKEN = re.compile(
    r"(?<![\w.])(\d+(?:[.,]\d+)*)(?:st|nd|rd|th)?\s*(thousand|million|billion|bn)?\b"
    r"|[^\W\d_]+",
    re.IGNORECASE,
)


def _to_number(raw: str) -> float | None:
    """'1,000' -> 1000, '2.5' -> 2.5, '2,5' -> 2.5 (decimal comma), '1.000' -> 1000."""
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", raw):
        return float(re.sub(r"[.,]", "", raw))
    try:
        return float(raw.replace(",", "."))
    except ValueError:
        return None


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def hard_numbers(text: str) -> set[str]:
    """Normalised numbers (digits or number words, with thousand/million scales) and
    months ("m3"): "$5", "5 dollars", "five" all give "5"; "2 million" gives "2000000"."""
    out: set[str] = set()
    folded = fold(text or "")
    for match in _NUM_TOKEN.finditer(folded):
        digits, scale = match.group(1), match.group(2)
        if digits is not None:
            value = _to_number(digits)
            if value is None:
                continue
            out.add(_fmt(value * _SCALE.get((scale or "").lower(), 1.0)))
            if "." in digits and not re.fullmatch(r"\d{1,3}(?:\.\d{3})+", digits):
                out.add(_fmt(value))
            continue
        word = match.group(0)
        if word in _UNITS:
            out.add(_fmt(_UNITS[word]))
        elif word in _MONTHS and word not in _AMBIGUOUS_MONTHS:
            out.add(f"m{_MONTHS[word]}")
    return out


def number_words() -> frozenset[str]:
    """Words that :func:`hard_numbers` reads as numbers or months (not names)."""
    return frozenset(_UNITS) | frozenset(_MONTHS)


# --- names -------------------------------------------------------------------------------
_CAP_TOKEN = re.compile(r"[^\W\d_][\w'’.-]*", re.UNICODE)


def names(text: str, is_common: Callable[[str], bool]) -> set[str]:
    """Folded capitalised tokens that look like names.

    Mid-sentence capitals count. A sentence's first word is usually an ordinary word
    ("Roughly", "Tickets", "Puedes"), so it counts only when it is not ordinary
    vocabulary (``is_common``: e.g. a frequent row of the vector table) and either the
    next word is capitalised too ("Stanford University") or the sentence is a bare
    answer of at most four words ("Delhi", "Mumbai, India").
    """
    found: set[str] = set()
    for sentence in sentences(text):
        tokens = _CAP_TOKEN.findall(sentence)
        for i, tok in enumerate(tokens):
            clean = tok.strip(".'’-")
            if len(clean) < 2 or not clean[0].isupper() or (clean.isupper() and len(clean) > 5):
                continue
            f = fold(clean)
            if (
                re.split(r"['’]", f)[0] in STOPWORDS
                or f in _UNITS
                or f in _MONTHS
                or f.rstrip("s") in _WEEKDAYS
                or f in ("i", "i'm", "i've")
            ):
                continue
            if i == 0 and not _initial_is_name(tokens, f, is_common):
                continue
            found.add(f)
    return found


# weekdays are dates, not names: "open except Mondays" restates "Tuesday to Sunday"
_WEEKDAYS = frozenset(
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "lunes",
        "martes",
        "miercoles",
        "jueves",
        "viernes",
        "sabado",
        "domingo",
        "montag",
        "dienstag",
        "mittwoch",
        "donnerstag",
        "freitag",
        "samstag",
        "sonntag",
        "lundi",
        "mardi",
        "mercredi",
        "jeudi",
        "vendredi",
        "samedi",
        "dimanche",
    ]
)


def _initial_is_name(tokens: list[str], folded: str, is_common: Callable[[str], bool]) -> bool:
    if is_common(folded):  # "Open Billing > Invoices" starts with a verb
        return False
    return (len(tokens) > 1 and tokens[1][:1].isupper()) or len(tokens) <= 4
