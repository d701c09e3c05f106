"""The package as a user installs it: the sdist and the wheel are built (``python -m build``: the wheel
is made from the sdist, so both are checked), the wheel is installed into a fresh virtual environment
outside the repository, and the commands run from a folder that is not the checkout — build on a copy
of the demo corpus, validate, a canned query by name, export to GEXF, and the README's Dask route (a
scheduler and one worker started from the installed package).

Installing pulls the dependencies from the package registry (or pip's cache, warm after the test
install); where the registry cannot be reached the tests are skipped, saying so."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from zhengji_kg.cli import main

from .conftest import DEMO

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parent.parent
# what the program reads at run time, as (folder in the repository, folder in the package, pattern)
RUN_TIME_FILES = [("ontology", "ontology", "*.yaml"), ("ontology", "ontology", "*.ttl"), ("queries", "queries", "*.rq")]
# what a build of the package must not see: installs, caches and outputs of this checkout (a stale
# *.egg-info/SOURCES.txt, for one, would put files into the sdist that the package data no longer names)
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "*.egg-info", "node_modules", "output", "build", "dist", "__pycache__", ".*_cache",
    ".hypothesis", "corpus-*", "out-*",
)  # fmt: skip
UNREACHABLE = ("NewConnectionError", "Temporary failure in name resolution", "Network is unreachable", "timed out")


def _run(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def _expected_files() -> dict[str, bytes]:
    files = {"templates/graph.html": (ROOT / "src" / "zhengji_kg" / "templates" / "graph.html").read_bytes()}
    for folder, packaged, pattern in RUN_TIME_FILES:
        for p in sorted((ROOT / folder).glob(pattern)):
            files[f"{packaged}/{p.name}"] = p.read_bytes()
    return files


class Installed:
    """A wheel built from this checkout and installed (with the dask extra) into a virtual environment
    of its own, and the environment to run its commands in."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.dist = base / "dist"
        self.venv = base / "venv"
        self.bin = self.venv / "bin"
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
        env.update(
            PATH=f"{self.bin}{os.pathsep}{env.get('PATH', '')}",
            PYTHONNOUSERSITE="1",
            XDG_CACHE_HOME=str(base / "cache"),  # the build cache of this environment only
            VIRTUAL_ENV=str(self.venv),
        )
        self.env = env

    def make(self) -> None:
        source = self.base / "source"
        shutil.copytree(ROOT, source, symlinks=True, ignore=NOT_SOURCE)
        built = _run([sys.executable, "-m", "build", "--outdir", str(self.dist), str(source)], os.environ, self.base)
        if built.returncode != 0 and any(s in built.stdout + built.stderr for s in UNREACHABLE):
            pytest.skip("the package registry is unreachable: cannot fetch setuptools to build the wheel")
        assert built.returncode == 0, (built.stdout + built.stderr)[-3000:]
        made = _run([sys.executable, "-m", "venv", str(self.venv)], os.environ, self.base)
        assert made.returncode == 0, made.stderr
        pip = [str(self.bin / "python"), "-m", "pip", "install", "-q", f"{self.wheel}[dask]"]
        installed = _run(pip, self.env, self.base, timeout=900)
        if installed.returncode != 0 and any(s in installed.stdout + installed.stderr for s in UNREACHABLE):
            pytest.skip("the package registry is unreachable: cannot install the wheel's dependencies")
        assert installed.returncode == 0, (installed.stdout + installed.stderr)[-3000:]

    @property
    def wheel(self) -> Path:
        return next(self.dist.glob("zhengji_kg-*.whl"))

    @property
    def sdist(self) -> Path:
        return next(self.dist.glob("zhengji_kg-*.tar.gz"))

    def run(self, *args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
        return _run([str(self.bin / args[0]), *args[1:]], self.env, cwd, timeout)

    def python(self, code: str, cwd: Path) -> str:
        res = _run([str(self.bin / "python"), "-c", code], self.env, cwd)
        assert res.returncode == 0, res.stderr
        return res.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    assert not base.resolve().is_relative_to(ROOT)
    inst = Installed(base)
    inst.make()
    return inst


@pytest.fixture(scope="module")
def work(installed: Installed) -> Path:
    """A folder of the user's own, holding a copy of the demo corpus."""
    folder = installed.base / "my-corpus"
    shutil.copytree(ROOT / "corpus", folder / "docs")
    return folder


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> bytes:
    """The demo graph built from the checkout, to compare the installed package's builds with."""
    out = tmp_path_factory.mktemp("reference")
    res = CliRunner().invoke(main, ["build", str(ROOT / "corpus"), "-o", str(out), "--no-cache", "-q"])
    assert res.exit_code == 0, res.output
    return (out / "graph.ttl").read_bytes()


def test_wheel_and_sdist_carry_every_file_read_at_run_time(installed: Installed) -> None:
    expected = _expected_files()
    with zipfile.ZipFile(installed.wheel) as whl:
        in_wheel = {n.removeprefix("zhengji_kg/"): whl.read(n) for n in whl.namelist() if n.startswith("zhengji_kg/")}
    with tarfile.open(installed.sdist) as sdist:
        prefix = sdist.getnames()[0].split("/")[0] + "/src/zhengji_kg/"
        in_sdist = {
            m.name.removeprefix(prefix): sdist.extractfile(m).read()
            for m in sdist.getmembers()
            if m.name.startswith(prefix) and m.isfile()
        }
    for name, data in expected.items():
        assert in_wheel.get(name) == data, f"the wheel lacks {name} or holds another version of it"
        assert in_sdist.get(name) == data, f"the sdist lacks {name} or holds another version of it"
    assert "ingest/readers/pdf.py" in in_wheel  # the reader modules are found by pkgutil in the package


def test_the_commands_run_from_the_installed_package(installed: Installed, work: Path, reference: bytes) -> None:
    where = installed.python("import zhengji_kg; print(zhengji_kg.__file__)", cwd=work).strip()
    assert Path(where).is_relative_to(installed.venv), where

    built = installed.run("zhengji-kg", "build", "docs", "-o", "out", cwd=work)
    assert built.returncode == 0, built.stdout + built.stderr
    assert f"documents: {DEMO} read, 0 skipped" in built.stdout
    assert (work / "out" / "graph.ttl").read_bytes() == reference  # the same rules, lexicon and code

    valid = installed.run("zhengji-kg", "validate", "out", cwd=work)
    assert valid.returncode == 0 and "conforms" in valid.stdout, valid.stdout + valid.stderr

    listed = installed.run("zhengji-kg", "query", "--list", "--format", "tsv", cwd=work)
    assert listed.returncode == 0, listed.stderr
    assert "where-practiced\tWhere each mechanism is practiced" in listed.stdout

    answer = installed.run("zhengji-kg", "query", "where-practiced", "--graph", "out", "--format", "csv", cwd=work)
    assert answer.returncode == 0, answer.stderr
    rows = answer.stdout.splitlines()
    assert rows[0] == "mechanism,province,places" and len(rows) > 3

    exported = installed.run("zhengji-kg", "export", "--to", "gexf", "--graph", "out", cwd=work)
    assert exported.returncode == 0, exported.stderr
    g = nx.read_gexf(work / "out" / "graph.gexf")
    assert g.number_of_nodes() > 50 and g.number_of_edges() > 50


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the scheduler stopped: {log.read_text()[-2000:]}"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"the scheduler did not listen within {seconds} s: {log.read_text()[-2000:]}")


def test_the_readme_dask_route(installed: Installed, work: Path, reference: bytes) -> None:
    """README: `dask scheduler`, `dask worker tcp://HOST:8786` where zhengji-kg[dask] is installed, then
    `zhengji-kg build DOCS -o OUT --executor dask --scheduler tcp://HOST:8786` — all from the wheel."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    elsewhere = installed.base / "cluster"  # the cluster's processes run in a folder of their own
    elsewhere.mkdir(exist_ok=True)
    logs = [elsewhere / "scheduler.log", elsewhere / "worker.log"]
    procs: list[subprocess.Popen] = []
    try:
        with logs[0].open("w") as log:
            procs.append(
                subprocess.Popen(
                    [str(installed.bin / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port)],
                    cwd=elsewhere, env=installed.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                )
            )  # fmt: skip
        _wait_for_port(port, procs[0], logs[0])
        with logs[1].open("w") as log:
            procs.append(
                subprocess.Popen(
                    [str(installed.bin / "dask"), "worker", address],
                    cwd=elsewhere, env=installed.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                )
            )  # fmt: skip
        installed.python(f"from distributed import Client; Client({address!r}).wait_for_workers(1, timeout=120)", work)

        built = installed.run(
            "zhengji-kg", "build", "docs", "-o", "out-dask", "--no-cache", "--executor", "dask",
            "--scheduler", address, cwd=work,
        )  # fmt: skip
        assert built.returncode == 0, built.stdout + built.stderr
        assert (work / "out-dask" / "graph.ttl").read_bytes() == reference

        # the documents were extracted on that worker, by the installed package
        seen = json.loads(
            installed.python(
                "import json; from distributed import Client\n"
                f"c = Client({address!r})\n"
                "counts = c.run_on_scheduler(lambda dask_scheduler: {k: dict(p.state_counts)"
                " for k, p in dask_scheduler.task_prefixes.items()})\n"
                "files = c.run(lambda: __import__('zhengji_kg').__file__)\n"
                "print(json.dumps({'counts': counts, 'files': list(files.values())}))",
                work,
            )
        )
        assert seen["counts"]["process_source"].get("memory") == DEMO, seen["counts"]
        assert len(seen["files"]) == 1 and Path(seen["files"][0]).is_relative_to(installed.venv), seen["files"]
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                os.killpg(proc.pid, 15)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait()
