"""Throughput benchmark of the signals stage on generated support-copilot traffic.

``synthetic_raw`` builds realistic ``raw_interactions``-shaped rows with numpy: four
languages, five support topics whose retrieved passages state a fact with a number
(refund days, a fee, an outage ETA...), answers that restate it (or, for a few
percent, *fabricate* a different number or answer another topic), filler sentences
to reach realistic lengths, and rare toxicity, PII, refusals, errors and feedback.
The ``hallucinated`` column is the generator's ground truth (fabricated or off-topic
answer); the sampling benchmark uses it.

``bench(n)`` times ``compute_signals`` on ``n`` such rows and each detector alone.
Run: ``python -m evalflow.signals.bench [n]``.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalflow.config.settings import SlaSettings
from evalflow.signals.compute import compute_signals
from evalflow.signals.feedback import comment_sentiment
from evalflow.signals.pii import detect_pii
from evalflow.signals.refusal import refusal
from evalflow.signals.similarity import text_signals
from evalflow.signals.toxicity import toxicity

LANGS = np.array(["en", "es", "de", "fr"])
LANG_P = np.array([0.55, 0.2, 0.15, 0.1])

# topic -> language -> (query, context fact, answer); "{n}" is the fact's number.
TOPICS: dict[str, dict[str, tuple[str, str, str]]] = {
    "refund": {
        "en": (
            "How long does a refund take for order {o}?",
            "Refund policy: approved refunds are returned to the original payment method within {n} business days.",
            "Your refund for order {o} will reach your original payment method within {n} business days after approval.",
        ),
        "es": (
            "¿Cuánto tarda el reembolso del pedido {o}?",
            "Política de reembolsos: los reembolsos aprobados se devuelven al método de pago original en {n} días hábiles.",
            "El reembolso del pedido {o} llegará a su método de pago original en {n} días hábiles tras la aprobación.",
        ),
        "de": (
            "Wie lange dauert die Rückerstattung für Bestellung {o}?",
            "Rückerstattungen: genehmigte Rückerstattungen werden innerhalb von {n} Werktagen auf die ursprüngliche Zahlungsmethode überwiesen.",
            "Die Rückerstattung für Bestellung {o} wird innerhalb von {n} Werktagen auf Ihre ursprüngliche Zahlungsmethode überwiesen.",
        ),
        "fr": (
            "Combien de temps prend le remboursement de la commande {o} ?",
            "Remboursements : les remboursements approuvés sont versés sur le moyen de paiement d'origine sous {n} jours ouvrés.",
            "Le remboursement de la commande {o} sera versé sur votre moyen de paiement d'origine sous {n} jours ouvrés.",
        ),
    },
    "password": {
        "en": (
            "I can't reset my password, the link expired.",
            "Password reset links expire after {n} minutes; a new link can be requested from the sign-in page.",
            "Reset links expire after {n} minutes. Request a new password reset link from the sign-in page and use it right away.",
        ),
        "es": (
            "No puedo restablecer mi contraseña, el enlace caducó.",
            "Los enlaces para restablecer la contraseña caducan a los {n} minutos; se puede pedir uno nuevo en la página de acceso.",
            "Los enlaces caducan a los {n} minutos. Pida un nuevo enlace para restablecer la contraseña en la página de acceso.",
        ),
        "de": (
            "Ich kann mein Passwort nicht zurücksetzen, der Link ist abgelaufen.",
            "Links zum Zurücksetzen des Passworts laufen nach {n} Minuten ab; ein neuer Link kann auf der Anmeldeseite angefordert werden.",
            "Die Links laufen nach {n} Minuten ab. Fordern Sie auf der Anmeldeseite einen neuen Link zum Zurücksetzen des Passworts an.",
        ),
        "fr": (
            "Je n'arrive pas à réinitialiser mon mot de passe, le lien a expiré.",
            "Les liens de réinitialisation du mot de passe expirent après {n} minutes ; un nouveau lien peut être demandé sur la page de connexion.",
            "Les liens expirent après {n} minutes. Demandez un nouveau lien de réinitialisation du mot de passe sur la page de connexion.",
        ),
    },
    "shipping": {
        "en": (
            "Where is my package {o}? It has not arrived.",
            "Standard shipping takes {n} days; tracking updates appear once the carrier scans the parcel.",
            "Standard shipping for package {o} takes {n} days. Tracking updates appear as soon as the carrier scans the parcel.",
        ),
        "es": (
            "¿Dónde está mi paquete {o}? No ha llegado.",
            "El envío estándar tarda {n} días; el seguimiento se actualiza cuando el transportista escanea el paquete.",
            "El envío estándar del paquete {o} tarda {n} días. El seguimiento se actualiza cuando el transportista escanea el paquete.",
        ),
        "de": (
            "Wo ist mein Paket {o}? Es ist nicht angekommen.",
            "Der Standardversand dauert {n} Tage; die Sendungsverfolgung wird aktualisiert, sobald der Zusteller das Paket scannt.",
            "Der Standardversand für Paket {o} dauert {n} Tage. Die Sendungsverfolgung wird aktualisiert, sobald der Zusteller das Paket scannt.",
        ),
        "fr": (
            "Où est mon colis {o} ? Il n'est pas arrivé.",
            "La livraison standard prend {n} jours ; le suivi est mis à jour dès que le transporteur scanne le colis.",
            "La livraison standard du colis {o} prend {n} jours. Le suivi est mis à jour dès que le transporteur scanne le colis.",
        ),
    },
    "invoice": {
        "en": (
            "Why was I charged a late fee on my invoice?",
            "Invoices unpaid after the due date incur a late fee of {n} EUR, waived once per year on request.",
            "Invoices paid after the due date incur a late fee of {n} EUR. We can waive it once per year on request.",
        ),
        "es": (
            "¿Por qué me cobraron un recargo en la factura?",
            "Las facturas impagadas tras la fecha de vencimiento tienen un recargo de {n} EUR, que se anula una vez al año si se solicita.",
            "Las facturas pagadas tras el vencimiento tienen un recargo de {n} EUR. Podemos anularlo una vez al año si lo solicita.",
        ),
        "de": (
            "Warum wurde mir eine Mahngebühr auf der Rechnung berechnet?",
            "Nach dem Fälligkeitsdatum unbezahlte Rechnungen kosten eine Mahngebühr von {n} EUR, die einmal pro Jahr auf Anfrage erlassen wird.",
            "Nach Fälligkeit bezahlte Rechnungen kosten eine Mahngebühr von {n} EUR. Wir erlassen sie einmal pro Jahr auf Anfrage.",
        ),
        "fr": (
            "Pourquoi ai-je des frais de retard sur ma facture ?",
            "Les factures impayées après l'échéance entraînent des frais de retard de {n} EUR, annulés une fois par an sur demande.",
            "Les factures payées après l'échéance entraînent des frais de retard de {n} EUR. Nous pouvons les annuler une fois par an sur demande.",
        ),
    },
    "outage": {
        "en": (
            "The dashboard is down, when will it be back?",
            "Incident: dashboard outage in the EU region; engineers expect recovery within {n} hours. Status page has live updates.",
            "We are aware of the dashboard outage in the EU region. Engineers expect recovery within {n} hours; the status page has live updates.",
        ),
        "es": (
            "El panel no funciona, ¿cuándo volverá?",
            "Incidente: caída del panel en la región UE; los ingenieros esperan la recuperación en {n} horas. La página de estado se actualiza.",
            "Conocemos la caída del panel en la región UE. Los ingenieros esperan la recuperación en {n} horas; la página de estado se actualiza.",
        ),
        "de": (
            "Das Dashboard ist ausgefallen, wann geht es wieder?",
            "Störung: Dashboard-Ausfall in der EU-Region; die Technik erwartet die Wiederherstellung innerhalb von {n} Stunden. Die Statusseite wird aktualisiert.",
            "Der Dashboard-Ausfall in der EU-Region ist bekannt. Die Technik erwartet die Wiederherstellung innerhalb von {n} Stunden; die Statusseite wird aktualisiert.",
        ),
        "fr": (
            "Le tableau de bord est en panne, quand sera-t-il rétabli ?",
            "Incident : panne du tableau de bord dans la région UE ; les ingénieurs prévoient un rétablissement sous {n} heures. La page de statut est à jour.",
            "Nous avons connaissance de la panne du tableau de bord dans la région UE. Le rétablissement est prévu sous {n} heures ; la page de statut est à jour.",
        ),
    },
}
TOPIC_NAMES = np.array(list(TOPICS))
TOPIC_QUEUE = {
    "refund": "billing",
    "invoice": "billing",
    "password": "account",
    "shipping": "shipping",
    "outage": "outage",
}

FILLER = {
    "en": [
        "Let me know if there is anything else I can do for you.",
        "You can also follow the steps in the help center article linked in your account.",
        "I have added a note to your case so the next agent sees the history.",
        "Thank you for your patience while we look into this.",
    ],
    "es": [
        "Avíseme si puedo ayudarle con algo más.",
        "También puede seguir los pasos del artículo del centro de ayuda enlazado en su cuenta.",
        "He añadido una nota a su caso para que el siguiente agente vea el historial.",
        "Gracias por su paciencia mientras lo revisamos.",
    ],
    "de": [
        "Sagen Sie mir gern, ob ich sonst noch etwas für Sie tun kann.",
        "Sie können auch den Schritten im Hilfeartikel folgen, der in Ihrem Konto verlinkt ist.",
        "Ich habe eine Notiz zu Ihrem Fall hinzugefügt, damit der nächste Mitarbeiter den Verlauf sieht.",
        "Vielen Dank für Ihre Geduld, während wir das prüfen.",
    ],
    "fr": [
        "N'hésitez pas à me dire si je peux faire autre chose pour vous.",
        "Vous pouvez aussi suivre les étapes de l'article du centre d'aide lié à votre compte.",
        "J'ai ajouté une note à votre dossier pour que le prochain agent voie l'historique.",
        "Merci de votre patience pendant que nous vérifions.",
    ],
}
REFUSALS = {
    "en": "I'm sorry, but I can't help with that. Please contact support.",
    "es": "Lo siento, pero no puedo ayudarle con eso. Por favor, contacte con el servicio de atención al cliente.",
    "de": "Ich kann Ihnen dabei leider nicht helfen. Bitte wenden Sie sich an den Kundendienst.",
    "fr": "Je ne peux pas vous aider avec cela. Veuillez contacter le service client.",
}
TOXIC = {
    "en": "Honestly, you are an idiot if you did not read the manual.",
    "es": "Sinceramente, eres un idiota si no leíste el manual.",
    "de": "Ehrlich gesagt, du bist so dumm, lies das Handbuch.",
    "fr": "Franchement, tu es vraiment nul, lis le manuel.",
}
PII = [
    "You can reach the account owner at maria.lopez@example.com.",
    "The card on file is 4111 1111 1111 1111.",
    "Transfer to IBAN DE89 3704 0044 0532 0130 00 as before.",
    "Call the technician at +44 20 7946 0958.",
]
COMMENTS_NEG = [
    "Wrong answer, not helpful",
    "No es útil, la información es incorrecta",
    "Funktioniert nicht, falsche Angabe",
    "Ça ne marche pas, réponse fausse",
]
COMMENTS_POS = ["Thanks, very helpful!", "¡Gracias, perfecto!", "Super, danke!", "Parfait, merci"]


def _map(values: np.ndarray, mapping: dict[str, Any]) -> np.ndarray:
    """Vectorised dictionary lookup (one Python call per distinct value)."""
    uniq, inv = np.unique(values.astype(str), return_inverse=True)
    return np.array([mapping[u] for u in uniq], dtype=object)[inv.reshape(-1)]


def _fill(templates: np.ndarray, numbers: np.ndarray, orders: np.ndarray) -> list[str]:
    return [
        t.replace("{n}", str(n)).replace("{o}", o)
        for t, n, o in zip(templates.tolist(), numbers.tolist(), orders.tolist(), strict=True)
    ]


def synthetic_raw(n: int, seed: int = 0, hallucination_rate: float = 0.03) -> pd.DataFrame:
    """``n`` realistic raw_interactions rows plus the generator's ``hallucinated`` truth."""
    rng = np.random.default_rng(seed)
    lang = rng.choice(LANGS, size=n, p=LANG_P)
    topic = rng.choice(TOPIC_NAMES, size=n, p=[0.3, 0.2, 0.2, 0.15, 0.15])
    other = rng.choice(TOPIC_NAMES, size=n)
    fact = rng.integers(2, 60, size=n)
    orders = np.char.add("A", rng.integers(10_000, 99_999, size=n).astype(str)).astype(object)

    keys = np.char.add(np.char.add(topic.astype(str), "|"), lang.astype(str))
    lookup = {f"{t}|{lg}": v for t, per in TOPICS.items() for lg, v in per.items()}
    q_t = _map(keys, {k: v[0] for k, v in lookup.items()})
    c_t = _map(keys, {k: v[1] for k, v in lookup.items()})
    a_t = _map(keys, {k: v[2] for k, v in lookup.items()})
    okeys = np.char.add(np.char.add(other.astype(str), "|"), lang.astype(str))
    other_ctx = _map(okeys, {k: v[1] for k, v in lookup.items()})
    other_ans = _map(okeys, {k: v[2] for k, v in lookup.items()})

    # Failures: a fabricated number (most) or an answer about another topic.
    kind = rng.random(n)
    fabricated = kind < hallucination_rate * 0.8
    off_topic = (kind >= hallucination_rate * 0.8) & (kind < hallucination_rate) & (other != topic)
    answer_fact = np.where(fabricated, fact + rng.integers(3, 40, size=n), fact)
    answer_t = np.where(off_topic, other_ans, a_t)

    query = _fill(q_t, fact, orders)
    context = [
        [c, o]
        for c, o in zip(_fill(c_t, fact, orders), _fill(other_ctx, fact + 7, orders), strict=True)
    ]
    answer = np.array(_fill(answer_t, answer_fact, orders), dtype=object)

    fill_lang = {lg: np.array(v, dtype=object) for lg, v in FILLER.items()}
    f1 = rng.integers(0, 4, size=n)
    f2 = (f1 + rng.integers(1, 4, size=n)) % 4
    filler = np.empty(n, dtype=object)
    for lg, arr in fill_lang.items():
        m = lang == lg
        filler[m] = arr[f1[m]] + " " + arr[f2[m]]
    answer = answer + " " + filler

    refused = rng.random(n) < 0.02
    toxic = rng.random(n) < 0.003
    pii = rng.random(n) < 0.01
    error = rng.random(n) < 0.01
    for lg in LANGS:
        m = lang == lg
        answer[m & refused] = REFUSALS[lg]
        answer[m & toxic] = answer[m & toxic] + " " + TOXIC[lg]
    pii_idx = np.flatnonzero(pii)
    answer[pii_idx] = (
        answer[pii_idx] + " " + np.array(PII, dtype=object)[rng.integers(0, len(PII), pii_idx.size)]
    )
    answer[error] = ""

    hallucinated = (fabricated | off_topic) & ~refused & ~error
    p_down = np.where(hallucinated, 0.25, 0.04)
    u = rng.random(n)
    rating = np.where(u < p_down, "down", np.where(u > 0.88, "up", None))
    has_comment = (rating != None) & (rng.random(n) < 0.3)  # noqa: E711 - object array compare
    lang_idx = _map(lang, {lg: i for i, lg in enumerate(LANGS)}).astype(np.int64)
    comment = np.where(
        rating == "down",
        np.array(COMMENTS_NEG, dtype=object)[lang_idx],
        np.array(COMMENTS_POS, dtype=object)[lang_idx],
    )
    comment = np.where(has_comment, comment, None)

    latency = rng.lognormal(mean=np.log(1200), sigma=0.6, size=n)
    edited = rng.random(n) < np.where(hallucinated, 0.2, 0.04)
    retried = rng.random(n) < np.where(hallucinated, 0.15, 0.03)
    queue = _map(topic, TOPIC_QUEUE)
    urgency = rng.choice(
        np.array(["low", "medium", "high", "critical"], dtype=object),
        size=n,
        p=[0.4, 0.35, 0.2, 0.05],
    )
    override = rng.random(n) < np.where(hallucinated, 0.1, 0.01)
    return pd.DataFrame(
        {
            "interaction_id": [f"i{seed}-{i:07d}" for i in range(n)],
            "query": query,
            "response": answer,
            "context": context,
            "context_text": [" ".join(c) for c in context],
            "latency_ms": latency,
            "tokens_in": rng.integers(200, 1500, size=n).astype(float),
            "tokens_out": rng.integers(50, 400, size=n).astype(float),
            "feedback_rating": rating,
            "feedback_comment": comment,
            "feedback_copied": rng.random(n) < 0.2,
            "feedback_edited": edited,
            "feedback_retried": retried,
            "outcome_analyst_override": override,
            "error": np.where(error, "upstream timeout", None),
            "seg_queue": queue,
            "seg_urgency": urgency,
            "seg_language": lang.astype(object),
            "hallucinated": hallucinated,
        }
    )


