"""zhengji-kg serve: a real SPARQL 1.1 Protocol endpoint (Oxigraph's server behind a small front), queried over
HTTP, with the prefixes of ``zhengji-kg query`` predeclared, and stopped by signals without leaving a server or a
store behind. Every test runs the command as a real process and kills what it started in a ``finally``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

from zhengji_kg.outputs.query import PREFIXES

psutil = pytest.importorskip("psutil")  # dask[distributed], in the test extra, requires it

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "zhengji_kg"]
STOPS = [signal.SIGTERM, signal.SIGINT, signal.SIGHUP]
ENV = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _until(cond: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def _stores(tmpdir: Path) -> list[Path]:
    return sorted(tmpdir.glob("zhengji-kg-store-*"))


def _stop(proc: subprocess.Popen, sig: signal.Signals) -> None:
    """SIGTERM as ``kill PID`` sends it; SIGINT and SIGHUP to the whole process group, as a terminal sends
    Ctrl-C and its hangup (the engine runs in a session of its own: the command stops it, in order)."""
    if sig == signal.SIGTERM:
        proc.send_signal(sig)
    else:
        os.killpg(proc.pid, sig)


def _default_signals() -> None:
    """The child starts with the stop signals at their defaults, even if this test run ignores one (``&``)."""
    for sig in STOPS:
        signal.signal(sig, signal.SIG_DFL)


def _gone(procs: list, seconds: float = 10) -> list:
    """Those of ``procs`` still running after ``seconds`` (a zombie waiting for init to reap it runs no more)."""

    def running(p) -> bool:
        try:
            return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    _until(lambda: not any(running(p) for p in procs), seconds)
    return [p for p in procs if running(p)]


@dataclass
class Server:
    proc: subprocess.Popen
    url: str  # http://127.0.0.1:PORT
    port: int
    tmpdir: Path  # the TMPDIR the command ran with
    children: list  # psutil.Process of every descendant, recorded once ready
    engine_port: int  # where the front forwards to


@contextmanager
def _started(args: list[str], tmp: Path) -> Iterator[tuple[subprocess.Popen, Path, list]]:
    """Start ``args`` with TMPDIR=tmp/tmpdir and stderr in a file; on the way out kill it and every descendant
    recorded in the list it yields (psutil's kill checks that the pid is still the same process)."""
    tmpdir = tmp / "tmpdir"
    tmpdir.mkdir()
    log = tmp / "serve.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            args,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=dict(ENV, TMPDIR=str(tmpdir)),
            preexec_fn=_default_signals,
            process_group=0,  # its own group, which _stop may signal as a terminal does
        )
    recorded: list = []
    try:
        yield proc, log, recorded
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=20)
        for child in recorded:
            with suppress(psutil.NoSuchProcess):
                child.kill()


@contextmanager
def serving(graph: Path, tmp: Path) -> Iterator[Server]:
    port = _free_port()
    with _started([*CLI, "serve", str(graph), "--port", str(port)], tmp) as (proc, log, recorded):
        ready = _until(lambda: "SPARQL endpoint" in log.read_text() or proc.poll() is not None, 60)
        text = log.read_text()
        assert ready and proc.poll() is None, f"serve did not start: {text}"
        assert f"http://127.0.0.1:{port}/query" in text
        recorded.extend(psutil.Process(proc.pid).children(recursive=True))
        engines = [c for c in recorded if "serve-read-only" in c.cmdline()]
        assert len(engines) == 1, recorded
        engine_port = int(engines[0].cmdline()[-1].rsplit(":", 1)[1])
        yield Server(proc, f"http://127.0.0.1:{port}", port, tmp / "tmpdir", list(recorded), engine_port)


