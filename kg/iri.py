"""IRIs of the instance data: a checked base IRI, minting of safe IRIs, rebasing a dataset.

The ontology's own terms (``kg:``, ``https://w3id.org/defcoop/ontology#``) never move; the
instance namespaces (entities, facts, evidence, articles, counts, graphs) hang off a base
IRI the user may choose. Every minted IRI is safe for Turtle, TriG, N-Triples, N-Quads,
JSON-LD and RDF/XML: a local part keeps ASCII letters, digits and ``-._~`` and
percent-encodes every other character (as UTF-8), so readable ids stay readable and two
different ids never give the same IRI.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

from rdflib import Literal, URIRef

from .errors import InputError
from .graph import dataset_quads
from .vocab import BASE as DEFAULT_BASE
from .vocab import PREFIXES

# prefix -> path under the base; "graph/" holds the entity graph's IRI
INSTANCE_PATHS = {"ent": "id/", "fact": "fact/", "ev": "evidence/", "art": "article/", "count": "count/", "graph": "graph/"}

# characters no IRI may hold (RFC 3987 and the N-Triples IRIREF production)
_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f]')


class IRIError(InputError):
    """A base IRI that is not absolute, not http(s) or would make unsafe IRIs."""


def check_base(base: str) -> str:
    """Return ``base`` if it is a usable base for instance IRIs, else raise IRIError.

    >>> check_base("https://example.org/kg/")
    'https://example.org/kg/'
    >>> check_base("https://example.org/kg")
    Traceback (most recent call last):
    ...
    kg.iri.IRIError: base IRI 'https://example.org/kg' must end with '/' (e.g. https://example.org/kg/)
    """
    if not isinstance(base, str) or not base:
        raise IRIError("base IRI is empty; give one like https://w3id.org/defcoop/")
    bad = _FORBIDDEN.search(base)
    if bad:
        raise IRIError(f"base IRI {base!r} holds {bad.group()!r}, which no IRI may contain; percent-encode it")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise IRIError(f"base IRI {base!r} must be an absolute http(s) IRI such as https://w3id.org/defcoop/")
    if parts.query or parts.fragment or "#" in base or "?" in base:
        raise IRIError(f"base IRI {base!r} must not have a query or fragment; end it with '/'")
    if not base.endswith("/"):
        raise IRIError(f"base IRI {base!r} must end with '/' (e.g. {base}/)")
    if "%" in base and re.search(r"%(?![0-9A-Fa-f]{2})", base):
        raise IRIError(f"base IRI {base!r} has a '%' that is not a percent-escape")
    return base


def encode_local(local: str) -> str:
    """The local part of an IRI: unreserved ASCII kept, everything else percent-encoded.

    >>> encode_local("Su-30MKI")
    'Su-30MKI'
    >>> encode_local("Mi 17/V5#ä")
    'Mi%2017%2FV5%23%C3%A4'
    """
    return quote(local, safe="-._~")


def decode_local(local: str) -> str:
    """Inverse of :func:`encode_local`.

    >>> decode_local(encode_local("a b%c"))
    'a b%c'
    """
    return unquote(local, errors="strict")


def mint(base: str, kind: str, local: str) -> URIRef:
    """An instance IRI: ``base`` + the path of ``kind`` (ent, fact, ev, art, count, graph) + local.

    >>> str(mint("https://w3id.org/defcoop/", "ent", "HAL"))
    'https://w3id.org/defcoop/id/HAL'
    >>> str(mint("https://example.org/x/", "art", "berita rusia"))
    'https://example.org/x/article/berita%20rusia'
    """
    if kind not in INSTANCE_PATHS:
        raise ValueError(f"unknown IRI kind {kind!r}; use one of {', '.join(INSTANCE_PATHS)}")
    if not local:
        raise ValueError("an IRI's local part must not be empty")
    return URIRef(check_base(base) + INSTANCE_PATHS[kind] + encode_local(local))


def namespaces(base: str) -> dict[str, str]:
    """The instance prefixes (ent, fact, ev, art, count) for a base IRI."""
    check_base(base)
    return {p: base + path for p, path in INSTANCE_PATHS.items() if p != "graph"}


def _rebase_term(term, old: str, new: str, paths: tuple[str, ...]):
    if isinstance(term, URIRef):
        s = str(term)
        if s.startswith(old):
            rest = s[len(old):]
            if rest.startswith(paths):
                return URIRef(new + rest)
    return term


def rebase(ds, base: str, *, old: str = DEFAULT_BASE):
    """A copy of ``ds`` (an rdflib Dataset, or :class:`kg.graph.Quads`, giving one of the
    same kind) whose instance IRIs start with ``base`` instead of ``old``.

    Ontology terms (``old`` + "ontology#...") and literals are left alone. Prefixes are
    bound to the new namespaces, so serialisations stay compact.
    """
    from .graph import Quads

    base = check_base(base)
    if base == old:
        return ds
    paths = tuple(INSTANCE_PATHS.values())
    out = Quads((tuple(_rebase_term(t, old, base, paths) if not isinstance(t, Literal) else t for t in quad)
                 for quad in dataset_quads(ds)), dict(ds.namespaces()))
    for prefix, ns in namespaces(base).items():
        out.bind(prefix, ns)
    return out if isinstance(ds, Quads) else out.to_dataset()


def instance_prefixes(graph) -> dict[str, str]:
    """The project's prefixes as bound in ``graph`` (a file built with another base binds
    ``ent:`` etc. to it), falling back to the defaults."""
    out = {k: str(v) for k, v in PREFIXES.items()}
    try:
        bound = {p: str(ns) for p, ns in graph.namespaces()}
    except AttributeError:
        return out
    for p in INSTANCE_PATHS:
        if p in bound and p in out:
            out[p] = bound[p]
    return out
