"""One function per channel type; each raises on failure so the ledger can record it."""

from __future__ import annotations

import json
import logging
import smtplib
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx

from evalflow.config.settings import AlertChannel
from evalflow.signals.pii import redact_value

log = logging.getLogger("evalflow.alerts")

SEVERITY_ORDER = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def channel_name(channel: AlertChannel) -> str:
    """A stable name for the ledger; never includes secrets such as webhook tokens."""
    if channel.type == "file":
        return f"file:{channel.path}"
    if channel.type == "webhook":
        url = httpx.URL(channel.url or "")
        return f"webhook:{url.host}:{url.port or ''}{url.path[:1]}"
    if channel.type == "email":
        return f"email:{channel.smtp_host}:{','.join(channel.recipients)}"
    return "log"


def wants(channel: AlertChannel, severity: str) -> bool:
    return SEVERITY_ORDER.get(severity, 0) >= SEVERITY_ORDER[channel.min_severity]


def render_text(note: dict[str, Any]) -> str:
    """One line a human can act on: severity, what, where, numbers."""
    if note.get("kind") == "run_failure":
        return f"[{note['severity'].upper()}] evalflow run failed: {note['evidence']}"
    where = note.get("segment_key") or "overall"
    if note.get("segment_value"):
        where = f"{where}={note['segment_value']}"
    status = "RESOLVED" if note.get("status") == "resolved" else note["severity"].upper()
    return (
        f"[{status}] {note.get('kind')} alert on {note.get('metric')} ({where}) for "
        f"{note.get('day')}: observed {note.get('observed')}, expected {note.get('expected')}. "
        f"{note.get('evidence') or ''}"
    ).strip()


def deliver(
    channel: AlertChannel, note: dict[str, Any], home: Path, timeout_s: float = 10.0
) -> None:
    """Send one note. Every string in it is PII-redacted first: alert evidence can quote
    customers' messages (examples), and a notification leaves the warehouse."""
    note = redact_value(note)  # type: ignore[assignment]
    text = render_text(note)
    if channel.type == "log":
        log.warning("%s", text)
    elif channel.type == "file":
        target = Path(channel.path or "alerts.jsonl")
        target = target if target.is_absolute() else home / target
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({**note, "text": text}, default=str, ensure_ascii=False) + "\n")
    elif channel.type == "webhook":
        response = httpx.post(
            channel.url or "", json={"text": text, "alert": note}, timeout=timeout_s
        )
        response.raise_for_status()
    elif channel.type == "email":
        msg = EmailMessage()
        msg["Subject"] = text[:150]
        msg["From"] = channel.sender or ""
        msg["To"] = ", ".join(channel.recipients)
        msg.set_content(text + "\n\n" + json.dumps(note, indent=2, default=str, ensure_ascii=False))
        with smtplib.SMTP(
            channel.smtp_host or "localhost", channel.smtp_port, timeout=timeout_s
        ) as smtp:
            smtp.send_message(msg)
