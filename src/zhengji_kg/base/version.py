"""The release: in the package (``zhengji_kg.__version__``) and in what depends on it (the cache key, the
rules' digest, the GEXF's creator) — a module of its own, so that those need not import the package, which
imports the build."""

__version__ = "0.6.4"
