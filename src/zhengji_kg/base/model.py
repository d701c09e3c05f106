"""Dataclasses that carry a document through the pipeline (ingest → segment → extract → relate), and the
report of a build (here, not with the build, so that the graph model can carry it without knowing the build)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

ENTITY_TYPES = ("concept", "mechanism", "place", "organization")


@dataclass(frozen=True)
class Sentence:
    """A sentence as offsets into ``Document.text`` — never a detached copy that loses its position."""

    start: int
    end: int
    text: str
    paragraph: int = 0


@dataclass(frozen=True)
class Mention:
    """One occurrence of an entity in a document, with the rule that found it."""

    type: str  # one of ENTITY_TYPES
    surface: str  # the text as written (simplified), quotes removed
    key: str  # canonical label the mention resolves to
    start: int
    end: int
    rule: str
    subtype: str = ""  # e.g. "anonymised", "region", "generic" for places/organizations
    code: str = ""  # administrative code for places, when resolved
    category: str = ""
    aliases: tuple[str, ...] = ()  # other spellings the text itself shows (quoted part, 的-form)
    modality: str = ""  # how its sentence takes it: required, encouraged, forbidden, criticised, reported
    score: float = 0.0  # the scored decision's logit (weights.py): kept when >= 0


@dataclass(frozen=True)
class Relation:
    """A relation stated by one sentence: subject and object are (type, key) pairs."""

    subject: tuple[str, str]
    predicate: str
    object: tuple[str, str]
    sentence: Sentence
    rule: str
    modality: str = "reported"
    score: float = 0.0  # the scored decision's logit (weights.py): kept when >= 0
    # when it happened, as precisely as known (2019, 2019-05, 2019-05-02; dates.PartialDate.iso), and how
    # that is known: "stated" (a time in its clause) or "by-source" (the source's date: the latest it can be)
    date: str = ""
    date_basis: str = ""


@dataclass
class Document:
    """Text (simplified, cleaned), the original before folding, metadata, and what was learned of it."""

    id: str  # path relative to the corpus root, without extension
    path: str
    text: str
    original_text: str
    metadata: dict[str, str] = field(default_factory=dict)
    sentences: list[Sentence] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    # relations known from the gazetteer and lexicon (partOf, basedIn, broader), each with the first
    # sentence that implies it, and the administrative codes of the places they name (hierarchy.derive)
    derived: list[Relation] = field(default_factory=list)
    place_codes: dict[str, str] = field(default_factory=dict)
    # what had to be mended to read the file (control bytes removed, a link left out …): build warnings
    notes: list[str] = field(default_factory=list)


# the relations the scored decision decides: their evidence carries its score (zj:score)
SCORED = frozenset({"implements", "practicedIn", "establishedBy", "contrastsWith"})


class Evidence(NamedTuple):
    """One sentence behind a relation (a tuple: a large graph holds hundreds of thousands)."""

    source: str
    sentence: str  # "" for co-occurrence (relatedTo): see ``contribution``
    start: int
    end: int
    rule: str
    modality: str = "reported"
    derived: bool = False  # known from the gazetteer or lexicon (partOf, broader, basedIn), not stated
    iri: str = ""  # the evidence node's IRI where the merge needs it (co-occurrence weights)
    score: float | None = None  # the scored decision's score (weights.py); None where none decided it
    date: str = ""  # when the sentence dates what it states (model.Relation.date), and how it is known
    date_basis: str = ""


@dataclass
class BuildReport:
    """What a build read, skipped and produced — printed by the CLI, useful in a notebook."""

    read: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # files in the corpus folders that are not of a document format (SOURCES.tsv, photo.jpg): not read
    not_documents: list[str] = field(default_factory=list)
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage (read, extract, merge, write)
    cache_hits: int = 0
    extracted: int = 0  # documents extracted in this build (not taken from the cache)
    triples: int = 0
    warnings: list[str] = field(default_factory=list)
