"""zhengji-kg serve: a real SPARQL 1.1 Protocol endpoint (Oxigraph's server), queried over HTTP."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-c", "from zhengji_kg.cli import main; main()"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    from zhengji_kg.serve import ServeError, oxigraph_binary

    try:
        oxigraph_binary()
    except ServeError as exc:
        pytest.skip(str(exc))
    out = tmp_path_factory.mktemp("kg")
    subprocess.run([*CLI, "build", str(ROOT / "corpus"), "-o", str(out), "-q"], check=True, capture_output=True)
    port = _free_port()
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.Popen([*CLI, "serve", str(out), "--port", str(port)], stderr=subprocess.PIPE, text=True, env=env)
    line = ""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "SPARQL endpoint" not in line:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            pytest.fail(f"serve exited with {proc.returncode}")
    assert f"http://127.0.0.1:{port}/query" in line
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)


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


def test_update_refused(endpoint: str) -> None:
    import urllib.error
    import urllib.request

    req = urllib.request.Request(
        endpoint + "/update",
        data=b"INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        headers={"Content-Type": "application/sparql-update"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code in (403, 405)


def test_bound_to_localhost_by_default() -> None:
    from click.testing import CliRunner

    from zhengji_kg.cli import main

    res = CliRunner().invoke(main, ["serve", "--help"])
    assert "[default: 127.0.0.1]" in res.output
    assert shutil.which("true")
