"""Why a fact exists: its rule, sentence, offsets, modality and cue, from a built graph."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, SKOS

from .errors import KGError
from .vocab import ENT, KG, PREFIXES, qname


class ExplainError(KGError):
    """The entity or fact asked about is not in the graph."""


@dataclass(frozen=True)
class EvidenceView:
    article: str
    file: str
    sentence: str
    start: int
    end: int
    rule: str
    section: str


@dataclass(frozen=True)
class Explanation:
    fact: str
    subject: str
    predicate: str
    object: str
    modality: str
    status: str
    cue: str
    qualifiers: tuple[tuple[str, str], ...]
    evidence: tuple[EvidenceView, ...]


def _label(g, node) -> str:
    if isinstance(node, Literal):
        return str(node)
    labels = {lit.language: str(lit) for lit in g.objects(node, RDFS.label) if isinstance(lit, Literal)}
    return labels.get("en") or next(iter(labels.values()), None) or qname(str(node))


def resolve_entity(g, name: str) -> URIRef:
    """An entity by IRI, prefixed name (ent:HAL), id (HAL), label or alias, ignoring case."""
    if name.startswith(("http://", "https://")):
        return URIRef(name)
    if ":" in name and name.split(":", 1)[0] in PREFIXES:
        prefix, local = name.split(":", 1)
        return URIRef(str(PREFIXES[prefix]) + local)
    if (ENT[name], None, None) in g:
        return ENT[name]
    want = name.casefold()
    hits = sorted({s for p in (RDFS.label, SKOS.altLabel) for s, o in g.subject_objects(p) if str(o).casefold() == want}, key=str)
    if not hits:
        raise ExplainError(f"no entity named {name!r} in the graph")
    return hits[0]


def explain(g, *, subject: str | None = None, predicate: str | None = None, obj: str | None = None, fact: str | None = None) -> list[Explanation]:
    """Every fact matching the given parts, with all its evidence, sorted."""
    s = resolve_entity(g, subject) if subject else None
    o = resolve_entity(g, obj) if obj else None
    p = None
    if predicate:
        local = predicate.split(":", 1)[1] if predicate.startswith("kg:") else predicate
        p = KG[local]
    if fact:
        nodes = [resolve_entity(g, fact) if ":" in fact else URIRef(str(PREFIXES["fact"]) + fact)]
    else:
        nodes = sorted(set(g.subjects(RDF.type, KG.Fact)), key=str)
    out = []
    for f in nodes:
        fs, fp, fo = g.value(f, RDF.subject), g.value(f, RDF.predicate), g.value(f, RDF.object)
        if fs is None or (s and fs != s) or (p and fp != p) or (o and fo != o):
            continue
        skip = {RDF.type, RDF.subject, RDF.predicate, RDF.object, KG.modality, KG.status, KG.cue, PROV.wasDerivedFrom}
        quals = tuple(sorted((qname(str(q)), _label(g, v)) for q, v in g.predicate_objects(f) if q not in skip))
        evidence = []
        for ev in g.objects(f, PROV.wasDerivedFrom):
            art = g.value(ev, KG.article)
            evidence.append(EvidenceView(
                qname(str(art)), str(g.value(art, KG.fileName) or ""), str(g.value(ev, KG.sentence)),
                int(g.value(ev, KG.startOffset)), int(g.value(ev, KG.endOffset)), str(g.value(ev, KG.rule)),
                str(g.value(ev, KG.section)),
            ))
        out.append(Explanation(
            qname(str(f)), _label(g, fs), qname(str(fp)), _label(g, fo),
            qname(str(g.value(f, KG.modality))), qname(str(g.value(f, KG.status) or "")),
            str(g.value(f, KG.cue) or ""), quals, tuple(sorted(evidence, key=lambda e: (e.file, e.start))),
        ))
    if fact and not out:
        raise ExplainError(f"no fact {fact!r} in the graph")
    return out
