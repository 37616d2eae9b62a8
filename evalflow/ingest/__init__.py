"""Ingestion: landing files -> validated, deduplicated ``raw_interactions`` + quarantine.

Public entry points (the Dagster assets in ``assets.py`` are thin wrappers):

* ``ingest_day(paths, settings, day) -> IngestResult``: stage new/changed landing
  files and assemble one UTC day (no table writes).
* ``write_ingest(warehouse, result)``: replace the day's partitions of
  raw_interactions, quarantined_records, ingest_reconciliation and landing_files.
* ``landing_days(paths, settings) -> {file: [days]}``: which days each landing file
  has records on (for sensors deciding which partitions to rerun).
* ``ReconciliationError``: raised whenever counts do not add up.
"""

from evalflow.ingest.pipeline import IngestResult, ingest_day, landing_days, write_ingest
from evalflow.ingest.staging import ReconciliationError

__all__ = ["IngestResult", "ReconciliationError", "ingest_day", "landing_days", "write_ingest"]
