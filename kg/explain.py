"""Why a fact exists: its rule, sentence, offsets, modality and cue, from a built graph."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, SKOS

from .analysis import union_view
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


def _label(v, node) -> str:
    if isinstance(node, Literal):
        return str(node)
    labels = {lit.language: str(lit) for lit in v.objects(node, RDFS.label) if isinstance(lit, Literal)}
    return labels.get("en") or next(iter(labels.values()), None) or qname(str(node))


def resolve_entity(g, name: str) -> URIRef:
    """An entity by IRI, prefixed name (ent:HAL), id (HAL), label or alias, ignoring case.
    ``g``: a Dataset, Graph or :class:`~kg.analysis.UnionView`."""
    if name.startswith(("http://", "https://")):
        return URIRef(name)
    if ":" in name and name.split(":", 1)[0] in PREFIXES:
        prefix, local = name.split(":", 1)
        return URIRef(str(PREFIXES[prefix]) + local)
    v = union_view(g)
    if v.spo.get(ENT[name]):
        return ENT[name]
    want = name.casefold()
    hits = sorted({s for s in v.subjects() for p in (RDFS.label, SKOS.altLabel)
                   for o in v.values(s, p) if str(o).casefold() == want}, key=str)
    if not hits:
        raise ExplainError(f"no entity named {name!r} in the graph")
    return hits[0]


def explain(g, *, subject: str | None = None, predicate: str | None = None, obj: str | None = None, fact: str | None = None) -> list[Explanation]:
    """Every fact matching the given parts, with all its evidence, sorted. ``g``: a Dataset,
    Graph or :class:`~kg.analysis.UnionView` (kg/query.py :func:`~kg.query.read_view`)."""
    v = union_view(g)
    s = resolve_entity(v, subject) if subject else None
    o = resolve_entity(v, obj) if obj else None
    p = None
    if predicate:
        local = predicate.split(":", 1)[1] if predicate.startswith("kg:") else predicate
        p = KG[local]
    if fact:
        nodes = [resolve_entity(v, fact) if ":" in fact else URIRef(str(PREFIXES["fact"]) + fact)]
    else:
        nodes = sorted(v.by_type.get(KG.Fact, ()), key=str)
    value = v.first
    skip = {RDF.type, RDF.subject, RDF.predicate, RDF.object, KG.modality, KG.status, KG.cue, PROV.wasDerivedFrom}
    out = []
    for f in nodes:
        fs, fp, fo = value(f, RDF.subject), value(f, RDF.predicate), value(f, RDF.object)
        if fs is None or (s and fs != s) or (p and fp != p) or (o and fo != o):
            continue
        quals = tuple(sorted((qname(str(q)), _label(v, x)) for q, x in v.properties(f) if q not in skip))
        evidence = []
        for ev in v.objects(f, PROV.wasDerivedFrom):
            art = value(ev, KG.article)
            evidence.append(EvidenceView(
                qname(str(art)), str(value(art, KG.fileName) or ""), str(value(ev, KG.sentence)),
                int(value(ev, KG.startOffset)), int(value(ev, KG.endOffset)), str(value(ev, KG.rule)),
                str(value(ev, KG.section)),
            ))
        out.append(Explanation(
            qname(str(f)), _label(v, fs), qname(str(fp)), _label(v, fo),
            qname(str(value(f, KG.modality))), qname(str(value(f, KG.status) or "")),
            str(value(f, KG.cue) or ""), quals, tuple(sorted(evidence, key=lambda e: (e.file, e.start))),
        ))
    if fact and not out:
        raise ExplainError(f"no fact {fact!r} in the graph")
    return out
