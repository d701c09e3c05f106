"""The graph model: the merged graph (``graph``), its RDF form under the published contract (``rdf``) and its
networkx view (``netx``). It knows neither the build that fills it nor the exporters that write it."""
