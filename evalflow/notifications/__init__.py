"""Delivering alerts to people: log, JSONL file, Slack-compatible webhook, SMTP email.

Each notification is delivered once per channel: a ledger table in DuckDB records
every attempt, failed deliveries are retried on later sensor ticks up to a limit,
and what was delivered is never sent again.
"""
