"""serve: a read-only SPARQL 1.1 Protocol endpoint over a built graph, answered by Oxigraph's own server.

The graph is loaded into a temporary Oxigraph store (or, for a build's graph.ttl with its store beside it
— ``build --store`` —, that store is used as it is) and ``oxigraph serve-read-only`` answers over it
(SELECT, ASK, CONSTRUCT, DESCRIBE; updates are refused by the engine itself). That server has no option
for default prefixes, so a small front in Python listens on HOST:PORT and forwards every request to it
(bound on 127.0.0.1 at a free port), putting the PREFIX lines ``zhengji-kg query`` predeclares before the
query sent to ``/query``: a query that runs with ``zhengji-kg query`` runs here. Oxigraph lets a later
PREFIX of the same name win, so a query's own declaration overrides the predeclared one, as in ``query``.

Nothing is left behind: SIGTERM, SIGINT and SIGHUP stop the engine (or the loader) and remove the
temporary store (a build's own store is the build's: it stays);
on Linux the children also get a parent-death signal, so even a SIGKILL of this process ends them (the
store of a killed process stays in the temporary folder, nothing can remove it then).
"""

from __future__ import annotations

import http.client
import re
import signal
import socket
import socketserver
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import IO, Any
from urllib.parse import parse_qsl, urlencode

from zhengji_kg.outputs.query import PREFIXES
from zhengji_kg.outputs.store import StoreError, fresh_store, log_tail, start_oxigraph
from zhengji_kg.outputs.store import oxigraph_binary as store_binary

STORE_PREFIX = "zhengji-kg-store-"
MAX_BODY = 64 << 20  # a request body larger than this is refused (413): a query is never that large
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
PREFIX_NOTE = "\n\nThis endpoint predeclares these prefixes (a PREFIX of the same name in the query wins):\n" + PREFIXES
_PREFIX_LINES = PREFIXES.count("\n")
# headers that belong to one connection, not to the request or answer passed on
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding"}
    | {"upgrade", "expect"}
)


class ServeError(RuntimeError):
    pass


def oxigraph_binary() -> str:
    """The ``oxigraph`` executable installed with the ``oxigraph`` package (``store.oxigraph_binary``)."""
    try:
        return store_binary()
    except StoreError as exc:
        raise ServeError(str(exc)) from exc


class _StopSignals:
    """Catch SIGTERM, SIGINT and SIGHUP while serving, and put the previous handlers back afterwards.

    The first signal is only recorded, not raised: the waits poll it, so the children are stopped and the
    store removed at known points of the code rather than wherever the signal lands (an exception raised
    inside ``Popen`` could leave a child nobody knows about). A signal ignored when serve starts (``nohup``,
    ``&`` in a script) stays ignored. Outside the main thread Python cannot install handlers: nothing is
    caught then."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _StopSignals:
        if threading.current_thread() is threading.main_thread():
            for sig in STOP_SIGNALS:
                if signal.getsignal(sig) != signal.SIG_IGN:
                    self._previous[sig] = signal.signal(sig, self._record)
        return self

    def _record(self, signum: int, frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signum

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)


@contextmanager
def _child(args: list[str], log: IO[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``args`` in its own session (a Ctrl-C at the terminal reaches this process only, which stops the
    child itself), bound to this process's life; stop it on the way out, within a few seconds."""
    proc = start_oxigraph(args, log)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait(
    proc: subprocess.Popen[bytes], stop: _StopSignals, ready: Callable[[], bool] | None = None, seconds: float = 1e9
) -> bool:
    """Poll until ``proc`` ends, a stop signal arrives or ``ready()`` holds (True), or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while proc.poll() is None and stop.received is None:
        if ready and ready():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def load(graph_file: Path, location: Path, stop: _StopSignals | None = None) -> None:
    """Load ``graph_file`` into the Oxigraph store at ``location``; a stop signal ends the loader."""
    stop = stop or _StopSignals()
    with tempfile.TemporaryFile() as log:
        with _child([oxigraph_binary(), "load", "--location", str(location), "--file", str(graph_file)], log) as proc:
            _wait(proc, stop)
        if stop.received is None and proc.returncode != 0:
            raise ServeError(f"{graph_file}: oxigraph could not load it: {log_tail(log)}")


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _with_prefixes(query: str) -> str:
    return PREFIXES + query


def _form_with_prefixes(form: bytes) -> bytes:
    """An urlencoded form (query string or body) with the prefixes put before its ``query``.

    A form is bytes: percent-escapes of UTF-8, or — as ``curl -d 'query=…天津…'`` sends it — the UTF-8
    bytes themselves. Both are read as UTF-8 (other bytes passed through as they are) and written back
    percent-encoded, so that the engine reads the same characters the client sent."""
    text = form.decode("utf-8", "surrogateescape")
    pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="surrogateescape")
    if not any(k == "query" for k, _ in pairs):
        return form
    fields = [(k, _with_prefixes(v) if k == "query" else v) for k, v in pairs]
    return urlencode(fields, encoding="utf-8", errors="surrogateescape").encode("ascii")


def _explain(message: str) -> str:
    """The engine's message for a bad query, with its line counted in the query as sent, and the
    predeclared prefixes named (an undeclared prefix is the usual mistake)."""
    m = re.match(r"error at (\d+):", message)
    if m and int(m.group(1)) > _PREFIX_LINES:
        message = f"error at {int(m.group(1)) - _PREFIX_LINES}:" + message[m.end() :]
    return message.rstrip() + PREFIX_NOTE


class _Front(ThreadingHTTPServer):
    """The front bound on HOST:PORT (IPv6 if HOST has a colon, else IPv4: ``localhost`` is 127.0.0.1, which
    every client tries); ``engine`` is the engine's port."""

    daemon_threads = True
    engine = 0

    def __init__(self, host: str, port: int) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), _Forward)

    def server_bind(self) -> None:  # HTTPServer's asks DNS for the host's name, slow on some networks
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])


