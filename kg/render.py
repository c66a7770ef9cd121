"""Render the entity graph as one self-contained, offline HTML page (pyvis / vis-network).

The page is the projection of :func:`kg.analysis.entity_graph`: entities and counts as dots
coloured by class and sized by PageRank, one arrow per fact labelled with its predicate,
dashed when the fact is not asserted (planned, speculated, reader comment, negated).
Hovering shows plain-text tooltips with each fact's evidence sentences and articles.

What this module adds to pyvis, and why:

* **offline**: pyvis ``cdn_resources="in_line"`` inlines vis-network but still emits
  remote Bootstrap tags; they are removed, and the page is checked to load nothing remote;
* **ready at once**: positions are computed here (a seeded Fruchterman-Reingold layout in
  plain Python, scaled to pixels) and physics is off, so the browser only draws;
* **safe text**: pyvis escapes nothing (heading, ids, labels, titles) and switches to an
  ``innerHTML`` popup when a node title contains "href". Every text is HTML-escaped,
  "href" is broken up with an invisible word joiner, titles stay strings (vis-network
  shows string titles with ``innerText``), and the heading is written by this module;
* **deterministic**: sorted input, a fixed seed, rounded coordinates and explicit ids give
  byte-identical HTML for the same graph;
* **atomic**: the page is written to a temporary file beside the target, then renamed.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import networkx as nx
from pyvis.network import Network

from .analysis import simple_digraph, article_names, entity_graph, pagerank, union_view

# Colours by class (short name); anything else is drawn as OTHER_COLOUR.
CLASS_COLOURS = {
    "Country": "#1f77b4",
    "CountryGroup": "#393b79",
    "Region": "#17becf",
    "Organization": "#ff7f0e",
    "Company": "#2ca02c",
    "GovernmentBody": "#d62728",
    "Person": "#9467bd",
    "WeaponSystem": "#8c564b",
    "Legislation": "#e377c2",
    "CooperationArea": "#bcbd22",
    "UnnamedParties": "#aec7e8",
}
OTHER_COLOUR = "#c7c7c7"

# Edge style by modality: (colour, dashed). Only asserted and reported facts are solid.
MODALITY_STYLES = {
    "asserted": ("#4d4d4d", False),
    "reported": ("#2b6ca3", False),
    "planned": ("#2ca02c", True),
    "speculated": ("#ff7f0e", True),
    "comment": ("#b000b5", True),
    "negated": ("#d62728", True),
}
UNKNOWN_MODALITY_STYLE = ("#999999", True)

MAX_TOOLTIP_FACTS = 12  # facts listed in a node's tooltip
MAX_TOOLTIP_EVIDENCE = 5  # evidence sentences listed per fact
PIXELS_PER_EDGE = 160  # the layout's natural edge length, on screen


@dataclass(frozen=True)
class RenderStats:
    """What a render drew: nodes and edges on the page, nodes left out by ``max_nodes``."""

    nodes: int
    edges: int
    omitted_nodes: int


# --- text safety ---------------------------------------------------------------------

_HREF = re.compile(r"(?i)(hre)(f)")
_WORD_JOINER = "\u2060"


def _text(s: object) -> str:
    """HTML-escape text that goes into the page's data (labels, ids, titles).

    Quotes are left as they are: the data sits in a JSON literal inside a script (Jinja's
    ``tojson`` escapes ``<``, ``>``, ``&`` and ``'`` there too), never in an attribute, and
    escaped quotes would show as ``&quot;`` in every quoted sentence.
    """
    return html.escape(str(s), quote=False)


def _title(s: str) -> str:
    """A tooltip: escaped, and without the word "href" that flips pyvis to an innerHTML popup."""
    return _HREF.sub(lambda m: m.group(1) + _WORD_JOINER + m.group(2), _text(s))


# --- layout --------------------------------------------------------------------------


def _layout(U: nx.Graph, *, seed: int = 42, iterations: int = 60) -> dict[str, tuple[int, int]]:
    """networkx's seeded spring layout, in whole pixels, computed here so the page needs no physics."""
    nodes = sorted(U.nodes)
    if not nodes:
        return {}
    if len(nodes) == 1:
        return {nodes[0]: (0, 0)}
    H = nx.Graph()
    H.add_nodes_from(nodes)
    H.add_edges_from(sorted(tuple(sorted(e)) for e in U.edges() if e[0] != e[1]))
    k = 1.0 / len(nodes) ** 0.5
    pos = nx.spring_layout(H, k=k, seed=seed, iterations=iterations)
    scale = PIXELS_PER_EDGE / k
    return {v: (round(float(pos[v][0]) * scale), round(float(pos[v][1]) * scale)) for v in nodes}


# --- page parts ----------------------------------------------------------------------


def _local(predicate: str) -> str:
    return predicate.split(":", 1)[-1]


def _evidence_lines(evidence, names: dict[str, str]) -> list[str]:
    lines = []
    for ev in evidence[:MAX_TOOLTIP_EVIDENCE]:
        sentence, article = ev[0], ev[1]
        lines.append(f'    "{sentence}"')
        lines.append(f"      ({names.get(article, article) or 'unknown article'})")
    if len(evidence) > MAX_TOOLTIP_EVIDENCE:
        lines.append(f"    ... and {len(evidence) - MAX_TOOLTIP_EVIDENCE} more sources")
    return lines


def _fact_head(d: dict, subject: str, obj: str) -> str:
    extra = ", ".join(x for x in (d["modality"] or "unknown modality", d["date"]) if x)
    return f"{subject} {_local(d['predicate'])} {obj} ({extra})"


def _edge_title(G: nx.MultiDiGraph, u: str, v: str, d: dict, names: dict[str, str]) -> str:
    lines = [_fact_head(d, G.nodes[u]["label"], G.nodes[v]["label"])]
    for q, values in sorted(d.get("qualifiers", {}).items()):
        shown = [G.nodes[x]["label"] if x in G else x for x in values]
        lines.append(f"  {_local(q)}: {', '.join(shown)}")
    lines.append("  evidence:")
    lines.extend(_evidence_lines(d["evidence"], names))
    return "\n".join(lines)


def _node_title(G: nx.MultiDiGraph, full: nx.MultiDiGraph, n: str, rank: float) -> str:
    attrs = full.nodes[n]
    lines = [attrs["label"], f"{attrs['cls']} - {n}", f"PageRank {rank:.4f}, {full.degree(n)} facts"]
    for predicate, value, modality in attrs.get("literal_facts", []):
        lines.append(f"  {_local(predicate)} = {value} ({modality or 'unknown modality'})")
    facts = sorted(
        [(u, v, k, d) for u, v, k, d in full.out_edges(n, keys=True, data=True)]
        + [(u, v, k, d) for u, v, k, d in full.in_edges(n, keys=True, data=True) if u != n],
        key=lambda e: (e[3]["predicate"], e[0], e[1], e[2]),
    )
    for u, v, _, d in facts[:MAX_TOOLTIP_FACTS]:
        lines.append("  " + _fact_head(d, full.nodes[u]["label"], full.nodes[v]["label"]))
        if d["evidence"]:
            lines.append(f'    "{d["evidence"][0][0]}"')
    if len(facts) > MAX_TOOLTIP_FACTS:
        lines.append(f"  ... and {len(facts) - MAX_TOOLTIP_FACTS} more facts (hover an edge for its evidence)")
    hidden = sum(1 for u, v, _, _ in facts if not (u in G and v in G))
    if hidden:
        lines.append(f"  ({hidden} facts with parties left out of this page)")
    return "\n".join(lines)


_CSS = """
<style type="text/css">
  body { font-family: sans-serif; margin: 0.5em; }
  #kg-header h1 { font-size: 1.4em; margin: 0.2em 0; }
  #kg-header .kg-notice { color: #8a4b00; background: #fff4e0; padding: 0.3em 0.6em; border: 1px solid #e0b070; }
  .kg-legend { display: flex; flex-wrap: wrap; gap: 0.2em 1.2em; font-size: 0.85em; margin: 0.3em 0; }
  .kg-legend .kg-item { white-space: nowrap; }
  .kg-legend .kg-dot, .kg-legend .kg-line { display: inline-block; vertical-align: middle; margin-right: 0.3em; }
  .kg-legend .kg-dot { width: 0.9em; height: 0.9em; border-radius: 50%; }
  .kg-legend .kg-line { width: 2.2em; height: 0; }
  /* vis-network shows string titles with innerText: keep the line breaks, wrap long sentences */
  .vis-tooltip { white-space: pre-wrap !important; max-width: 42em; font: 12px sans-serif !important; }
</style>
"""


def _header(title: str, shown: int, total: int, edges: int, omitted: int) -> str:
    parts = ['<div id="kg-header">', f"<h1>{html.escape(title)}</h1>"]
    parts.append(f"<p>{shown} nodes, {edges} facts drawn. Hover a node or an edge for its facts and evidence.</p>")
    if omitted:
        parts.append(
            f'<p class="kg-notice" id="kg-omitted">{omitted} of {total} nodes left out: '
            f"only the {shown} with the highest PageRank are shown.</p>"
        )
    parts.append('<div class="kg-legend" id="kg-legend"><strong>Classes:</strong>')
    for cls, colour in [*CLASS_COLOURS.items(), ("other", OTHER_COLOUR)]:
        swatch = f'<span class="kg-dot" style="background:{colour}"></span>'
        parts.append(f'<span class="kg-item">{swatch}{html.escape(cls)}</span>')
    parts.append("</div>")
    parts.append('<div class="kg-legend" id="kg-legend-facts"><strong>Facts:</strong>')
    for modality, (colour, dashed) in MODALITY_STYLES.items():
        swatch = f'<span class="kg-line" style="border-top:3px {"dashed" if dashed else "solid"} {colour}"></span>'
        parts.append(f'<span class="kg-item">{swatch}{html.escape(modality)}</span>')
    parts.append("</div></div>")
    return "\n".join(parts) + "\n"


# --- the page ------------------------------------------------------------------------

_REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?\s*(?:https?:)?//[^>]*>", re.I)
_REMOTE_SCRIPT = re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?\s*(?:https?:)?//[^>]*>\s*</script>", re.I)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_EMPTY_HEADING = re.compile(r"<center>\s*<h1>\s*</h1>\s*</center>\s*")


class _RemoteRefs(HTMLParser):
    """Collects attribute values of real tags (not script text) that point off the machine."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href", "srcset", "action", "data", "poster") and value:
                if re.match(r"\s*(?:[a-z][a-z0-9+.-]*:)?//", value, re.I):
                    self.found.append(f"<{tag} {name}={value}>")


def remote_references(page: str) -> list[str]:
    """Tags in ``page`` whose src/href (and the like) load something from another host."""
    parser = _RemoteRefs()
    parser.feed(page)
    parser.close()
    return parser.found


def _offline(page: str) -> str:
    page = _REMOTE_LINK.sub("", page)
    page = _REMOTE_SCRIPT.sub("", page)
    page = _HTML_COMMENT.sub("", page)  # pyvis ships a commented-out vis.js include
    left = remote_references(page)
    if left:
        raise RuntimeError(f"rendered page still loads remote resources: {left}")
    return page


def _select(G: nx.MultiDiGraph, rank: dict[str, float], max_nodes: int) -> nx.MultiDiGraph:
    if G.number_of_nodes() <= max_nodes:
        return G
    keep = sorted(G.nodes, key=lambda n: (-rank[n], n))[:max_nodes]
    H = nx.MultiDiGraph()
    for n in sorted(keep):
        H.add_node(n, **G.nodes[n])
    keep_set = set(keep)
    for u, v, k, d in sorted(G.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2])):
        if u in keep_set and v in keep_set:
            H.add_edge(u, v, key=k, **d)
    return H


def _network(G: nx.MultiDiGraph, full: nx.MultiDiGraph, rank: dict[str, float], names: dict[str, str]) -> Network:
    net = Network(height="780px", width="100%", directed=True, cdn_resources="in_line", heading="")
    net.options = {
        "physics": {"enabled": False},
        "layout": {"improvedLayout": False},
        "interaction": {"hover": True, "tooltipDelay": 150, "multiselect": True},
        "nodes": {"shape": "dot", "borderWidth": 1, "font": {"size": 14, "face": "sans-serif"}},
        "edges": {
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.6}},
            "font": {"size": 10, "align": "middle", "color": "#555555", "face": "sans-serif"},
            "color": {"inherit": False},
            "smooth": False,
            "width": 1.5,
        },
    }
    undirected = nx.Graph()
    undirected.add_nodes_from(sorted(G.nodes))
    undirected.add_edges_from(sorted({tuple(sorted((u, v))) for u, v in G.edges() if u != v}))
    positions = _layout(undirected)
    top = max(rank.values(), default=0.0) or 1.0
    for n in sorted(G.nodes):
        attrs = G.nodes[n]
        x, y = positions[n]
        net.add_node(
            _text(n),
            label=_text(attrs["label"]) or _text(n),
            color=CLASS_COLOURS.get(attrs["cls"], OTHER_COLOUR),
            title=_title(_node_title(G, full, n, rank[n])),
            size=round(8 + 32 * math.sqrt(rank[n] / top), 2),
            x=x,
            y=y,
            cls=_text(attrs["cls"]),
        )
    parallel: dict[tuple[str, str], int] = defaultdict(int)
    for u, v, key, d in sorted(G.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2])):
        colour, dashed = MODALITY_STYLES.get(d["modality"], UNKNOWN_MODALITY_STYLE)
        pair = (min(u, v), max(u, v))
        index = parallel[pair]
        parallel[pair] += 1
        options = {}
        if index:  # parallel facts between the same two parties: bend them apart
            options["smooth"] = {"enabled": True, "type": "curvedCW", "roundness": round(0.15 * index, 2)}
        net.add_edge(
            _text(u),
            _text(v),
            id=_text(key),
            label=_text(_local(d["predicate"])),
            title=_title(_edge_title(G, u, v, d, names)),
            color=colour,
            dashes=dashed,
            modality=_text(d["modality"] or "unknown"),
            **options,
        )
    return net


def render_page(graph, *, title: str = "Defence cooperation graph", max_nodes: int = 500) -> tuple[str, RenderStats]:
    """The HTML page for ``graph`` as a string, and what it holds (see :func:`render_html`)."""
    if max_nodes < 0:
        raise ValueError("max_nodes must be 0 or more")
    view = union_view(graph)
    full = entity_graph(view)
    rank = pagerank(simple_digraph(full))
    G = _select(full, rank, max_nodes)
    net = _network(G, full, rank, article_names(view))
    page = net.generate_html()
    if "popup.innerHTML" in page:  # pyvis's HTML popup; _title should have made this impossible
        raise RuntimeError("pyvis switched to its innerHTML popup; a title still contains 'href'")
    page = _offline(page)
    page = _EMPTY_HEADING.sub("", page)
    omitted = full.number_of_nodes() - G.number_of_nodes()
    head = f"<title>{html.escape(title)}</title>\n{_CSS}"
    header = _header(title, G.number_of_nodes(), full.number_of_nodes(), G.number_of_edges(), omitted)
    page = page.replace("<head>", "<head>\n" + head, 1)
    page = page.replace("<body>", "<body>\n" + header, 1)
    if not page.lstrip().lower().startswith("<!doctype"):
        page = "<!DOCTYPE html>\n" + page
    return page, RenderStats(nodes=G.number_of_nodes(), edges=G.number_of_edges(), omitted_nodes=omitted)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def render_html(
    graph, out_path, *, title: str = "Defence cooperation graph", max_nodes: int = 500
) -> RenderStats:
    """Write ``graph`` (a Dataset or Graph of the fact model) as one offline HTML page.

    Shows at most ``max_nodes`` nodes, those with the highest PageRank; the page says how
    many were left out. Returns the counts drawn.

    >>> import tempfile, pathlib
    >>> from rdflib import Dataset
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "graph.html"
    >>> render_html(Dataset(), out)
    RenderStats(nodes=0, edges=0, omitted_nodes=0)
    """
    page, stats = render_page(graph, title=title, max_nodes=max_nodes)
    _write_atomically(Path(out_path), page)
    return stats


def nodes_json(page: str) -> list[dict]:
    """The node records embedded in a page written by this module (for tests and checks)."""
    return _dataset_json(page, "nodes")


def edges_json(page: str) -> list[dict]:
    """The edge records embedded in a page written by this module."""
    return _dataset_json(page, "edges")


def _dataset_json(page: str, name: str) -> list[dict]:
    marker = f"{name} = new vis.DataSet("
    start = page.index(marker) + len(marker)
    value, _ = json.JSONDecoder().raw_decode(page, start)
    return value
