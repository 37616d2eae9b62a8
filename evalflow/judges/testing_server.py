"""A small, real OpenAI-compatible HTTP server for tests and throughput benchmarks.

It implements ``POST /v1/chat/completions`` with the response shape the official
client parses (``choices[0].message.content``, ``usage``), records every request
body, and can be told to misbehave for the next requests: N x 429 with
``Retry-After``, 500s, a delay longer than the client's timeout, malformed JSON
content, JSON that violates the verdict schema, or a 401 that echoes the
``Authorization`` header (to prove keys are scrubbed from what we store).

Threaded (one thread per connection, HTTP/1.1 keep-alive, deep listen backlog), so
it serves 64+ concurrent requests with a fixed per-request latency, which is what
``evalflow.judges.bench`` measures the client against.

Default verdicts are deterministic: score 5 ("pass") unless the judged data contains
the word ``WRONG`` (score 1). A request with ``temperature > 0`` and an odd ``seed``
gets its score moved by one point, so noise measurement has something to measure.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_DATA = re.compile(r"<<<BEGIN_DATA>>>(.*?)<<<END_DATA>>>", re.DOTALL)


@dataclass(frozen=True)
class Action:
    """What to do with one incoming request instead of the default verdict.

    kind: ``ok`` | ``429`` | ``500`` | ``delay`` | ``malformed`` | ``nonschema`` |
    ``empty`` | ``401_echo``. ``seconds`` is the Retry-After value (429) or the
    sleep before answering (delay).
    """

    kind: str
    seconds: float = 0.0


class FakeOpenAIServer:
    """Start with ``with FakeOpenAIServer() as srv:``; point clients at ``srv.base_url``."""

    def __init__(self, latency_s: float = 0.0, host: str = "127.0.0.1", port: int = 0):
        self.latency_s = latency_s
        self.host = host
        self.port_hint = port
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.actions: deque[Action] = deque()
        self.completed = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> FakeOpenAIServer:
        server = self

        class Handler(_Handler):
            owner = server

        httpd = _Server((self.host, self.port_hint), Handler)
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    # -- scripting -----------------------------------------------------------------------
    def queue(self, kind: str, times: int = 1, seconds: float = 0.0) -> None:
        """Make the next ``times`` requests behave as ``kind``."""
        with self._lock:
            self.actions.extend(Action(kind, seconds) for _ in range(times))

    @property
    def call_count(self) -> int:
        with self._lock:
            return len(self.requests)

    def _next_action(self) -> Action:
        with self._lock:
            return self.actions.popleft() if self.actions else Action("ok")

    # -- verdicts ------------------------------------------------------------------------
    @staticmethod
    def verdict_for(body: dict[str, Any]) -> dict[str, Any]:
        """The default, deterministic judgement of one request body."""
        user = next(
            (
                m.get("content", "")
                for m in reversed(body.get("messages", []))
                if m.get("role") == "user"
            ),
            "",
        )
        first_user = next(
            (m.get("content", "") for m in body.get("messages", []) if m.get("role") == "user"),
            user,
        )
        match = _DATA.search(first_user or "")
        data = match.group(1) if match else ""
        score = 1 if "WRONG" in data else 5
        if float(body.get("temperature") or 0) > 0 and int(body.get("seed") or 0) % 2 == 1:
            score = score - 1 if score > 1 else score + 1
        return {
            "score": score,
            "passed": score >= 3,
            "label": "looks_fine" if score >= 3 else "problem_found",
            "rationale": "deterministic verdict from the evalflow test server",
        }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True


class _Handler(BaseHTTPRequestHandler):
    owner: FakeOpenAIServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def setup(self) -> None:
        super().setup()
        # headers and body go out as separate writes; without TCP_NODELAY Nagle's
        # algorithm and delayed ACKs add ~40 ms to every keep-alive response
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _send(
        self, status: int, payload: dict[str, Any] | str, headers: dict[str, str] | None = None
    ) -> None:
        raw = (payload if isinstance(payload, str) else json.dumps(payload)).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test); nothing to answer

    def do_POST(self) -> None:
        owner = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(
                404, {"error": {"message": f"unknown path {self.path}", "type": "not_found"}}
            )
            return
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            self._send(
                400,
                {"error": {"message": "request body is not JSON", "type": "invalid_request_error"}},
            )
            return
        with owner._lock:
            owner.requests.append(body)
            owner.headers.append({k.lower(): v for k, v in self.headers.items()})
            owner.in_flight += 1
            owner.max_in_flight = max(owner.max_in_flight, owner.in_flight)
        try:
            self._respond(owner, body)
        finally:
            with owner._lock:
                owner.in_flight -= 1
                owner.completed += 1

    def _respond(self, owner: FakeOpenAIServer, body: dict[str, Any]) -> None:
        action = owner._next_action()
        if owner.latency_s:
            time.sleep(owner.latency_s)
        if action.kind == "429":
            self._send(
                429,
                {"error": {"message": "Rate limit reached", "type": "rate_limit_exceeded"}},
                {"Retry-After": f"{action.seconds:g}"},
            )
            return
        if action.kind == "500":
            self._send(500, {"error": {"message": "internal error", "type": "server_error"}})
            return
        if action.kind == "401_echo":
            self._send(
                401,
                {
                    "error": {
                        "message": f"bad key: {self.headers.get('Authorization')}",
                        "type": "invalid_api_key",
                    }
                },
            )
            return
        if action.kind == "delay":
            time.sleep(action.seconds)
        if action.kind == "malformed":
            content = '{"score": 4, "passed": true, "label": "ok", "rationale": '  # cut off
        elif action.kind == "nonschema":
            content = json.dumps({"verdict": "fine", "confidence": "high"})
        elif action.kind == "empty":
            content = ""
        else:
            content = json.dumps(owner.verdict_for(body))
        prompt_chars = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
        usage = {
            "prompt_tokens": max(1, prompt_chars // 4),
            "completion_tokens": max(1, len(content) // 4),
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        self._send(
            200,
            {
                "id": f"chatcmpl-{owner.completed}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "fake"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": usage,
            },
        )


def main(argv: list[str] | None = None) -> None:
    """Serve until killed; print the base URL on the first line (used by the benchmark)."""
    import argparse

    parser = argparse.ArgumentParser(description="OpenAI-compatible test server")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    server = FakeOpenAIServer(latency_s=args.latency, port=args.port)
    server.start()
    print(server.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