class _Forward(BaseHTTPRequestHandler):
    """Pass one request to the engine and its answer back as it comes (status, content type, body).

    HTTP/1.1 so that a client's ``Expect: 100-continue`` is answered, but one request per connection: the
    answer ends when the connection closes, whatever its length."""

    protocol_version = "HTTP/1.1"
    server: _Front
    _headers_sent = False

    def do_GET(self) -> None:
        self._forward()

    do_POST = do_HEAD = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet, as Oxigraph's server is: no line per request."""

    def _forward(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.send_error(411, "send the request with a Content-Length")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.send_error(400, "bad Content-Length")
            return
        if length > MAX_BODY:
            self.send_error(413, f"a request body of at most {MAX_BODY >> 20} MB")
            return
        body: bytes | None = self.rfile.read(length) if length or self.command in ("POST", "PUT", "PATCH") else None
        path, sep, qs = self.path.partition("?")  # http.server gives the request line's bytes as latin-1
        is_query = path == "/query"
        if is_query:
            qs = _form_with_prefixes(qs.encode("latin-1")).decode("latin-1")
            kind = self.headers.get_content_type()
            if body is not None and kind == "application/x-www-form-urlencoded":
                body = _form_with_prefixes(body)
            elif body is not None and kind == "application/sparql-query":
                charset = self.headers.get_content_charset("utf-8")
                try:
                    text = body.decode(charset, "surrogateescape")
                except LookupError:
                    self.send_error(400, f"unknown charset {charset}")
                    return
                body = _with_prefixes(text).encode(charset, "surrogateescape")
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP | {"content-length"}}
        engine = http.client.HTTPConnection("127.0.0.1", self.server.engine)
        try:
            engine.request(self.command, path + sep + qs, body=body, headers=headers)
            answer = engine.getresponse()
            if is_query and answer.status == 400:
                self._send(
                    400,
                    [("Content-Type", "text/plain; charset=utf-8")],
                    [_explain(answer.read().decode("utf-8", "replace"))],
                )
                return
            passed = [(k, v) for k, v in answer.getheaders() if k.lower() not in _HOP_BY_HOP | {"server", "date"}]
            self._send(answer.status, passed, iter(lambda: answer.read1(65536), b""))
        except (BrokenPipeError, ConnectionResetError):  # the client left
            pass
        except OSError as exc:
            if not self._headers_sent:
                self.send_error(502, f"the SPARQL engine did not answer: {exc}")
        finally:
            engine.close()

    def _send(self, status: int, headers: list[tuple[str, str]], chunks: Iterator[bytes] | list[str]) -> None:
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Connection", "close")
        self.end_headers()
        self._headers_sent = True
        for chunk in chunks:
            self.wfile.write(chunk.encode() if isinstance(chunk, str) else chunk)


def serve(
    graph_file: Path, host: str = "127.0.0.1", port: int = 7878, on_ready: Callable[[str], None] | None = None
) -> int:
    """Load ``graph_file`` and serve it at ``http://HOST:PORT/query`` until SIGTERM, SIGINT or SIGHUP; then
    stop the engine, remove the store and return 0, the exit status of a clean stop (services are stopped
    by signals). ServeError if the port is taken, the graph does not load or the engine stops by itself.

    A build's graph.ttl whose store is beside it (``build --store``, ``outputs.store``) is not loaded: the
    engine serves that store, read-only, and the temporary folder stays empty."""
    with _StopSignals() as stop:
        try:  # bound first: a taken port is said at once, not after loading a big graph
            front = _Front(host, port)
        except OSError as exc:
            raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
        with front, tempfile.TemporaryDirectory(prefix=STORE_PREFIX) as store, tempfile.TemporaryFile() as log:
            kept = fresh_store(graph_file)  # the build's own store (build --store): served as it is
            if kept is not None:
                store = str(kept)
            else:
                load(graph_file, Path(store), stop)
            if stop.received is not None:
                return 0
            front.engine = _free_port()
            args = [oxigraph_binary(), "serve-read-only", "--location", store, "--bind", f"127.0.0.1:{front.engine}"]
            with _child(args, log) as proc:
                if not _wait(proc, stop, ready=lambda: _answers(front.engine), seconds=30):
                    raise ServeError("the oxigraph server did not answer within 30 s")
                if stop.received is not None:
                    return 0
                if proc.poll() is not None:
                    raise ServeError(f"the oxigraph server exited at start (code {proc.returncode}): {log_tail(log)}")
                thread = threading.Thread(target=front.serve_forever, name="zhengji-kg-front", daemon=True)
                thread.start()
                try:
                    if on_ready:
                        on_ready(f"http://{'[' + host + ']' if ':' in host else host}:{front.server_port}/query")
                    _wait(proc, stop)
                finally:
                    front.shutdown()
                if stop.received is None:
                    raise ServeError(f"the oxigraph server stopped (exit code {proc.returncode}): {log_tail(log)}")
                return 0
