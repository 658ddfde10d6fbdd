"""An SMTP server that keeps every message it accepts, for tests, benchmarks and the demo.

It is a real server (aiosmtpd) so the service's SMTP adapter runs its real code: EHLO,
STARTTLS, AUTH, MAIL/RCPT/DATA. What arrived can be read in-process (:meth:`SmtpSink.messages`)
or, from another process, over a small HTTP API:

- ``GET /messages`` (optionally ``?message_id=<id>`` or ``?to=<address>``): JSON list;
- ``DELETE /messages``: forget everything;
- ``POST /faults`` ``{"code": 451, "count": 2}``: answer the next DATA commands with that
  code; ``{"drop": true, "count": 1}``: keep the next message but drop the connection before
  answering, as a crash or a network cut after the provider accepted would look.

Looking up by ``Message-ID`` is what lets the notifications service find out, after a crash,
whether a message it may have sent was in fact accepted (real SMTP has no such query; see the
SMTP adapter for what the service does there).

Run it: ``python -m shared.devservers.smtp_sink --smtp-port 1025 --http-port 8025``.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import json
import logging
import ssl
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from shared.devservers import free_port

log = logging.getLogger(__name__)


@dataclass
class SunkMessage:
    """One accepted message, parsed enough for a test to read it."""

    message_id: str
    mail_from: str
    rcpt_tos: list[str]
    subject: str
    text: str
    headers: dict[str, str]
    received_at: float
    tls: bool
    login: str | None

    def public(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Fault:
    code: int | None = None
    text: str = ""
    drop: bool = False


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    messages: list[SunkMessage] = field(default_factory=list)
    faults: deque[_Fault] = field(default_factory=deque)


class _Handler:
    """aiosmtpd handler: store the message, or answer with the next fault on demand."""

    def __init__(self, state: _State) -> None:
        self._state = state

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self._state.lock:
            fault = self._state.faults.popleft() if self._state.faults else None
        if fault is not None and fault.code is not None:
            return f"{fault.code} {fault.text or 'Failure on demand'}"
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""  # type: ignore[attr-defined]
        message = SunkMessage(
            message_id=str(parsed.get("Message-ID", "")).strip().strip("<>"),
            mail_from=envelope.mail_from or "",
            rcpt_tos=list(envelope.rcpt_tos),
            subject=str(parsed.get("Subject", "")),
            text=text,
            headers={k: str(v) for k, v in parsed.items()},
            received_at=time.time(),
            tls=session.ssl is not None,
            login=session.auth_data.login.decode()
            if isinstance(session.auth_data, LoginPassword)
            else None,
        )
        with self._state.lock:
            self._state.messages.append(message)
        if fault is not None and fault.drop and isinstance(server.transport, asyncio.Transport):
            server.transport.abort()  # accepted and kept, but the client never hears so
        return "250 2.0.0 OK: queued"


class SmtpSink:
    """The sink: SMTP on ``smtp_port`` and (unless ``http_port`` is None) the query API.

    ``tls_cert``/``tls_key`` enable STARTTLS; ``username``/``password`` require AUTH (over
    TLS, as real servers do). Ports of 0 pick free ones; read them from the attributes.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        smtp_port: int = 0,
        http_port: int | None = 0,
        *,
        tls_cert: Path | None = None,
        tls_key: Path | None = None,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.host = host
        self.smtp_port = smtp_port or free_port(host)
        self.http_port = None if http_port is None else (http_port or free_port(host))
        self._state = _State()
        self._credentials = (username, password) if username else None
        tls_context = None
        if tls_cert and tls_key:
            tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            tls_context.load_cert_chain(str(tls_cert), str(tls_key))
        self._controller = Controller(
            _Handler(self._state),
            hostname=host,
            port=self.smtp_port,
            server_hostname="localhost",
            tls_context=tls_context,
            require_starttls=tls_context is not None,
            authenticator=self._authenticate if self._credentials else None,
            auth_required=self._credentials is not None,
            auth_require_tls=tls_context is not None,
        )
        self._http: ThreadingHTTPServer | None = None
        self._http_thread: threading.Thread | None = None

    # -- in-process API --------------------------------------------------------------------

    @property
    def http_url(self) -> str:
        assert self.http_port is not None, "the sink was started without its HTTP API"
        return f"http://{self.host}:{self.http_port}"

    def messages(self) -> list[SunkMessage]:
        with self._state.lock:
            return list(self._state.messages)

    def by_message_id(self, message_id: str) -> list[SunkMessage]:
        wanted = message_id.strip().strip("<>")
        return [m for m in self.messages() if m.message_id == wanted]

    def fail_next(self, code: int, count: int = 1, text: str = "") -> None:
        """Answer the next ``count`` messages with ``code`` (4xx: try later; 5xx: refused)."""
        with self._state.lock:
            self._state.faults.extend(_Fault(code=code, text=text) for _ in range(count))

    def drop_next(self, count: int = 1) -> None:
        """Keep the next ``count`` messages but cut the connection before saying so."""
        with self._state.lock:
            self._state.faults.extend(_Fault(drop=True) for _ in range(count))

    def reset(self) -> None:
        with self._state.lock:
            self._state.messages.clear()
            self._state.faults.clear()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> SmtpSink:
        self._controller.start()
        if self.http_port is not None:
            self._http = ThreadingHTTPServer((self.host, self.http_port), self._http_handler())
            self._http.daemon_threads = True
            self._http_thread = threading.Thread(
                target=self._http.serve_forever, name="smtp-sink-http", daemon=True
            )
            self._http_thread.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- internals ---------------------------------------------------------------------------

    def _authenticate(
        self, _server: SMTP, _session: Session, _envelope: Envelope, _mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword) or self._credentials is None:
            return AuthResult(success=False, handled=False)
        user, password = self._credentials
        if data.login.decode() == user and data.password.decode() == password:
            return AuthResult(success=True, auth_data=data)
        return AuthResult(success=False, handled=False)  # aiosmtpd answers 535 for us

    def _http_handler(self) -> type[BaseHTTPRequestHandler]:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:  # quiet: tests read their own output
                pass

            def _reply(self, status: int, payload: Any) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path != "/messages":
                    self._reply(404, {"error": "not found"})
                    return
                query = parse_qs(url.query)
                found = sink.messages()
                if "message_id" in query:
                    found = sink.by_message_id(query["message_id"][0])
                if "to" in query:
                    found = [m for m in found if query["to"][0] in m.rcpt_tos]
                self._reply(200, [m.public() for m in found])

            def do_DELETE(self) -> None:
                sink.reset()
                self._reply(200, {"cleared": True})

            def do_POST(self) -> None:
                if urlparse(self.path).path != "/faults":
                    self._reply(404, {"error": "not found"})
                    return
                length = int(self.headers.get("Content-Length") or 0)
                spec = json.loads(self.rfile.read(length) or b"{}")
                count = int(spec.get("count", 1))
                if spec.get("drop"):
                    sink.drop_next(count)
                else:
                    sink.fail_next(int(spec["code"]), count, str(spec.get("text", "")))
                self._reply(200, {"armed": count})

        return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m shared.devservers.smtp_sink")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    parser.add_argument("--tls-cert", type=Path)
    parser.add_argument("--tls-key", type=Path)
    parser.add_argument("--username")
    parser.add_argument("--password")
    args = parser.parse_args(argv)
    sink = SmtpSink(
        args.host,
        args.smtp_port,
        args.http_port,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        username=args.username,
        password=args.password,
    ).start()
    print(f"SMTP sink on {args.host}:{sink.smtp_port}; messages at {sink.http_url}/messages")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
