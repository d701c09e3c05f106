"""zhengji-kg: an explainable, rule-based knowledge-graph builder for Chinese policy documents on 政绩观.

>>> import zhengji_kg
>>> kg = zhengji_kg.build(["corpus"])          # doctest: +SKIP
>>> kg.rdf().serialize(format="turtle")        # rdflib.Graph  # doctest: +SKIP
>>> kg.networkx()                              # networkx.MultiDiGraph  # doctest: +SKIP
"""

from .pipeline import build, extract_document
from .rules import load_rules
from .version import __version__

__all__ = ["__version__", "build", "extract_document", "load_rules"]
