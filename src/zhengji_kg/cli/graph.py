"""The commands over a built graph: validate, query, diffusion, export, serve."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path

import click

from zhengji_kg.cli.app import GRAPH_OPTION, given_path_exists, graph_file, load_graph, output_lock, plural, stopped


@click.command()
@click.argument("graph", type=click.Path(path_type=Path), default=Path("output"), callback=given_path_exists)
@click.option(
    "--engine",
    type=click.Choice(["oxigraph", "pyshacl"]),
    default="oxigraph",
    show_default=True,
    help="oxigraph: each constraint as a SPARQL query over an in-memory store; pyshacl: the reference "
    "implementation (the same answer, minutes beyond some 10,000 triples).",
)
@click.option(
    "--limit", default=50, show_default=True, type=click.IntRange(min=0), help="Violations listed (all are counted)."
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
def validate(graph: Path, engine: str, limit: int, quiet: bool) -> None:
    """Check GRAPH (a build folder or a graph file) against the SHACL shapes of ontology/shapes.ttl.

    The shapes ask of every entity one skos:prefLabel@zh and one rdfs:label, and that it is mentioned in
    a source (or is the broader family of one that is); of every evidence node one subject, predicate,
    object, source, sentence, rule and pair of offsets (charStart ≥ 0, charEnd after it); of every
    relation an evidence node, and the classes the contract names at both ends (a subclass counts:
    zj:Region is a zj:Place); of every source one identifier, a well-formed date and a link; of a
    place's adminCode 2 to 12 digits.

    Each constraint is translated into one SPARQL query selecting the nodes that break it, run over the
    graph loaded into an in-memory Oxigraph store: the six million triples of a 10,000-document build
    take about 30 s, most of it loading, and 2 GB. --engine pyshacl runs pySHACL instead, the reference
    (the same answer, over an rdflib graph). Exit code 0 when the graph conforms; 1 with a report when
    it does not: the violations counted by constraint, then the first --limit of them (focus node, path,
    constraint, value, message).

    \b
    Examples:
      zhengji-kg validate                     # output/graph.ttl
      zhengji-kg validate /tmp/seeds-kg -q    # no progress bars
      zhengji-kg validate OUT/graph.ttl --engine pyshacl
    """
    from zhengji_kg.outputs.validate import GraphError, ShapesError, validate_file

    path = graph_file(graph)
    try:
        report = validate_file(path, engine=engine, progress=False if quiet else None)
    except (GraphError, ShapesError) as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"{path}: {exc}") from exc
    click.echo(report.text(limit=limit))
    if not report.conforms:
        raise click.ClickException("the graph does not conform to ontology/shapes.ttl")


@click.command()
@click.argument("query", required=False)
@GRAPH_OPTION
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json"]), default="table", show_default=True)
@click.option(
    "--engine",
    type=click.Choice(["oxigraph", "rdflib"]),
    default="oxigraph",
    show_default=True,
    help="Oxigraph is fast on large graphs; rdflib is the reference. Both give the same answers.",
)
@click.option("--list", "list_", is_flag=True, help="Name the canned queries with what each asks, and stop.")
@click.option("--show", is_flag=True, help="Print the query's text instead of running it (to copy and change one).")
def query(query: str | None, graph_path: Path, fmt: str, engine: str, list_: bool, show: bool) -> None:
    """Run a SPARQL SELECT or ASK QUERY over a built graph.

    QUERY is the name of a canned query (see --list), a .rq file, or the query's text. The canned
    queries ship with the package, so they run without a checkout; --show prints one to copy and
    change. The prefixes zj:, zjr:, skos:, prov:, dcterms:, rdf:, rdfs:, owl: and xsd: are predeclared.
    Oxigraph loads the graph first, unless it was built with --store: then it opens the build's store.

    \b
    Examples:
      zhengji-kg query --list
      zhengji-kg query where-practiced --format csv
      zhengji-kg query place-adopted --show > my-place.rq   # edit the place, then:
      zhengji-kg query my-place.rq --graph /tmp/seeds-kg
      zhengji-kg query 'SELECT ?m ?c WHERE { ?m zj:implements ?c }'
    """
    from zhengji_kg.outputs.query import QueryError, canned_queries, format_rows, load_query, run_query_file

    if list_:
        if query:
            raise click.UsageError("--list takes no QUERY")
        try:
            shipped = canned_queries()
        except FileNotFoundError as exc:  # a broken installation: the query files are package data
            raise click.ClickException(str(exc)) from exc
        click.echo(format_rows(["name", "purpose"], [[q.name, q.purpose] for q in shipped], fmt))
        return
    if not query:
        raise click.UsageError("give a QUERY (a canned query's name, a .rq file or SPARQL text), or --list")
    try:
        text = load_query(query)
    except (QueryError, FileNotFoundError) as exc:  # FileNotFoundError: a broken installation, as above
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"{query}: {exc}") from exc
    if show:
        click.echo(text.rstrip("\n"))
        return
    path = graph_file(graph_path)
    try:
        cols, rows = run_query_file(path, text, engine)
    except QueryError as exc:
        raise click.ClickException(str(exc)) from exc
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"{path}: {exc}") from exc
    click.echo(format_rows(cols, rows, fmt))


@click.command()
@click.argument("mechanism", required=False)
@GRAPH_OPTION
@click.option(
    "--csv", "csv_path", type=click.Path(path_type=Path, dir_okay=False), help="Write the whole table as CSV."
)
@click.option(
    "--plot", "plot_path", type=click.Path(path_type=Path, dir_okay=False), help="Draw the adoptions by year as SVG."
)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json"]), default="table", show_default=True)
@click.option("--sentences", is_flag=True, help="Print each row's sentence too (the CSV always has it).")
def diffusion(
    mechanism: str | None, graph_path: Path, csv_path: Path | None, plot_path: Path | None, fmt: str, sentences: bool
) -> None:
    """Which places adopted MECHANISM (or every mechanism) and when: one row per mechanism and place.

    Each row is a place's earliest known practice of the mechanism, first adopters first: its date as
    precisely as known (2019, 2019-05, 2019-05-02) and its basis — "stated" (the sentence says when:
    2019年, 去年, 今年3月, resolved against the source's date) or "by-source" (the source's date, the
    latest it can have happened); undated rows come last and are never given a date. A local variant
    (湖州市干部实绩档案) counts for the arrangement it is a kind of (干部实绩档案), named in the variant
    column. The CSV (--csv) has one row per place and mechanism with year, date, precision, basis,
    administrative code, level, province, source and sentence: the shape an event-history analysis reads.
    The canned query `adoptions` gives the same rows in SPARQL.

    \b
    Examples:
      zhengji-kg diffusion                                   # every mechanism
      zhengji-kg diffusion 干部实绩档案 --graph output
      zhengji-kg diffusion 容错纠错机制 --csv adoptions.csv --plot adoptions.svg
    """
    from zhengji_kg.outputs.diffusion import COLUMNS, adoptions_from_file, plot_svg, select, write_csv
    from zhengji_kg.outputs.query import format_rows

    path = graph_file(graph_path)
    try:
        rows = select(adoptions_from_file(path), mechanism)
    except LookupError as exc:
        raise click.ClickException(str(exc.args[0])) from exc
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"{path}: {exc}") from exc
    shown = [c for c in COLUMNS if c not in ("year", "precision", "sentence") or (sentences and c == "sentence")]
    if fmt != "table":
        shown = list(COLUMNS)
    click.echo(format_rows(shown, [[getattr(a, c) for c in shown] for a in rows], fmt))
    if fmt == "table":
        dated = sum(1 for a in rows if a.date)
        mechanisms, places = len({a.mechanism for a in rows}), len({a.place for a in rows})
        click.echo(
            f"{plural(len(rows), 'adoption')} of {plural(mechanisms, 'mechanism')} in {plural(places, 'place')}; "
            f"{dated} dated ({sum(1 for a in rows if a.basis == 'stated')} stated in their sentence), "
            f"{len(rows) - dated} undated",
            err=True,
        )
    if csv_path is not None:
        write_csv(rows, csv_path)
        click.echo(f"csv:  {csv_path} ({len(rows)} rows)", err=True)
    if plot_path is not None:
        try:
            n = plot_svg(rows, plot_path, title=mechanism or "")
        except RuntimeError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"plot: {plot_path} ({n} dated adoptions drawn)", err=True)


@click.command()
@GRAPH_OPTION
@click.option(
    "--to",
    "fmt",
    required=True,
    type=click.Choice(["ttl", "nt", "trig", "jsonld", "gexf", "graphml", "neo4j"]),
    help="ttl/nt/trig/jsonld: RDF (TriG: one named graph per source); gexf/graphml: for Gephi; "
    "neo4j: a folder of import CSVs, an idempotent Cypher script and a README.",
)
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=None,
    help="File or folder to write (default: the graph's folder, graph.<format>).",
)
@click.option(
    "--wait",
    is_flag=True,
    help="If a build or another export is writing to the build folder, wait for it to end (without it: say so "
    "and exit 1).",
)
def export(graph_path: Path, fmt: str, out: Path | None, wait: bool) -> None:
    """Export a built graph for another tool.

    Like a build, an export holds its build folder's lock while it reads the graph and writes: a build
    into that folder cannot replace the graph (or remove the export as stale) halfway through, and a
    second writer exits 1 saying who holds the folder, or waits with --wait. The folder locked is the
    graph's when the export writes inside it (the default), else the folder written to when it holds a
    build of its own; an export to any other place reads the graph without a lock (a build replaces
    graph.ttl whole, never in part).

    \b
    Examples:
      zhengji-kg export --to gexf                  # output/graph.gexf, open it in Gephi
      zhengji-kg export --to trig -o /tmp/kg.trig  # GRAPH ?g { … } gives each triple's source
      zhengji-kg export --to neo4j                 # output/neo4j/: CSVs, load.cypher, README.md
    """
    from zhengji_kg.base.children import exit_status, stop_signals_interrupt
    from zhengji_kg.outputs.export import export as run

    folder = graph_path if graph_path.is_dir() else graph_path.parent
    target = out or folder
    if fmt == "neo4j" and out is None:
        target = target / "neo4j"
    locked = _build_folder_of(target, folder)
    try:
        with stop_signals_interrupt(), output_lock(locked, wait, "export") if locked else nullcontext():
            written = run(load_graph(graph_path), fmt, target)
    except KeyboardInterrupt as exc:  # each file is written whole; of a folder (neo4j), some may be new
        click.echo(f"{stopped(exc)}: the export was not finished", err=True)
        sys.exit(exit_status(exc))
    click.echo(f"wrote {written}")


def _build_folder_of(target: Path, graph_folder: Path) -> Path | None:
    """The build folder an export to ``target`` writes into: the graph's, when ``target`` is in it;
    else the folder of ``target`` if a build wrote there (it holds a graph.ttl); else none."""
    where = target.resolve()
    home = graph_folder.resolve()
    if where == home or home in where.parents:
        return graph_folder
    for folder in (where, where.parent):
        if (folder / "graph.ttl").is_file():
            return folder
    return None


@click.command()
@click.argument("graph", type=click.Path(path_type=Path), default=Path("output"), callback=given_path_exists)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind. The default answers this machine only; 0.0.0.0 opens it to the network.",
)
@click.option("--port", default=7878, show_default=True, type=click.IntRange(1, 65535))
def serve(graph: Path, host: str, port: int) -> None:
    """Serve GRAPH (a build folder or a graph file) as a read-only SPARQL 1.1 endpoint.

    Oxigraph's server answers SELECT, ASK, CONSTRUCT and DESCRIBE over HTTP at /query (GET, or POST
    as a form or as application/sparql-query); updates are refused. The graph is loaded into a
    temporary store, removed when the server stops — or, for a build made with --store, the build's own
    store is served as it is (nothing loaded; it stays).

    \b
    Prefixes predeclared as in zhengji-kg query (the query's own PREFIX wins);
    an answer HTTP 400 (a query the engine refuses) lists them too:
      zj:      https://w3id.org/zhengji-kg/ontology#
      zjr:     https://w3id.org/zhengji-kg/id/
      skos:    http://www.w3.org/2004/02/skos/core#
      prov:    http://www.w3.org/ns/prov#
      dcterms: http://purl.org/dc/terms/
      rdf:     http://www.w3.org/1999/02/22-rdf-syntax-ns#
      rdfs:    http://www.w3.org/2000/01/rdf-schema#
      owl:     http://www.w3.org/2002/07/owl#
      xsd:     http://www.w3.org/2001/XMLSchema#

    Stop it with Ctrl-C, SIGTERM or SIGHUP (kill PID): the server ends, its store is removed and the
    exit status is 0, also when stopped during the load. A port in use, a graph that does not load or
    a server that stops by itself exit with status 1.

    \b
    Example:
      zhengji-kg serve output
      curl -H 'Accept: text/csv' --data-urlencode 'query=SELECT * WHERE { ?s zj:implements ?o } LIMIT 3' \\
           http://127.0.0.1:7878/query
    """
    from zhengji_kg.outputs.serve import ServeError
    from zhengji_kg.outputs.serve import serve as run

    path = graph_file(graph)
    try:
        run(path, host, port, on_ready=lambda url: click.echo(f"SPARQL endpoint (read-only): {url}", err=True))
    except ServeError as exc:
        raise click.ClickException(str(exc)) from exc
