"""zhengji-kg: an explainable, rule-based knowledge-graph builder for Chinese policy documents on 政绩观.

>>> import zhengji_kg
>>> kg = zhengji_kg.build(["corpus"])          # doctest: +SKIP
>>> kg.rdf().serialize(format="turtle")        # rdflib.Graph  # doctest: +SKIP
>>> kg.networkx()                              # networkx.MultiDiGraph  # doctest: +SKIP
"""

from zhengji_kg.base.rules import load_rules
from zhengji_kg.base.version import __version__
from zhengji_kg.pipeline.corpus import build
from zhengji_kg.pipeline.worker import extract_document

__all__ = ["__version__", "build", "extract_document", "load_rules"]
