"""Load the lexicon and the rules (YAML data files) into one validated, hashable ``RuleSet``.

A malformed file is reported with its path, line and problem (``RuleError``), never a traceback.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml

from zhengji_kg.base.model import ENTITY_TYPES
from zhengji_kg.base.resources import load_yaml, ontology_path
from zhengji_kg.base.version import __version__
from zhengji_kg.base.weights import Weights, WeightsError, load_weights

PLACEHOLDERS = {
    "{S}": "\ue000",
    "{O}": "\ue001",
    "{C}": "\ue002",
    "{M}": "\ue003",
    "{P}": "\ue004",
    "{G}": "\ue005",
}
TYPE_MARK = {"concept": "\ue002", "mechanism": "\ue003", "place": "\ue004", "organization": "\ue005"}
ANY_MARK = "[\ue002-\ue005]"


@lru_cache(maxsize=64)
def alternation(words: frozenset[str]) -> re.Pattern[str] | None:
    """One pattern for a word list of the rules (longest words first), None for an empty one: a single
    search where a test per word would be a loop (the cue words of features, asked for every candidate)."""
    if not words:
        return None
    return re.compile("|".join(map(re.escape, sorted(words, key=lambda w: (-len(w), w)))))


_T = TypeVar("_T")


class RuleError(ValueError):
    """A problem in a lexicon or rule file: ``path:line: message``."""


@dataclass(frozen=True)
class LexEntry:
    type: str
    label: str
    aliases: tuple[str, ...] = ()
    category: str = ""
    broader: str = ""
    contrasts: tuple[str, ...] = ()
    subtype: str = ""


@dataclass
class RuleSet:
    """Everything extraction needs; ``version`` changes whenever any rule or lexicon byte changes."""

    entries: list[LexEntry]
    rules: dict[str, Any]
    sources: list[str]
    digest: str
    mention_rules: list[dict[str, Any]] = field(default_factory=list)
    relation_rules: list[dict[str, Any]] = field(default_factory=list)
    weights: Weights = field(default_factory=Weights)  # the scored decision's (ontology/weights.yaml)

    @property
    def version(self) -> str:
        return self.digest[:12]

    @cached_property
    def words(self) -> dict[str, frozenset[str]]:
        return {k: frozenset(v or []) for k, v in (self.rules.get("words") or {}).items()}

    @cached_property
    def by_key(self) -> dict[tuple[str, str], LexEntry]:
        return {(e.type, e.label): e for e in self.entries}

    @cached_property
    def surface_types(self) -> dict[str, frozenset[str]]:
        """Every lexicon label and alias → the entity types it names."""
        out: dict[str, set[str]] = {}
        for e in self.entries:
            for surface in (e.label, *e.aliases):
                out.setdefault(surface, set()).add(e.type)
        return {k: frozenset(v) for k, v in out.items()}

    @cached_property
    def contrast_pairs(self) -> frozenset[frozenset[str]]:
        pairs = set()
        for e in self.entries:
            for c in e.contrasts:
                pairs.add(frozenset((e.label, c)))
        return frozenset(pairs)

    @cached_property
    def modality_cues(self) -> list[tuple[str, re.Pattern[str]]]:
        cues = self.rules.get("modality") or {}
        return [
            (m, re.compile("|".join(cues[m])))
            for m in ("forbidden", "criticised", "required", "encouraged")
            if cues.get(m)
        ]

    def derived(self, name: str, make: Callable[[RuleSet], _T]) -> _T:
        """``make(self)``, worked out once per rule set under ``name``: what an extractor reads off the rules
        for every document (its rules in order, their ids by kind, a pattern compiled from a word list)
        then costs a document nothing — on short documents that reading was a fifth of the work."""
        memo = self.__dict__.setdefault("_derived", {})
        if name not in memo:
            memo[name] = make(self)
        return memo[name]

    def mention_rule(self, rule_id: str) -> dict[str, Any]:
        for r in self.mention_rules:
            if r["id"] == rule_id:
                return r
        raise KeyError(rule_id)


def _load_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RuleError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        return load_yaml(text), text
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise RuleError(f"{path}{line}: invalid YAML: {problem}") from exc


def _line_of(text: str, needle: str) -> str:
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return f":{i}"
    return ""


def _parse_lexicon(path: Path, data: Any, text: str) -> list[LexEntry]:
    if not isinstance(data, dict):
        raise RuleError(f"{path}: a lexicon is a mapping with concepts/mechanisms/organizations/regions lists")
    sections = {
        "concepts": "concept",
        "mechanisms": "mechanism",
        "organizations": "organization",
        "places": "place",
        "regions": "place",
    }
    unknown = set(data) - set(sections) - {"version"}
    if unknown:
        raise RuleError(
            f"{path}{_line_of(text, sorted(unknown)[0])}: unknown section {sorted(unknown)[0]!r}; "
            f"expected one of {', '.join(sections)}"
        )
    out = []
    for section, etype in sections.items():
        for item in data.get(section) or []:
            if isinstance(item, str):
                item = {"label": item}
            if not isinstance(item, dict) or not isinstance(item.get("label"), str) or not item["label"].strip():
                raise RuleError(f"{path}{_line_of(text, str(item)[:20])}: entry in {section} needs a label: {item!r}")
            aliases = item.get("aliases") or []
            if not isinstance(aliases, list):
                raise RuleError(f"{path}{_line_of(text, item['label'])}: aliases of {item['label']} must be a list")
            out.append(
                LexEntry(
                    type=etype,
                    label=item["label"].strip(),
                    aliases=tuple(str(a).strip() for a in aliases if str(a).strip()),
                    category=str(item.get("category") or ""),
                    broader=str(item.get("broader") or ""),
                    contrasts=tuple(item.get("contrasts") or ()),
                    subtype="region" if section == "regions" else "",
                )
            )
    return out


def expand_pattern(pattern: str) -> str:
    """Replace the {S}/{O}/{C}/{M}/{P}/{G}/{X} placeholders of a relation pattern by their marks."""
    for ph, mark in PLACEHOLDERS.items():
        pattern = pattern.replace(ph, mark)
    return pattern.replace("{X}", ANY_MARK)


def _check_rules(path: Path, data: Any, text: str) -> tuple[list[dict], list[dict]]:
    if not isinstance(data, dict):
        raise RuleError(f"{path}: a rules file is a mapping with words/mentions/relations")
    mentions, relations = [], []
    seen: set[str] = set()
    for section, target in (("mentions", mentions), ("relations", relations)):
        for rule in data.get(section) or []:
            if not isinstance(rule, dict) or "id" not in rule:
                raise RuleError(f"{path}{_line_of(text, str(rule)[:20])}: every rule in {section} needs an id")
            rid = str(rule["id"])
            where = f"{path}{_line_of(text, 'id: ' + rid)}"
            if rid in seen:
                raise RuleError(f"{where}: duplicate rule id {rid!r}")
            seen.add(rid)
            rtype = rule.get("type") or rule.get("subject")
            if section == "mentions" and rtype not in ENTITY_TYPES:
                raise RuleError(f"{where}: rule {rid}: type must be one of {', '.join(ENTITY_TYPES)}")
            for key in ("pattern", "topic", "tail", "issued"):
                if key in rule and section == "relations" and re.search(r"\[[^\]]*\{X\}", str(rule[key])):
                    raise RuleError(f"{where}: rule {rid}: {{X}} cannot stand inside [...]; list {{C}}{{M}}{{P}}{{G}}")
                if key in rule:
                    raw = rule[key] if section == "mentions" else expand_pattern(rule[key])
                    try:
                        rule[f"_{key}"] = re.compile(raw)
                    except re.error as exc:
                        raise RuleError(f"{where}: rule {rid}: invalid regular expression: {exc}") from exc
            for key in ("forms",):
                if key in rule:
                    try:
                        rule["_forms"] = [re.compile(f) for f in rule[key]]
                    except re.error as exc:
                        raise RuleError(f"{where}: rule {rid}: invalid regular expression: {exc}") from exc
            if section == "relations":
                if rule.get("relation") not in ("implements", "practicedIn", "establishedBy", "contrastsWith"):
                    raise RuleError(
                        f"{where}: rule {rid}: relation must be implements, practicedIn, establishedBy or contrastsWith"
                    )
                if "_pattern" not in rule:
                    raise RuleError(f"{where}: rule {rid}: a relation rule needs a pattern")
            target.append(rule)
    return mentions, relations


def load_rules(
    lexicons: list[Path] | None = None,
    rules_file: Path | None = None,
    extra_lexicons: list[Path] | None = None,
    weights_file: Path | None = None,
) -> RuleSet:
    """Load the built-in lexicon and rules, plus any ``--lexicon`` files an analyst passes, and the weights
    of the scored decision (``--weights``, else the built-in ones)."""
    lex_paths = list(lexicons or [ontology_path("lexicon.yaml")]) + list(extra_lexicons or [])
    rules_path = rules_file or ontology_path("rules.yaml")
    h = hashlib.sha256()
    entries: list[LexEntry] = []
    for p in lex_paths:
        p = Path(p)
        data, text = _load_yaml(p)
        h.update(text.encode("utf-8"))
        entries.extend(_parse_lexicon(p, data, text))
    data, text = _load_yaml(Path(rules_path))
    h.update(text.encode("utf-8"))
    # the boilerplate patterns decide what text is extracted from: a change to them is a change of rules
    h.update(ontology_path("boilerplate.yaml").read_bytes())
    h.update(__version__.encode())
    weights_path = Path(weights_file) if weights_file else ontology_path("weights.yaml")
    weights = Weights()
    if weights_file or weights_path.is_file():
        try:
            weights = load_weights(weights_path)
        except WeightsError as exc:
            raise RuleError(str(exc)) from exc
        h.update(weights_path.read_bytes())
    mentions, relations = _check_rules(Path(rules_path), data, text)
    for mood, cues in (data.get("modality") or {}).items():
        for cue in cues or []:
            try:
                re.compile(cue)
            except re.error as exc:
                raise RuleError(f"{rules_path}{_line_of(text, cue)}: modality {mood} cue {cue!r}: {exc}") from exc
    # Later lexicons override earlier entries of the same type and label.
    merged: dict[tuple[str, str], LexEntry] = {}
    for e in entries:
        merged[(e.type, e.label)] = e
    return RuleSet(
        entries=list(merged.values()),
        rules=data,
        sources=[str(p) for p in lex_paths],
        digest=h.hexdigest(),
        mention_rules=mentions,
        relation_rules=relations,
        weights=weights,
    )
