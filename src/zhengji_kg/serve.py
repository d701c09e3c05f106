"""serve: a read-only SPARQL 1.1 Protocol endpoint over a built graph, run by Oxigraph's own server.

The graph is loaded into a temporary Oxigraph store, then ``oxigraph serve-read-only`` answers at
``http://HOST:PORT/query`` (SELECT, ASK, CONSTRUCT, DESCRIBE); updates are refused by the server itself.
The store is removed when the server stops.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path


class ServeError(RuntimeError):
    pass


def oxigraph_binary() -> str:
    """The ``oxigraph`` executable installed with the ``oxigraph`` package (beside this Python, or on PATH)."""
    here = Path(sys.executable).parent / "oxigraph"
    if here.is_file():
        return str(here)
    found = shutil.which("oxigraph")
    if found:
        return found
    raise ServeError("the oxigraph server is not installed (pip install oxigraph)")


def load(graph_file: Path, location: Path) -> None:
    res = subprocess.run(
        [oxigraph_binary(), "load", "--location", str(location), "--file", str(graph_file)],
        capture_output=True,
        text=True,
    )
    if res.returncode != 0:
        raise ServeError(f"{graph_file}: oxigraph could not load it: {res.stderr.strip()[:300]}")


def _wait_for_port(host: str, port: int, proc: subprocess.Popen, seconds: float = 30.0) -> None:
    import socket
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServeError(f"the oxigraph server exited at start (code {proc.returncode}); is port {port} in use?")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise ServeError(f"the oxigraph server did not answer on {host}:{port} within {seconds:.0f} s")


def serve(
    graph_file: Path, host: str = "127.0.0.1", port: int = 7878, on_ready: Callable[[str], None] | None = None
) -> int:
    """Load ``graph_file`` and serve it until interrupted; returns the server's exit code."""
    with tempfile.TemporaryDirectory(prefix="zhengji-kg-store-") as tmp:
        load(graph_file, Path(tmp))
        proc = subprocess.Popen([oxigraph_binary(), "serve-read-only", "--location", tmp, "--bind", f"{host}:{port}"])
        try:
            _wait_for_port(host, port, proc)
            if on_ready:
                on_ready(f"http://{'[' + host + ']' if ':' in host else host}:{port}/query")
            return proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            return proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
