"""The build: one document (``worker``), the extraction cache (``cache``), the Dask executor
(``distributed``) and the corpus around them (``corpus``: reading, workers, merge, streaming the graph)."""
