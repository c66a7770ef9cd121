"""The ontology's HTML documentation is generated offline and documents every class."""

from __future__ import annotations

import re

from rdflib import Graph
from rdflib.namespace import OWL, RDF, RDFS
from typer.testing import CliRunner

from kg.cli import app

from conftest import ROOT


def test_ontology_docs_are_generated_offline_and_complete(tmp_path):
    out = tmp_path / "ontology.html"
    res = CliRunner().invoke(app, ["ontology-docs", "--out", str(out)])
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert not re.search(r"<(?:script|link|img)\b[^>]*\b(?:src|href)=[\"']https?://", html, re.I)
    g = Graph().parse(ROOT / "ontology" / "defcoop.ttl")
    labels = [str(g.value(c, RDFS.label)) for c in g.subjects(RDF.type, OWL.Class) if str(c).startswith("https://w3id.org/defcoop/")]
    assert len(labels) > 20
    missing = [label for label in labels if label not in html]
    assert not missing, missing