def _timed(fn: Any, *args: Any) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def bench(n: int = 1_000_000, seed: int = 0, repeats: int = 1) -> dict[str, Any]:
    """Rows per second of ``compute_signals`` (and of each detector) on ``n`` rows.

    The whole stage runs ``repeats`` times and the fastest run is reported (on a
    shared machine the slower runs measure the neighbours, not this code).
    """
    t0 = time.perf_counter()
    raw = synthetic_raw(n, seed).drop(columns=["context"])
    gen_s = time.perf_counter() - t0
    runs = []
    out = pd.DataFrame()
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        out = compute_signals(raw, SlaSettings())
        runs.append(time.perf_counter() - t0)
    total = min(runs)
    resp = raw["response"]
    pieces = {
        "toxicity": _timed(toxicity, resp),
        "pii": _timed(detect_pii, resp),
        "refusal": _timed(refusal, resp),
        "relevance+grounding": _timed(text_signals, raw["query"], resp, raw["context_text"]),
        "comment_sentiment": _timed(comment_sentiment, raw["feedback_comment"]),
    }
    # Reference point: scikit-learn's character n-gram hashing on the same answers.
    from sklearn.feature_extraction.text import HashingVectorizer

    sample = resp.iloc[: min(n, 20_000)].tolist()
    hv = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 4), alternate_sign=False)
    hv_s = _timed(hv.transform, sample)
    chars = int(
        raw["query"].str.len().sum() + resp.str.len().sum() + raw["context_text"].str.len().sum()
    )
    hall = raw["hallucinated"].to_numpy()
    return {
        "rows": n,
        "seconds": round(total, 2),
        "all_runs_seconds": [round(r, 2) for r in runs],
        "rows_per_s": round(n / total),
        "mb_text": round(chars / 1e6, 1),
        "generate_s": round(gen_s, 1),
        "piece_seconds": {k: round(v, 2) for k, v in pieces.items()},
        "sklearn_char_hashing_us_per_answer": round(hv_s / max(len(sample), 1) * 1e6, 1),
        "flag_rates": {
            "toxic": round(float(out["toxic"].mean()), 4),
            "pii": round(float(out["pii_in_response"].mean()), 4),
            "refusal": round(float(out["refusal"].mean()), 4),
        },
        "mean_risk_hallucinated": round(float(out["risk_score"][hall].mean()), 3),
        "mean_risk_other": round(float(out["risk_score"][~hall].mean()), 3),
    }


