"""Serve WSGI apps (the sandboxes) on 127.0.0.1 with a small threaded HTTP/1.1 server.

Why not ``wsgiref.simple_server``: it speaks HTTP/1.0 and turns every exception into a 500, but
the sandboxes need two things it cannot give. Real clients (``requests`` via the ``jira``
library) keep connections alive, so the server answers HTTP/1.1 with a ``Content-Length`` on
every response and loops on the socket. Fault tests need a *dropped connection*: an app raises
:class:`DropConnection` and the server closes the socket without writing a byte, exactly what
a client sees when a proxy or a crashing node cuts it off mid-request.

Only loopback is served: the sandboxes accept any credentials and must never face a network.

With an ``ssl_context`` (see ``tls.py``) the same server speaks HTTPS, for clients that build
``https://`` URLs themselves (``simple-salesforce``). The handshake happens in the connection's
own thread, on its first read, so a slow or failing client never holds up ``accept``.
"""

from __future__ import annotations

import io
import socket
import ssl
import sys
import threading
from collections.abc import Callable, Iterable
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, HTTPServer
from socketserver import ThreadingMixIn
from types import TracebackType
from typing import Any
from urllib.parse import unquote_to_bytes

from plansync.logs import logger

LOG = logger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

LOOPBACK = "127.0.0.1"
#: How long an idle keep-alive connection may wait for its next request before it is closed.
IDLE_TIMEOUT_S = 60


class DropConnection(Exception):
    """Raised by a WSGI app to make the server close the socket without sending any response."""


class _Handler(BaseHTTPRequestHandler):
    """Turns each HTTP request on a (possibly kept-alive) connection into one WSGI call."""

    protocol_version = "HTTP/1.1"
    server_version = "plansync-sandbox"
    sys_version = ""

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        """No Nagle: headers and body go out as two writes, and the client must not wait 40 ms."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    timeout = IDLE_TIMEOUT_S
    server: _ThreadingServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests and the CLI print what matters themselves."""

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _environ(self, body: bytes) -> dict[str, Any]:
        path, _, query = self.path.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query,
            "SERVER_NAME": self.server.server_address[0],
            "SERVER_PORT": str(self.server.server_address[1]),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": self.server.scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in self.headers.items():
            key = "HTTP_" + name.upper().replace("-", "_")
            if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    def _run_wsgi(self) -> None:
        try:
            body = self._read_body()
        except ValueError:
            self.send_error(400, "Malformed Content-Length or chunked body")
            self.close_connection = True
            return
        started: list[Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            started[:] = [status, headers]
            return lambda _data: None  # the legacy write() callable; our apps never use it

        try:
            result = self.server.app(self._environ(body), start_response)
            try:
                payload = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except DropConnection:
            self._drop()
            return
        except Exception:
            LOG.exception("sandbox app failed on %s %s", self.command, self.path)
            started[:] = ["500 Internal Server Error", [("Content-Type", "text/plain")]]
            payload = b"sandbox app failed; see the server log"

        status, headers = started
        code, _, reason = status.partition(" ")
        self.send_response(int(code), reason)
        names = set()
        for name, value in headers:
            names.add(name.lower())
            self.send_header(name, value)
        if "content-length" not in names:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _drop(self) -> None:
        """Close the socket abruptly: the client gets EOF (RemoteDisconnected), no status line."""
        self.close_connection = True
        with suppress(OSError):
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _run_wsgi


class _ThreadingServer(ThreadingMixIn, HTTPServer):
    """One thread per connection; tracks open connections so ``stop()`` ends kept-alive ones."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, app: WSGIApp, port: int, ssl_context: ssl.SSLContext | None = None):
        super().__init__((LOOPBACK, port), _Handler)
        self.app = app
        self.ssl_context = ssl_context
        self.scheme = "https" if ssl_context is not None else "http"
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        if self.ssl_context is None:
            return sock, address
        return self.ssl_context.wrap_socket(
            sock, server_side=True, do_handshake_on_connect=False
        ), address

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._open_lock:
                self._open.discard(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet about clients that hang up mid-request; log anything else."""
        if isinstance(sys.exc_info()[1], OSError):
            LOG.debug("connection from %s ended abruptly", client_address, exc_info=True)
        else:
            LOG.exception("sandbox server failed serving %s", client_address)

    def close_open_connections(self) -> None:
        with self._open_lock:
            for sock in list(self._open):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class RunningServer:
    """A server running in a background thread; a context manager that stops it on exit."""

    def __init__(self, server: _ThreadingServer):
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL to give a client, e.g. ``http://127.0.0.1:53211`` (no trailing slash);
        ``https://`` when served with TLS."""
        return f"{self._server.scheme}://{LOOPBACK}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        """Stop accepting, cut kept-alive connections, and release the port. Idempotent."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.close_open_connections()
        self._server.server_close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_in_thread(
    app: WSGIApp, port: int = 0, ssl_context: ssl.SSLContext | None = None
) -> RunningServer:
    """Serve ``app`` on 127.0.0.1 (``port=0``: any free port) from a background thread;
    over TLS with ``ssl_context``."""
    return RunningServer(_ThreadingServer(app, port, ssl_context))


def serve_preferring(
    app: WSGIApp, port: int, ssl_context: ssl.SSLContext | None = None
) -> RunningServer:
    """Serve ``app`` on ``port`` when it is free, else on any free port: for a client that is
    handed the URL, the same port from one run to the next is a convenience, not a need."""
    try:
        return serve_in_thread(app, port, ssl_context)
    except OSError:
        return serve_in_thread(app, 0, ssl_context)
