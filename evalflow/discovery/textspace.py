"""Text embedding, clustering and labelling shared by failure themes and usage intents.

Why hashing: a theme found today must be comparable with the theme found last
week. A vocabulary fitted per day would give every day its own coordinates;
``HashingVectorizer`` maps the same n-gram to the same column on every day, so a
centroid stored in the table can be compared with tomorrow's centroid by cosine.
TF-IDF weighting (fitted on the day) and TruncatedSVD then give a dense, denoised
space for KMeans; the number of clusters is chosen by silhouette over a small range.

Texts are normalised and de-duplicated before embedding (production traffic repeats
itself a lot), so the expensive steps run once per distinct text and the result is
broadcast back to every row.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import (
    CountVectorizer,
    HashingVectorizer,
    TfidfTransformer,
)
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize

N_WORD_FEATURES = 2**18
N_CHAR_FEATURES = 2**18
TOKEN_PATTERN = r"(?u)\b[^\W\d_][^\W_]+\b"
"""Words of two or more characters that start with a letter (numbers carry no theme)."""
MAX_TEXT_CHARS = 1000
CENTROID_TOP = 200
SILHOUETTE_SAMPLE = 3000


def normalize_text(texts: pd.Series) -> pd.Series:
    """Lower-case, mask numbers/emails/urls, collapse whitespace, cap length.

    Near-duplicate queries ("refund order 123" / "Refund order 456") collapse to
    the same string, which both speeds up embedding and defines the duplicate key
    regression cases are de-duplicated on.
    """
    s = texts.fillna("").astype(str).str.slice(0, MAX_TEXT_CHARS).str.lower()
    s = s.str.replace(r"https?://\S+", " url ", regex=True)
    s = s.str.replace(r"\S+@\S+\.\w+", " email ", regex=True)
    s = s.str.replace(r"\d+", "0", regex=True)
    s = s.str.replace(r"[^\w\s']", " ", regex=True)
    return s.str.replace(r"\s+", " ", regex=True).str.strip()


class TextSpace:
    """Hashed word uni/bi-grams (and optionally char 3-5-grams) with day-fitted TF-IDF.

    Char n-grams make short, misspelt queries match; they cost about 4x the time
    of word n-grams, so usage intents (every query of the day) use words only.
    """

    def __init__(self, use_chars: bool) -> None:
        self.word = HashingVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            n_features=N_WORD_FEATURES,
            alternate_sign=False,
            norm=None,
            token_pattern=TOKEN_PATTERN,
            stop_words="english",
            dtype=np.float64,
        )
        self.char = (
            HashingVectorizer(
                analyzer="char_wb",
                ngram_range=(3, 5),
                n_features=N_CHAR_FEATURES,
                alternate_sign=False,
                norm=None,
                dtype=np.float64,
            )
            if use_chars
            else None
        )
        self.word_tfidf = TfidfTransformer(sublinear_tf=True)
        self.char_tfidf = TfidfTransformer(sublinear_tf=True)

    @property
    def n_features(self) -> int:
        return N_WORD_FEATURES + (N_CHAR_FEATURES if self.char is not None else 0)

    def _blocks(self, texts: list[str]) -> list[sp.csr_matrix]:
        blocks = [self.word.transform(texts)]
        if self.char is not None:
            blocks.append(self.char.transform(texts))
        return blocks

    def fit_transform(self, texts: list[str]) -> sp.csr_matrix:
        blocks = self._blocks(texts)
        blocks[0] = self.word_tfidf.fit_transform(blocks[0])
        if len(blocks) > 1:
            blocks[1] = self.char_tfidf.fit_transform(blocks[1])
        return self._stack(blocks)

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        blocks = self._blocks(texts)
        blocks[0] = self.word_tfidf.transform(blocks[0])
        if len(blocks) > 1:
            blocks[1] = self.char_tfidf.transform(blocks[1])
        return self._stack(blocks)

    @staticmethod
    def _stack(blocks: list[sp.csr_matrix]) -> sp.csr_matrix:
        # Each block is L2-normalised by TfidfTransformer; scaling keeps rows at unit
        # norm so words and chars weigh equally however many char n-grams there are.
        scale = 1.0 / math.sqrt(len(blocks))
        return sp.hstack([b * scale for b in blocks], format="csr")


@dataclass
class ThemeModel:
    """A fitted embedding + KMeans that can assign any text of the day to a theme."""

    space: TextSpace
    svd: TruncatedSVD | None
    kmeans: KMeans | None
    k: int
    silhouette: float | None = None
    centers: np.ndarray = field(default_factory=lambda: np.zeros((1, 1)))
    columns: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Hashing columns seen while fitting; the SVD works on these only (others carry no weight)."""

    def embed(self, texts: list[str]) -> tuple[sp.csr_matrix, np.ndarray]:
        x = self.space.transform(texts)
        if self.svd is None:
            return x, np.zeros((x.shape[0], 1))
        return x, normalize(self.svd.transform(x[:, self.columns]))

    def assign(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest theme and the distance to its centre for each embedded row."""
        if self.kmeans is None:
            return np.zeros(len(z), dtype=np.int64), np.linalg.norm(z - self.centers[0], axis=1)
        labels = self.kmeans.predict(z)
        dist = np.linalg.norm(z - self.kmeans.cluster_centers_[labels], axis=1)
        return labels.astype(np.int64), dist


def fit_themes(
    texts: list[str],
    weights: np.ndarray,
    *,
    use_chars: bool,
    k_min: int,
    k_max: int,
    n_components: int,
    seed: int,
    sqrt_cap: bool = True,
) -> tuple[ThemeModel, sp.csr_matrix, np.ndarray]:
    """Fit the space and the clustering on distinct ``texts`` (``weights`` = repeats).

    Returns the model, the TF-IDF rows and the dense normalised embedding of ``texts``.
    k is the silhouette-best value in ``[k_min, min(k_max, n-1)]`` (ties: smaller k), further
    capped at sqrt(rows/2) when ``sqrt_cap`` (failure themes: few rows, many phrasings),
    chosen on a deterministic subsample; the final KMeans is fitted on all rows.
    Fewer distinct texts than ``k_min + 1`` give a single theme.
    """
    space = TextSpace(use_chars=use_chars)
    x = space.fit_transform(texts)
    n = x.shape[0]
    # Rule-of-thumb ceiling k <= sqrt(rows / 2): templated traffic would otherwise
    # reward one cluster per phrasing (high silhouette) instead of one per theme.
    rows_total = float(np.sum(weights)) if len(weights) else float(n)
    max_k = min(k_max, n - 1)
    if sqrt_cap:
        max_k = min(max_k, max(k_min, round(math.sqrt(rows_total / 2.0))))
    # 2^19 hashed columns are mostly empty; the SVD's dense work scales with the
    # column count, so it runs on the columns actually used (minutes -> milliseconds).
    columns = np.unique(x.indices)
    comps = min(n_components, n - 1, max(columns.size - 1, 1))
    if max_k < k_min or comps < 2:
        z = np.zeros((n, 1))
        model = ThemeModel(space=space, svd=None, kmeans=None, k=1, centers=np.zeros((1, 1)))
        return model, x, z
    svd = TruncatedSVD(n_components=comps, random_state=seed, algorithm="randomized")
    z = normalize(svd.fit_transform(x[:, columns]))
    rng = np.random.default_rng(seed)
    pick = (
        np.sort(rng.permutation(n)[:SILHOUETTE_SAMPLE]) if n > SILHOUETTE_SAMPLE else np.arange(n)
    )
    zs, ws = z[pick], weights[pick]
    distinct = np.unique(np.round(zs, 6), axis=0).shape[0]
    best_k, best_s = 1, -np.inf
    for k in range(k_min, min(max_k, distinct - 1) + 1):
        km = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(zs, sample_weight=ws)
        if np.unique(km.labels_).size < 2:
            continue
        s = float(silhouette_score(zs, km.labels_))
        if s > best_s + 1e-9:
            best_k, best_s = k, s
    if best_k == 1:
        model = ThemeModel(
            space=space,
            svd=svd,
            kmeans=None,
            k=1,
            columns=columns,
            centers=normalize(np.average(z, axis=0, weights=weights)[None, :]),
        )
        return model, x, z
    km = KMeans(n_clusters=best_k, n_init=3, random_state=seed).fit(z, sample_weight=weights)
    model = ThemeModel(
        space=space,
        svd=svd,
        kmeans=km,
        k=best_k,
        silhouette=best_s,
        centers=km.cluster_centers_,
        columns=columns,
    )
    return model, x, z


def distinctive_terms(
    docs: pd.Series,
    labels: np.ndarray,
    background: pd.Series,
    top_n: int,
) -> dict[int, list[str]]:
    """Terms over-represented in each group compared with the whole day (c-TF-IDF style).

    For each group c and term t: ``p_c`` = share of the group's documents containing t,
    ``p_bg`` = smoothed share of background documents (the day's traffic) containing t.
    Score = ``p_c * log(p_c / p_bg)`` for terms with ``p_c > p_bg`` that occur in at
    least max(2, 10%) of the group's documents (1 for single-document groups).
    """
    docs = docs.fillna("").astype(str).reset_index(drop=True)
    if not len(docs):
        return {}
    vec = CountVectorizer(
        binary=True,
        ngram_range=(1, 2),
        token_pattern=TOKEN_PATTERN,
        stop_words="english",
        max_features=100_000,
    )
    try:
        xd = vec.fit_transform(docs)
    except ValueError:  # only stop words / no tokens at all
        return {int(g): [] for g in np.unique(labels)}
    terms = vec.get_feature_names_out()
    bg = background.fillna("").astype(str) if len(background) else docs
    xb = vec.transform(bg.tolist())
    n_bg = xb.shape[0]
    p_bg = (np.asarray(xb.sum(axis=0)).ravel() + 0.5) / (n_bg + 1.0)
    groups = np.unique(labels)
    onehot = sp.csr_matrix(
        (np.ones(len(labels)), (np.searchsorted(groups, labels), np.arange(len(labels)))),
        shape=(len(groups), len(labels)),
    )
    df_c = (onehot @ xd).toarray()
    sizes = np.asarray(onehot.sum(axis=1)).ravel()
    out: dict[int, list[str]] = {}
    for gi, g in enumerate(groups):
        n_c = sizes[gi]
        min_df = 1 if n_c < 2 else max(2, math.ceil(0.1 * n_c))
        p_c = df_c[gi] / max(n_c, 1)
        ok = (df_c[gi] >= min_df) & (p_c > p_bg)
        idx = np.flatnonzero(ok)
        score = p_c[idx] * np.log(p_c[idx] / p_bg[idx])
        order = np.lexsort((terms[idx], -score))
        out[int(g)] = [str(t) for t in terms[idx][order][:top_n]]
    return out


def make_label(terms: list[str], n: int = 3) -> str:
    """Up to ``n`` distinctive terms, skipping terms whose words are already shown."""
    chosen: list[str] = []
    covered: set[str] = set()
    for term in terms:
        words = set(term.split())
        if words <= covered:
            continue
        chosen.append(term)
        covered |= words
        if len(chosen) == n:
            break
    return " / ".join(chosen) if chosen else "(no distinctive terms)"


def sparse_centroids(
    x: sp.csr_matrix, labels: np.ndarray, top: int = CENTROID_TOP
) -> dict[int, dict[int, float]]:
    """Per group: the mean TF-IDF row in hashing space, top ``top`` weights, unit norm."""
    groups = np.unique(labels)
    if not len(groups):
        return {}
    onehot = sp.csr_matrix(
        (np.ones(len(labels)), (np.searchsorted(groups, labels), np.arange(len(labels)))),
        shape=(len(groups), len(labels)),
    )
    sums = (onehot @ x).tocsr()
    out: dict[int, dict[int, float]] = {}
    for gi, g in enumerate(groups):
        row = sums.getrow(gi)
        idx, val = row.indices, row.data
        if len(val) > top:
            keep = np.argsort(-val, kind="stable")[:top]
            idx, val = idx[keep], val[keep]
        norm = float(np.linalg.norm(val))
        out[int(g)] = (
            {int(i): float(v / norm) for i, v in zip(idx, val, strict=True)} if norm else {}
        )
    return out


def centroid_to_json(c: dict[int, float]) -> str:
    return json.dumps({str(k): round(v, 5) for k, v in sorted(c.items())}, separators=(",", ":"))


def centroid_from_json(text: object) -> dict[int, float]:
    if not isinstance(text, str) or not text:
        return {}
    try:
        raw = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return {int(k): float(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def cosine(a: dict[int, float], b: dict[int, float]) -> float:
    """Cosine of two sparse centroids (stored unit-norm, renormalised defensively)."""
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b.get(k, 0.0) for k, v in a.items())
    na = math.sqrt(sum(v * v for v in a.values()))
    nb = math.sqrt(sum(v * v for v in b.values()))
    return float(dot / (na * nb)) if na and nb else 0.0
