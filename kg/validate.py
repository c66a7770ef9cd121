"""SHACL validation of a built graph against the project's shapes (pyshacl).

Reports come as pySHACL's human text or as the W3C validation report graph in Turtle.
"""

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


REPORT_FORMATS = ("human", "turtle")


def validate_path(path) -> ValidationResult:
    """Load a build folder or an RDF file and validate the union of its graphs."""
    from .export import union_graph
    from .query import load_graph

    return validate_graph(union_graph(load_graph(path)))


def format_report(result: ValidationResult, fmt: str = "human") -> str:
    """The report as pySHACL's text ("human") or as the sh:ValidationReport graph in Turtle."""
    if fmt == "human":
        return result.text.strip() + "\n"
    if fmt == "turtle":
        from .vocab import bind_prefixes

        g = Graph()
        bind_prefixes(g)
        g.bind("sh", "http://www.w3.org/ns/shacl#")
        for t in result.report:
            g.add(t)
        return g.serialize(format="turtle")
    from .errors import InputError

    raise InputError(f"unknown report format {fmt!r}; use one of {', '.join(REPORT_FORMATS)}")
