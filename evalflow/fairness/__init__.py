"""Weekly fairness audit: group disparities, significance, and bias alerts.

Public API (other stages read the tables; these are for tests, notebooks and the CLI):
``compute_fairness_audit`` (one week's ``fairness_audit`` rows from the week's
raw/sampled/judge frames), ``build_bias_alerts`` (the ``kind='bias'`` rows of
``quality_alerts``), ``load_week`` (the week's upstream rows from the warehouse) and
``COLUMNS`` (the table contract).
"""

from evalflow.fairness.audit import AuditResult, compute_fairness_audit
from evalflow.fairness.bias_alerts import build_bias_alerts
from evalflow.fairness.io import load_week
from evalflow.fairness.schema import COLUMNS

__all__ = ["COLUMNS", "AuditResult", "build_bias_alerts", "compute_fairness_audit", "load_week"]
