"""One theme that KMeans cut in two is joined again; distinct or mixed groups are not."""

from __future__ import annotations

from evalflow.config.settings import DiscoverySettings
from evalflow.discovery.clusters import split_themes

SETTINGS = DiscoverySettings()

LOYALTY = ["loyalty", "loyalty points", "points", "transfer", "account", "partner"]
PENDING = ["points", "pending", "points transfer", "transfer", "days points", "days"]
PASSWORD = ["password", "reset", "link", "reset link", "account", "email"]


def centroid(*weights: tuple[int, float]) -> dict[int, float]:
    norm = sum(w * w for _, w in weights) ** 0.5
    return {i: w / norm for i, w in weights}


CLOSE_A = centroid((1, 0.8), (2, 0.5), (3, 0.3))
CLOSE_B = centroid((1, 0.6), (2, 0.2), (4, 0.7))  # cosine with CLOSE_A ≈ 0.65
FAR = centroid((7, 1.0), (8, 0.4))


def test_two_phrasings_of_one_theme_are_joined() -> None:
    merged = split_themes(
        {0: LOYALTY, 3: PENDING, 5: PASSWORD},
        {0: CLOSE_A, 3: CLOSE_B, 5: FAR},
        {0: 1.0, 3: 0.9, 5: 0.8},
        SETTINGS,
    )
    assert merged == {0: 0, 3: 0, 5: 5}


def test_shared_terms_without_close_centroids_are_not_joined() -> None:
    merged = split_themes({0: LOYALTY, 3: PENDING}, {0: CLOSE_A, 3: FAR}, {0: 1, 3: 1}, SETTINGS)
    assert merged == {0: 0, 3: 3}


def test_close_centroids_without_shared_terms_are_not_joined() -> None:
    merged = split_themes(
        {0: LOYALTY, 3: [*PASSWORD[:3], "email", "login", "code"]},
        {0: CLOSE_A, 3: CLOSE_B},
        {0: 1.0, 3: 1.0},
        SETTINGS,
    )
    assert merged == {0: 0, 3: 3}


def test_a_mixed_group_never_swallows_a_theme() -> None:
    merged = split_themes(
        {0: LOYALTY, 3: PENDING}, {0: CLOSE_A, 3: CLOSE_B}, {0: 1.0, 3: 0.3}, SETTINGS
    )
    assert merged == {0: 0, 3: 3}
    unmeasured = split_themes(
        {0: LOYALTY, 3: PENDING}, {0: CLOSE_A, 3: CLOSE_B}, {0: 1.0, 3: None}, SETTINGS
    )
    assert unmeasured == {0: 0, 3: 3}


def test_joining_is_transitive_and_keeps_the_smallest_key() -> None:
    middle = ["points", "transfer", "pending", "loyalty", "partner", "fee"]
    merged = split_themes(
        {2: LOYALTY, 4: middle, 9: PENDING},
        {2: CLOSE_A, 4: CLOSE_A, 9: CLOSE_B},
        {2: 1.0, 4: 1.0, 9: 1.0},
        SETTINGS,
    )
    assert merged == {2: 2, 4: 2, 9: 2}
