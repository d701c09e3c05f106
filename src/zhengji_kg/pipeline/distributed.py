"""Per-document extraction as a map over Dask distributed workers; the merge stays on the client.

Each task carries the file's bytes (``SourceFile``), not its path, so workers need no shared file
system; the rule set is scattered to every worker once. Results come back in corpus order, so the
graph is byte-identical to a local build.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from zhengji_kg.base.rules import RuleSet
from zhengji_kg.ingest import SourceFile
from zhengji_kg.pipeline.worker import DocResult, internal_error, process_source

WINDOW = 512  # tasks in flight at once: enough to keep a cluster busy, bounded client memory


def dask_results(
    sources: list[SourceFile], rules: RuleSet, scheduler: Any, *, turtle: bool, keep_text: bool
) -> Iterator[Any]:
    """Yield ``process_source`` results for ``sources`` in order, computed on the cluster at
    ``scheduler`` (an address such as ``tcp://10.0.0.5:8786``, a ``Client`` or a cluster object); with
    no scheduler, on a ``LocalCluster`` of this machine."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError("--executor dask needs Dask: pip install 'zhengji-kg[dask]'") from exc

    own_cluster = None
    if isinstance(scheduler, Client):
        client, own_client = scheduler, False
    else:
        if scheduler is None:
            own_cluster = LocalCluster(processes=True, threads_per_worker=1, dashboard_address=None)
            scheduler = own_cluster
        try:
            client, own_client = Client(scheduler, timeout="20s"), True
        except OSError as exc:
            raise RuntimeError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
    try:
        rules_future = client.scatter(rules, broadcast=True, hash=False)
        pending: list[Any] = []
        it = iter(sources)
        while True:
            while len(pending) < WINDOW:
                src = next(it, None)
                if src is None:
                    break
                task = client.submit(process_source, src, rules_future, turtle, keep_text, pure=False, retries=1)
                pending.append((task, src))
            if not pending:
                break
            fut, src = pending.pop(0)
            try:
                result = fut.result()
            except Exception as exc:  # the task failed twice (a worker died on it, say): this file only
                result = DocResult(src.name, error=internal_error("extracting on the cluster", exc))
            yield result
            fut.release()
    finally:
        if own_client:
            client.close()
        if own_cluster is not None:
            own_cluster.close()
