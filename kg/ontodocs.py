"""HTML documentation of the ontology, generated offline with pyLODE (3.3.4; 3.4.x does not import)."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from .errors import KGError
from .export import write_atomic

_REMOTE_ASSET = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)=[\"']https?://", re.I)


def ontology_html() -> str:
    """The ontology's documentation page; refuses a page that would load anything remote."""
    try:
        from pylode import OntPub
    except ImportError:
        raise KGError("pyLODE is not installed: pip install 'defcoop-kg[docs]' (pylode==3.3.4)") from None
    path = resources.files("kg.ontology") / "defcoop.ttl"
    html = OntPub(ontology=str(path)).make_html()
    if _REMOTE_ASSET.search(html):
        raise KGError("the generated ontology page loads a remote script, stylesheet or image")
    return html


def write_ontology_html(out: str | Path) -> Path:
    out = Path(out)
    write_atomic(out, ontology_html())
    return out
