"""SHACL validation of a built graph against the project's shapes (pyshacl)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from rdflib import Graph


@dataclass(frozen=True)
class ValidationResult:
    conforms: bool
    violations: int
    text: str
    report: Graph


def shapes_graph() -> Graph:
    g = Graph()
    g.parse(data=(resources.files("kg.ontology") / "shapes.ttl").read_text(encoding="utf-8"), format="turtle")
    return g


def validate_graph(data: Graph) -> ValidationResult:
    """Validate the union of a graph's triples; no inference, no network."""
    from pyshacl import validate
    from rdflib.namespace import SH

    conforms, report, text = validate(data, shacl_graph=shapes_graph(), inference="none", advanced=True, allow_warnings=True)
    violations = sum(1 for _ in report.subjects(SH.resultSeverity, SH.Violation))
    return ValidationResult(bool(conforms), violations, text, report)
