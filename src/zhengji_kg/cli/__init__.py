"""The ``zhengji-kg`` command: a thin layer of verbs over the Python API.

``app`` holds the group and what every command shares; each other module holds the commands of one kind —
``build``, those over a built graph (``graph``), those about the rules (``rules``) — added to the group here.
"""

from __future__ import annotations

from zhengji_kg.cli.app import EXIT_INTERRUPTED, EXIT_SKIPPED, main, run
from zhengji_kg.cli.build import build
from zhengji_kg.cli.graph import diffusion, export, query, serve, validate
from zhengji_kg.cli.rules import evaluate, explain, suggest, train

for _command in (build, validate, evaluate, train, query, diffusion, export, suggest, serve, explain):
    main.add_command(_command)

__all__ = ["EXIT_INTERRUPTED", "EXIT_SKIPPED", "main", "run"]