def markdown(result: dict[str, Any]) -> str:
    """The benchmark as a markdown section for docs/benchmarks.md."""
    pieces = ", ".join(f"{k} {v:.1f} s" for k, v in result["piece_seconds"].items())
    return "\n".join(
        [
            "### Online signals throughput (`evalflow.signals.bench.bench`)",
            "",
            f"`compute_signals` on {result['rows']:,} generated interactions "
            f"({result['mb_text']} MB of query + response + context text, en/es/de/fr): "
            f"**{result['seconds']} s, {result['rows_per_s']:,} rows/s** on one process, "
            f"fastest of {len(result['all_runs_seconds'])} runs ({result['all_runs_seconds']} s; "
            f"machine: {result.get('machine', 'n/a')}; other jobs were sharing it).",
            "",
            f"Each detector alone on the same rows (one run each): {pieces}.",
            f"Flag rates on this traffic: toxic {result['flag_rates']['toxic']:.2%}, "
            f"PII {result['flag_rates']['pii']:.2%}, refusal {result['flag_rates']['refusal']:.2%}. "
            f"Mean risk of the generator's hallucinated rows {result['mean_risk_hallucinated']} "
            f"vs {result['mean_risk_other']} for the rest.",
            "",
            "For scale: scikit-learn's `HashingVectorizer(analyzer='char_wb', ngram_range=(3, 4))` "
            f"needed {result['sklearn_char_hashing_us_per_answer']} µs per answer on the same "
            f"text (≈ {result['sklearn_char_hashing_us_per_answer']:.0f} s per million answers, "
            "before queries, contexts or any similarity), which is why the "
            "relevance and grounding proxies use the numpy tokenizer in "
            "`evalflow/signals/tokens.py`.",
        ]
    )


def write_section(path: Path, name: str, body: str) -> None:
    """Replace the text between ``<!-- name:start -->`` and ``<!-- name:end -->``.

    Creates the file (with a title) or appends the marked block when missing; every
    other section of the file is left byte-for-byte as it was.
    """
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def machine() -> str:
    """CPU count and load average, so figures can be read in context."""
    import os

    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    return f"{os.cpu_count()} cores, load average {load:.1f} at start"


if __name__ == "__main__":  # pragma: no cover - manual benchmark entry point
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    info = machine()
    res = bench(int(args[0]) if args else 1_000_000, repeats=2)
    res["machine"] = f"{info}, {machine().split(', ', 1)[1].replace('at start', 'at end')}"
    print(res)
    if "--write" in sys.argv:
        write_section(Path("docs/benchmarks.md"), "signals", markdown(res))
