"""Which attributes are audited, how rows map to their groups, and the reference group.

Attributes are the configured ``audit_attributes`` (segment keys, stored in
``raw_interactions`` as ``seg_<key>``) plus the two-key intersections of
``fairness.intersections`` (``language×customer_tier``): a disparity can hide in a
combination (Spanish-speaking free-tier users) that neither key shows alone.
Group codes are built from integer factor codes, never by concatenating millions of
strings, so a week of traffic maps to its groups in one vectorised pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalflow.config.settings import segment_column
from evalflow.fairness.schema import INTERSECTION_SEP, MISSING_GROUP


@dataclass(frozen=True)
class AttributeSpec:
    name: str
    """``language`` or ``language×customer_tier``."""
    keys: tuple[str, ...]
    configured_reference: str | None


def attribute_specs(
    audit_attributes: Sequence[str],
    intersections: Sequence[Sequence[str]],
    reference_groups: Mapping[str, str],
    available_columns: set[str],
) -> tuple[list[AttributeSpec], list[str]]:
    """(attributes to audit, notes on configured attributes skipped because a column is absent)."""
    specs: list[AttributeSpec] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for key in audit_attributes:
        if key in seen:
            continue
        seen.add(key)
        if segment_column(key) not in available_columns:
            skipped.append(f"{key}: raw_interactions has no column {segment_column(key)}")
            continue
        specs.append(AttributeSpec(key, (key,), reference_groups.get(key)))
    for pair in intersections:
        a, b = str(pair[0]), str(pair[1])
        name = f"{a}{INTERSECTION_SEP}{b}"
        if a == b or name in seen:
            continue
        seen.add(name)
        missing = [segment_column(k) for k in (a, b) if segment_column(k) not in available_columns]
        if missing:
            skipped.append(f"{name}: raw_interactions has no column {', '.join(missing)}")
            continue
        ref = reference_groups.get(name)
        if ref is None and a in reference_groups and b in reference_groups:
            ref = f"{reference_groups[a]}{INTERSECTION_SEP}{reference_groups[b]}"
        specs.append(AttributeSpec(name, (a, b), ref))
    return specs, skipped


class GroupCoder:
    """Factor codes of segment columns, computed once per column and combined per attribute."""

    def __init__(self, raw: pd.DataFrame) -> None:
        self._raw = raw
        self._cache: dict[str, tuple[np.ndarray, list[str]]] = {}

    def _factor(self, key: str) -> tuple[np.ndarray, list[str]]:
        if key not in self._cache:
            values = self._raw[segment_column(key)].astype("string").fillna(MISSING_GROUP)
            codes, uniques = pd.factorize(values, sort=True)
            self._cache[key] = (codes.astype(np.int64), [str(u) for u in uniques])
        return self._cache[key]

    def codes(self, spec: AttributeSpec) -> tuple[np.ndarray, list[str]]:
        """(group code of every row, group labels) with only the groups that occur."""
        codes, labels = self._factor(spec.keys[0])
        for key in spec.keys[1:]:
            more, more_labels = self._factor(key)
            combined = codes * len(more_labels) + more
            # keep only combinations that occur, renumbered in order (a bincount, not a sort)
            present = np.flatnonzero(np.bincount(combined))
            remap = np.zeros(len(labels) * len(more_labels), dtype=np.int64)
            remap[present] = np.arange(len(present))
            codes = remap[combined]
            labels = [
                f"{labels[c // len(more_labels)]}{INTERSECTION_SEP}{more_labels[c % len(more_labels)]}"
                for c in present
            ]
        return codes.astype(np.int64), labels


def choose_reference(
    labels: Sequence[str], group_n: np.ndarray, configured: str | None
) -> int | None:
    """Index of the reference group: the configured one if it has traffic, else the largest.

    The largest group is the default because its rate is the most precise yardstick;
    ``(missing)`` is never a reference (it is not a group anyone chose to protect).
    Ties go to the alphabetically first label, so the choice is deterministic.
    """
    if configured is not None and configured in labels:
        i = list(labels).index(configured)
        if group_n[i] > 0:
            return i
    candidates = [
        (-int(group_n[i]), str(label), i)
        for i, label in enumerate(labels)
        if group_n[i] > 0 and MISSING_GROUP not in str(label).split(INTERSECTION_SEP)
    ]
    return min(candidates)[2] if candidates else None
