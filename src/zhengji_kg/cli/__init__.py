"""The ``zhengji-kg`` command: a thin layer of verbs over the Python API.

``app`` holds the group and what every command shares; each other module holds the commands of one kind —
``build``, those over a built graph (``graph``), those about the rules (``rules``) — added to the group here.
(The modules keep their names in the package: ``zhengji_kg.cli.build`` is the module, its command
``zhengji_kg.cli.build.build``.)
"""

from __future__ import annotations

from zhengji_kg.cli import build, graph, rules
from zhengji_kg.cli.app import EXIT_INTERRUPTED, EXIT_SKIPPED, main, run

for _command in (
    build.build,
    graph.validate,
    rules.evaluate,
    rules.train,
    graph.query,
    graph.diffusion,
    graph.export,
    rules.suggest,
    graph.serve,
    rules.explain,
):
    main.add_command(_command)

__all__ = ["EXIT_INTERRUPTED", "EXIT_SKIPPED", "main", "run"]