@pytest.fixture(scope="module")
def graph_dir(tmp_path_factory) -> Path:
    from zhengji_kg.outputs.serve import ServeError, oxigraph_binary

    try:
        oxigraph_binary()
    except ServeError as exc:
        pytest.skip(str(exc))
    out = tmp_path_factory.mktemp("kg")
    subprocess.run([*CLI, "build", str(ROOT / "corpus"), "-o", str(out), "-q"], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def endpoint(graph_dir: Path, tmp_path_factory) -> Iterator[str]:
    with serving(graph_dir, tmp_path_factory.mktemp("serve")) as srv:
        yield srv.url


def _sparql(endpoint: str, query: str, method: str = "GET"):
    from SPARQLWrapper import JSON, POST, POSTDIRECTLY, SPARQLWrapper

    sw = SPARQLWrapper(endpoint + "/query")
    sw.setReturnFormat(JSON)
    sw.setQuery(query)
    if method != "GET":
        sw.setMethod(POST)
        sw.setRequestMethod(POSTDIRECTLY if method == "POSTDIRECTLY" else "urlencoded")
    return sw.query().convert()


def test_select_ask_construct(endpoint: str) -> None:
    from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

    sw = SPARQLWrapper(endpoint + "/query")
    sw.setReturnFormat(JSON)
    sw.setQuery(
        'PREFIX skos: <http://www.w3.org/2004/02/skos/core#> SELECT ?p WHERE { ?p skos:prefLabel "天津市和平区"@zh }'
    )
    rows = sw.query().convert()["results"]["bindings"]
    assert [r["p"]["value"] for r in rows] == ["https://w3id.org/zhengji-kg/id/place/天津市和平区"]
    sw.setQuery("PREFIX zj: <https://w3id.org/zhengji-kg/ontology#> ASK { ?m zj:implements ?c }")
    assert sw.query().convert()["boolean"] is True
    sw.setQuery(
        "PREFIX zj: <https://w3id.org/zhengji-kg/ontology#> CONSTRUCT { ?m zj:implements ?c } "
        "WHERE { ?m zj:implements ?c }"
    )
    sw.setReturnFormat(TURTLE)
    from rdflib import Graph

    data = sw.query().convert()
    assert len(Graph().parse(data=data, format="turtle")) >= 5


@pytest.mark.parametrize("method", ["GET", "POST", "POSTDIRECTLY"])
def test_prefixes_predeclared(endpoint: str, method: str) -> None:
    """zj: and skos: without a PREFIX line, by GET, POST of a form and POST of the query itself."""
    rows = _sparql(endpoint, 'SELECT ?p WHERE { ?p skos:prefLabel "天津市和平区"@zh }', method)["results"]["bindings"]
    assert [r["p"]["value"] for r in rows] == ["https://w3id.org/zhengji-kg/id/place/天津市和平区"]
    assert _sparql(endpoint, "ASK { ?m zj:implements ?c }", method)["boolean"] is True


@pytest.mark.parametrize("method", ["GET", "POSTDIRECTLY"])
def test_own_declaration_wins(endpoint: str, method: str) -> None:
    """A query's own PREFIX zj: means what it says, as with zhengji-kg query."""
    assert _sparql(endpoint, "PREFIX zj: <urn:other#> ASK { ?m zj:implements ?c }", method)["boolean"] is False
    own = "PREFIX zj: <https://w3id.org/zhengji-kg/id/> ASK { zj:place\\/天津市和平区 ?p ?o }"
    assert _sparql(endpoint, own, method)["boolean"] is True


def test_bad_query_names_the_prefixes(endpoint: str) -> None:
    req = urllib.request.Request(
        endpoint + "/query",
        data=b"SELECT * WHERE { ?s zj:p ?o ",
        headers={"Content-Type": "application/sparql-query"},
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code == 400
    body = err.value.read().decode()
    assert body.startswith("error at 1:"), body  # the line of the query as sent, not behind the prefixes
    for line in PREFIXES.strip().splitlines():
        assert line in body


def _raw(endpoint: str, request: bytes) -> bytes:
    """Send ``request`` as it is (what curl -d sends, or a broken client) and read the whole answer."""
    host, port = urllib.parse.urlsplit(endpoint).hostname, urllib.parse.urlsplit(endpoint).port
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(request)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_a_form_in_raw_utf8_is_read_as_sent(endpoint: str) -> None:
    """`curl -d 'query=…天津市和平区…'` sends the UTF-8 bytes themselves, unescaped: the same answer as escaped."""
    query = 'SELECT ?p WHERE { ?p skos:prefLabel "天津市和平区"@zh }'.encode()
    form = b"query=" + query
    post = (
        b"POST /query HTTP/1.1\r\nHost: x\r\nAccept: text/csv\r\nConnection: close\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s" % (len(form), form)
    )
    get = b"GET /query?query=%s HTTP/1.1\r\nHost: x\r\nAccept: text/csv\r\nConnection: close\r\n\r\n" % query.replace(
        b" ", b"+"
    )
    for request in (post, get):
        answer = _raw(endpoint, request)
        assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
        assert "https://w3id.org/zhengji-kg/id/place/天津市和平区".encode() in answer, answer[-300:]


def test_broken_requests_get_an_answer(endpoint: str) -> None:
    negative = b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\nConnection: close\r\n\r\n"
    assert b" 400 " in _raw(endpoint, negative).split(b"\r\n")[0]
    charset = (
        b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query; charset=no-such\r\n"
        b"Content-Length: 4\r\nConnection: close\r\n\r\nASK{}"
    )
    answer = _raw(endpoint, charset)
    assert b" 400 " in answer.split(b"\r\n")[0] and b"unknown charset" in answer


def test_answer_passed_as_it_comes(endpoint: str) -> None:
    """Status, content type (from Accept) and body come back from the engine; other paths pass unchanged."""
    q = urllib.parse.urlencode({"query": "SELECT ?c WHERE { ?m zj:implements ?c } ORDER BY ?c LIMIT 2"})
    req = urllib.request.Request(endpoint + "/query?" + q, headers={"Accept": "text/csv"})
    with urllib.request.urlopen(req, timeout=10) as res:
        assert res.status == 200
        assert res.headers.get_content_type() == "text/csv"
        assert res.read().decode().splitlines()[0] == "c"
    with urllib.request.urlopen(endpoint + "/query", timeout=10) as res:  # the service description
        assert f"<{endpoint}/query>" in res.read().decode()


def test_update_refused(endpoint: str) -> None:
    req = urllib.request.Request(
        endpoint + "/update",
        data=b"INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        headers={"Content-Type": "application/sparql-update"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code in (403, 405)


@pytest.mark.parametrize("sig", STOPS, ids=lambda s: s.name)
def test_signal_stops_everything(graph_dir: Path, tmp_path: Path, sig: signal.Signals) -> None:
    """The documented exit status 0, no child left, neither port answering, no store in TMPDIR."""
    with serving(graph_dir, tmp_path) as srv:
        assert len(_stores(srv.tmpdir)) == 1
        assert _answers(srv.port) and _answers(srv.engine_port)
        _stop(srv.proc, sig)
        assert srv.proc.wait(timeout=15) == 0
        assert _gone(srv.children, 5) == []
        assert not _answers(srv.port) and not _answers(srv.engine_port)
        assert _stores(srv.tmpdir) == []


def test_sigkill_ends_the_engine(graph_dir: Path, tmp_path: Path) -> None:
    """No handler runs on SIGKILL: the parent-death signal ends the engine (its store stays, nothing can
    remove it)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the parent-death signal is Linux's")
    with serving(graph_dir, tmp_path) as srv:
        srv.proc.kill()
        srv.proc.wait(timeout=10)
        assert _gone(srv.children, 10) == []
        assert _until(lambda: not _answers(srv.engine_port), 5)


def _cmdline(p) -> list[str]:
    """A process's command line, or none for one that has just ended (a zombie not yet reaped)."""
    try:
        return p.cmdline()
    except psutil.Error:
        return []


@pytest.mark.parametrize("sig", STOPS, ids=lambda s: s.name)
def test_signal_during_load(tmp_path: Path, sig: signal.Signals) -> None:
    """A signal while the graph loads ends the loader and removes the store. The graph is a FIFO nobody
    writes, so the load waits for as long as the test needs (the command takes only files: the API serves)."""
    from zhengji_kg.outputs.serve import ServeError, oxigraph_binary

    try:
        oxigraph_binary()
    except ServeError as exc:
        pytest.skip(str(exc))
    fifo = tmp_path / "graph.nt"
    os.mkfifo(fifo)
    script = (
        "import sys; from pathlib import Path; from zhengji_kg.outputs.serve import serve; "
        "serve(Path(sys.argv[1]), port=0)"
    )
    with _started([sys.executable, "-c", script, str(fifo)], tmp_path) as (proc, log, recorded):

        def loading() -> bool:
            recorded[:] = psutil.Process(proc.pid).children(recursive=True)
            return any("load" in _cmdline(c) for c in recorded) or proc.poll() is not None

        assert _until(loading, 30) and proc.poll() is None, log.read_text()
        assert len(_stores(tmp_path / "tmpdir")) == 1
        _stop(proc, sig)
        assert proc.wait(timeout=15) == 0, log.read_text()
        assert _gone(list(recorded), 5) == []
        assert _stores(tmp_path / "tmpdir") == []


def test_port_in_use_said_before_loading(graph_dir: Path, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with _started([*CLI, "serve", str(graph_dir), "--port", str(port)], tmp_path) as (proc, log, _):
            assert proc.wait(timeout=20) == 1
            assert "cannot listen on 127.0.0.1" in log.read_text()
            assert _stores(tmp_path / "tmpdir") == []


def test_help_says_prefixes_and_exit_status() -> None:
    from click.testing import CliRunner

    from zhengji_kg.cli import main

    res = CliRunner().invoke(main, ["serve", "--help"])
    assert "[default: 127.0.0.1]" in res.output
    for line in PREFIXES.strip().splitlines():
        _, name, iri = line.split()
        assert f"{name:8} {iri.strip('<>')}" in res.output
    assert "SIGTERM or SIGHUP" in res.output and "status is 0" in " ".join(res.output.split())


def test_a_build_with_its_store_is_served_without_loading(tmp_path: Path) -> None:
    """``build --store``: the engine serves the build's own store (read-only), nothing is loaded into
    TMPDIR, and the store is the build's still after the server stopped."""
    from zhengji_kg.outputs.serve import ServeError, oxigraph_binary

    try:
        oxigraph_binary()
    except ServeError as exc:
        pytest.skip(str(exc))
    out = tmp_path / "kg"
    subprocess.run([*CLI, "build", str(ROOT / "corpus"), "-o", str(out), "-q", "--store"], check=True)
    store = out / "graph.oxigraph"
    stamp = (store / "zhengji-kg-stamp.json").read_bytes()
    with serving(out, tmp_path) as srv:
        [engine] = [c for c in srv.children if "serve-read-only" in c.cmdline()]
        cmd = engine.cmdline()
        assert cmd[cmd.index("--location") + 1] == str(store)
        assert [list(p.iterdir()) for p in _stores(srv.tmpdir)] == [[]]  # its temporary folder stays empty
        rows = _sparql(srv.url, 'SELECT ?p WHERE { ?p skos:prefLabel "天津市和平区"@zh }', "GET")["results"]["bindings"]
        assert [r["p"]["value"] for r in rows] == ["https://w3id.org/zhengji-kg/id/place/天津市和平区"]
        _stop(srv.proc, signal.SIGTERM)
        assert srv.proc.wait(timeout=15) == 0
    assert (store / "zhengji-kg-stamp.json").read_bytes() == stamp
    from zhengji_kg.outputs.store import fresh_store

    assert fresh_store(out / "graph.ttl") == store
