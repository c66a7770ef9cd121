"""Render the entity graph as one self-contained, offline HTML page (pyvis / vis-network).

The page is the projection of :func:`kg.analysis.entity_graph`: entities and counts as dots
coloured by class and sized by PageRank, one arrow per fact labelled with its relation,
drawn solid when asserted or reported and with a distinct dash pattern and colour when
planned, speculated, from a reader comment or negated. Hovering shows plain-text
tooltips; clicking a node or an edge opens a side panel with the facts, their evidence
sentences and their sources. Checkboxes filter by class, relation and modality, a search
box finds entities by name, alias or id, and a note says which nodes were left out.

What this module adds to pyvis, and why:

* **offline**: pyvis ``cdn_resources="in_line"`` inlines vis-network but still emits
  remote Bootstrap tags; they are removed, and the page is checked to load nothing remote;
* **ready at once**: positions are computed here (networkx's seeded spring layout, scaled
  to pixels) and physics is off, so the browser only draws;
* **safe text**: article and rule text is never parsed as HTML. In the vis DataSets it is
  a JSON string (Jinja's ``tojson`` escapes ``<``, ``>``, ``&`` and ``'``) that
  vis-network draws on a canvas (labels) or sets with ``innerText`` (tooltips); the panel's
  data is a ``<script type="application/json">`` block with the same characters escaped,
  read with ``JSON.parse`` and shown with ``textContent`` only. The word "href", which
  flips pyvis to an ``innerHTML`` popup, is broken up with an invisible word joiner in
  tooltips, and the page's own markup (heading, filters) is HTML-escaped here;
* **deterministic**: sorted input, a fixed seed, rounded coordinates and explicit ids give
  byte-identical HTML for the same graph;
* **atomic**: the page is written to a temporary file beside the target, then renamed.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import networkx as nx
from pyvis.network import Network

from .export import write_atomic
from .analysis import (
    COUNT_CLASS,
    ENTITY_CLASSES,
    party_graph,
    projection,
    resolve_entity,
)
from .errors import KGError

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

# Edge style by modality: (colour, dash pattern or False for a solid line). Only asserted
# and reported facts are solid; each other modality has its own colour and pattern, so
# they stay apart in print and for colour-blind readers.
MODALITY_STYLES = {
    "asserted": ("#4d4d4d", False),
    "reported": ("#2b6ca3", False),
    "planned": ("#2ca02c", [12, 5]),
    "speculated": ("#ff7f0e", [5, 5]),
    "comment": ("#b000b5", [2, 4]),
    "negated": ("#d62728", [12, 4, 2, 4]),
}
UNKNOWN_MODALITY_STYLE = ("#999999", [3, 3])

CONFLICT_COLOUR = "#d62728"  # the glow of an arrow whose fact another fact contradicts

# A class filter naming a superclass keeps its subclasses too.
SUBCLASSES = {"Organization": ("Company", "GovernmentBody")}

MAX_PAGE_FACTS = 3000  # facts a page holds at most (a browser draws a few thousand edges at ease)
MAX_TOOLTIP_FACTS = 8  # facts listed in a node's tooltip (the click panel lists them all)
MAX_TOOLTIP_EVIDENCE = 3  # evidence sentences listed per fact in a tooltip
MAX_PANEL_CONFLICTS = 12  # other facts of a contradiction group listed under a fact in the panel
MAX_PANEL_EVIDENCE = 20  # evidence sentences listed under a fact in the panel (a fact read in 900 articles)
PIXELS_PER_EDGE = 160  # the layout's natural edge length, on screen


class RenderOptionError(KGError, ValueError):
    """A render option (focus entity, hops, classes, max nodes) cannot be honoured."""


@dataclass(frozen=True)
class RenderStats:
    """What a render drew: nodes and edges on the page, nodes left out, and why (``notes``)."""

    nodes: int
    edges: int
    omitted_nodes: int
    notes: tuple[str, ...] = ()


# --- text safety ---------------------------------------------------------------------

_HREF = re.compile(r"(?i)(hre)(f)")
_WORD_JOINER = "\u2060"


def _title(s: str) -> str:
    """A tooltip (plain text): without the word "href" that flips pyvis to an innerHTML popup."""
    return _HREF.sub(lambda m: m.group(1) + _WORD_JOINER + m.group(2), str(s))


def _json_script(element_id: str, data) -> str:
    """``data`` as a JSON block no article text can break out of (``<``, ``>``, ``&`` escaped)."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for ch, esc in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return f'<script type="application/json" id="{element_id}">{text}</script>'


# --- layout --------------------------------------------------------------------------


COMPONENT_GAP = 120  # pixels between the boxes of two connected components


def _component_layout(nodes: list[str], U: nx.Graph, seed: int, iterations: int) -> dict[str, tuple[float, float]]:
    """One connected component, spring-laid out, in pixels, with its box's corner at (0, 0)."""
    if len(nodes) == 1:
        return {nodes[0]: (0.0, 0.0)}
    H = nx.Graph()
    H.add_nodes_from(nodes)
    H.add_edges_from(sorted(tuple(sorted(e)) for e in U.subgraph(nodes).edges() if e[0] != e[1]))
    k = 1.0 / len(nodes) ** 0.5
    pos = nx.spring_layout(H, k=k, seed=seed, iterations=iterations)
    # spring_layout rescales every component to the same box; scale it back so an edge is
    # about PIXELS_PER_EDGE long whatever the component's size
    lengths = sorted(math.dist(pos[u], pos[v]) for u, v in H.edges())
    typical = lengths[len(lengths) // 2] if lengths else k
    scale = PIXELS_PER_EDGE / max(typical, 1e-9)
    xs = [float(pos[v][0]) * scale for v in nodes]
    ys = [float(pos[v][1]) * scale for v in nodes]
    return {v: (x - min(xs), y - min(ys)) for v, x, y in zip(nodes, xs, ys)}


def _layout(U: nx.Graph, *, seed: int = 42, iterations: int = 60) -> dict[str, tuple[int, int]]:
    """Positions in whole pixels, computed here so the page needs no physics.

    Each connected component gets networkx's seeded spring layout on its own (laid out
    together, small components and isolated nodes would be flung to the rim and shrink
    the main cluster to a dot); the components are then packed in rows, largest first.
    """
    comps = sorted((sorted(c) for c in nx.connected_components(U)), key=lambda c: (-len(c), c))
    if not comps:
        return {}
    boxes = []
    for comp in comps:
        pos = _component_layout(comp, U, seed, iterations)
        width = max(x for x, _ in pos.values())
        height = max(y for _, y in pos.values())
        boxes.append((pos, width, height))
    area = sum((w + COMPONENT_GAP) * (h + COMPONENT_GAP) for _, w, h in boxes)
    row_limit = max(boxes[0][1], 1.3 * area ** 0.5)  # rows about as wide as the whole is tall
    out: dict[str, tuple[int, int]] = {}
    x = y = row_height = 0.0
    for pos, width, height in boxes:
        if x > 0 and x + width > row_limit:
            x, y, row_height = 0.0, y + row_height + COMPONENT_GAP, 0.0
        for v, (px, py) in pos.items():
            out[v] = (round(x + px), round(y + py))
        x += width + COMPONENT_GAP
        row_height = max(row_height, height)
    return {v: out[v] for v in sorted(out)}


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
        lines.append(f"    ... and {len(evidence) - MAX_TOOLTIP_EVIDENCE} more sources (click for all)")
    return lines


def _fact_head(d: dict, subject: str, obj: str) -> str:
    extra = ", ".join(x for x in (d["modality"] or "unknown modality", d["date"]) if x)
    return f"{subject} {_local(d['predicate'])} {obj} ({extra})"


def _edge_title(G: nx.MultiDiGraph, u: str, v: str, d: dict, names: dict[str, str], conflicts: dict) -> str:
    lines = [_fact_head(d, G.nodes[u]["label"], G.nodes[v]["label"])]
    for c in d.get("conflicts", ()):  # kg/corroborate.py: facts that cannot all be true
        conflict = conflicts[c]
        others = len(conflict.facts) - 1
        lines.append(f"  \u26a0 CONTRADICTED ({', '.join(conflict.kinds)}) by {others} other fact{'s' if others > 1 else ''}"
                     " (click for them)")
    for q, values in sorted(d.get("qualifiers", {}).items()):
        shown = [G.nodes[x]["label"] if x in G else _local(x.rsplit("#", 1)[-1]) for x in values]
        lines.append(f"  {_local(q)}: {', '.join(shown)}")
    lines.append("  evidence:")
    lines.extend(_evidence_lines(d["evidence"], names))
    return "\n".join(lines)


def _incident(full: nx.MultiDiGraph, n: str) -> list[tuple]:
    """The facts a node is a party to, (subject, object, key, data), in a fixed order."""
    return sorted(
        [(u, v, k, d) for u, v, k, d in full.out_edges(n, keys=True, data=True)]
        + [(u, v, k, d) for u, v, k, d in full.in_edges(n, keys=True, data=True) if u != n],
        key=lambda e: (e[3]["predicate"], e[0], e[1], e[2]),
    )


def _node_title(G: nx.MultiDiGraph, full: nx.MultiDiGraph, n: str, rank: float, degree: int) -> str:
    attrs = full.nodes[n]
    lines = [attrs["label"], f"{attrs['cls']} - {n}", f"PageRank {rank:.4f}, {degree} facts"]
    for predicate, value, modality in attrs.get("literal_facts", []):
        lines.append(f"  {_local(predicate)} = {value} ({modality or 'unknown modality'})")
    facts = _incident(full, n)
    for u, v, _, d in facts[:MAX_TOOLTIP_FACTS]:
        lines.append("  " + _fact_head(d, full.nodes[u]["label"], full.nodes[v]["label"]))
    if len(facts) > MAX_TOOLTIP_FACTS:
        lines.append(f"  ... and {len(facts) - MAX_TOOLTIP_FACTS} more facts")
    hidden = sum(1 for u, v, _, _ in facts if not (u in G and v in G))
    if hidden:
        lines.append(f"  ({hidden} facts with parties left out of this page)")
    lines.append("Click for every fact with its evidence sentences and sources.")
    return "\n".join(lines)


def _panel_data(G: nx.MultiDiGraph, full: nx.MultiDiGraph, records, conflicts: dict, rank: dict[str, float], info: dict,
                notes: list[str], degree: dict[str, int]) -> dict:
    """What the click panel shows: every fact of every node on the page, with its evidence."""
    literal_by_subject: dict[str, list] = defaultdict(list)
    for f in records:
        if f.object_is_literal and f.subject in G:
            literal_by_subject[f.subject].append(f)
    facts: dict[str, dict] = {}
    needed: set[str] = set(G.nodes)
    node_facts: dict[str, list[str]] = {}

    heads = {r.iri: r for r in records}

    def head_of(iri: str) -> str:  # "Indonesia ordered Su-35 (asserted, 2017)" for a contradicting fact
        r = heads.get(iri)
        if r is None:
            return iri
        name = (lambda x: full.nodes[x]["label"] if x in full else x)
        q = dict(r.qualifiers).get("kg:quantity")
        extra = ", ".join(x for x in (r.modality, r.date, q and f"quantity {q}") if x)
        return f"{name(r.subject)} {_local(r.predicate)} {r.object if r.object_is_literal else name(r.object)} ({extra})"

    def contradicting(key: str, groups) -> list[list[str]]:
        """[other fact, its head, kinds] for the other facts of the fact's contradiction groups
        (kg/corroborate.py), the first MAX_PANEL_CONFLICTS, then ["", "... and N more"]."""
        out = []
        for c in groups:
            kinds = ", ".join(conflicts[c].kinds)
            out += [[other, head_of(other), kinds] for other in conflicts[c].facts if other != key]
        if len(out) > MAX_PANEL_CONFLICTS:
            out = out[:MAX_PANEL_CONFLICTS] + [["", f"... and {len(out) - MAX_PANEL_CONFLICTS} more", ""]]
        return out

    def add_fact(key, s, p, o, literal, modality, date, qualifiers, evidence, groups):
        facts[key] = {
            "s": s, "p": p, "o": o, "lit": literal, "m": modality or "unknown", "date": date,
            "q": [[q, list(vs)] for q, vs in sorted(qualifiers.items())],
            "ev": [list(e) for e in evidence[:MAX_PANEL_EVIDENCE]],
            "evn": len(evidence),
            "x": contradicting(key, groups),
        }
        needed.update(x for vs in qualifiers.values() for x in vs if x in full)

    for n in sorted(G.nodes):
        keys = []
        for u, v, k, d in _incident(full, n):
            needed.update((u, v))
            add_fact(k, u, d["predicate"], v, False, d["modality"], d["date"], d.get("qualifiers", {}), d["evidence"],
                     d.get("conflicts", ()))
            keys.append(k)
        for f in sorted(literal_by_subject.get(n, []), key=lambda f: (f.predicate, f.object, f.iri)):
            qualifiers: dict[str, list[str]] = defaultdict(list)
            for q, v in f.qualifiers:
                qualifiers[q].append(v)
            add_fact(f.iri, f.subject, f.predicate, f.object, True, f.modality, f.date, qualifiers, f.evidence, f.conflicts)
            keys.append(f.iri)
        node_facts[n] = keys
    nodes = {}
    for n in sorted(needed):
        d = full.nodes[n]
        entry = {"label": d["label"], "cls": d["cls"], "shown": n in G}
        if n in G:
            entry.update(aliases=[*d.get("labels", []), *d.get("aliases", [])], rank=round(rank.get(n, 0.0), 6),
                         degree=degree.get(n, full.degree(n)), facts=node_facts[n])
        nodes[n] = entry
    used = {e[1] for f in facts.values() for e in f["ev"]}
    return {
        "nodes": nodes,
        "facts": facts,
        "articles": {a: i for a, i in info.items() if a in used},
        "notes": notes,
    }


_CSS = """
<style type="text/css">
  body { font-family: sans-serif; margin: 0.5em; }
  #kg-header h1 { font-size: 1.4em; margin: 0.2em 0; }
  #kg-header p { margin: 0.2em 0; }
  #kg-header .kg-notice { color: #8a4b00; background: #fff4e0; padding: 0.3em 0.6em; border: 1px solid #e0b070; }
  #kg-controls { display: flex; flex-wrap: wrap; gap: 0.3em 0.8em; align-items: flex-start; font-size: 0.85em; margin: 0.3em 0; }
  #kg-controls fieldset { border: 1px solid #ddd; padding: 0.1em 0.5em 0.3em; margin: 0; max-width: 100%; }
  #kg-controls legend { font-weight: bold; }
  #kg-controls label { white-space: nowrap; margin-right: 0.7em; display: inline-block; }
  #kg-search { width: 16em; }
  .kg-dot { display: inline-block; vertical-align: middle; width: 0.9em; height: 0.9em; border-radius: 50%; margin-right: 0.25em; }
  .kg-line { display: inline-block; vertical-align: middle; margin-right: 0.25em; }
  .kg-main { display: flex; gap: 0.5em; align-items: stretch; }
  .kg-main #mynetwork { flex: 1 1 auto; float: none !important; width: auto !important; min-width: 0; }
  #kg-panel { flex: 0 0 26em; height: 780px; overflow-y: auto; border: 1px solid lightgray; padding: 0.4em 0.7em;
              font-size: 0.85em; box-sizing: border-box; background: #fcfcfc; }
  #kg-panel h2 { font-size: 1.2em; margin: 0.2em 0; }
  #kg-panel h3 { font-size: 1em; margin: 0.8em 0 0.3em; }
  #kg-panel .kg-meta { color: #555; word-break: break-all; }
  #kg-panel .kg-fact { border-left: 4px solid #4d4d4d; padding: 0.1em 0 0.1em 0.5em; margin: 0.5em 0; }
  #kg-panel .kg-fact-head { font-weight: bold; }
  #kg-panel .kg-badge { font-size: 0.8em; font-weight: normal; color: #fff; border-radius: 0.3em; padding: 0 0.3em; margin-left: 0.3em; }
  #kg-panel .kg-away { color: #8a4b00; font-weight: normal; }
  #kg-panel blockquote { margin: 0.3em 0 0.1em 0.5em; font-style: italic; }
  #kg-panel .kg-source { margin-left: 0.5em; color: #555; }
  #kg-panel ul { margin: 0.2em 0; padding-left: 1.2em; }
  #kg-panel .kg-conflicted { outline: 2px solid #d62728; outline-offset: 2px; }
  #kg-panel .kg-conflict { color: #d62728; font-weight: bold; margin: 0.2em 0; }
  /* vis-network shows string titles with innerText: keep the line breaks, wrap long sentences */
  .vis-tooltip { white-space: pre-wrap !important; max-width: 42em; font: 12px sans-serif !important; }
</style>
"""


def _dash_svg(colour: str, dashes) -> str:
    pattern = f' stroke-dasharray="{" ".join(str(x) for x in dashes)}"' if dashes else ""
    return (f'<svg class="kg-line" width="34" height="8" aria-hidden="true"><line x1="0" y1="4" x2="34" y2="4" '
            f'stroke="{colour}" stroke-width="3"{pattern}/></svg>')


def _checkbox(kind: str, value: str, swatch: str, count: int) -> str:
    v = html.escape(value, quote=True)
    return (f'<label><input type="checkbox" data-filter="{kind}" value="{v}" checked>'
            f"{swatch}{html.escape(value)} ({count})</label>")


def _header(title: str, G: nx.MultiDiGraph, total_nodes: int, total_edges: int, notes: list[str]) -> str:
    shown, edges = G.number_of_nodes(), G.number_of_edges()
    parts = ['<div id="kg-header">', f"<h1>{html.escape(title)}</h1>"]
    parts.append(f'<p id="kg-counts">{shown} of {total_nodes} nodes and {edges} of {total_edges} facts drawn '
                 f'(<span id="kg-shown">all of them shown</span>). Hover for a summary; click a node or an arrow '
                 "for its facts, evidence sentences and sources.</p>")
    if notes:
        parts.append(f'<p class="kg-notice" id="kg-omitted">{html.escape(" ".join(notes))}</p>')
    parts.append('<div id="kg-controls">')
    parts.append('<fieldset id="kg-search-box"><legend>Search</legend><form id="kg-search-form" autocomplete="off">'
                 '<input id="kg-search" type="search" placeholder="name, alias or id" aria-label="search entities"> '
                 '<span id="kg-search-status"></span></form></fieldset>')
    classes = Counter(d["cls"] for _, d in G.nodes(data=True))
    parts.append('<fieldset class="kg-legend" id="kg-legend"><legend>Classes</legend>')
    for cls in sorted(classes):
        swatch = f'<span class="kg-dot" style="background:{CLASS_COLOURS.get(cls, OTHER_COLOUR)}"></span>'
        parts.append(_checkbox("cls", cls, swatch, classes[cls]))
    parts.append("</fieldset>")
    modalities = Counter(d["modality"] or "unknown" for _, _, d in G.edges(data=True))
    parts.append('<fieldset class="kg-legend" id="kg-legend-facts"><legend>Facts</legend>')
    order = [*MODALITY_STYLES, *sorted(set(modalities) - set(MODALITY_STYLES))]
    for modality in order:
        colour, dashes = MODALITY_STYLES.get(modality, UNKNOWN_MODALITY_STYLE)
        parts.append(_checkbox("mod", modality, _dash_svg(colour, dashes), modalities.get(modality, 0)))
    parts.append("</fieldset>")
    relations = Counter(_local(d["predicate"]) for _, _, d in G.edges(data=True))
    parts.append('<fieldset id="kg-relations"><legend>Relations</legend>')
    parts.extend(_checkbox("rel", rel, "", relations[rel]) for rel in sorted(relations))
    parts.append("</fieldset></div></div>")
    return "\n".join(parts) + "\n"


_PANEL = (
    '<aside id="kg-panel" aria-live="polite"><p class="kg-hint">Click a node or an arrow to see its facts, '
    "with the sentences they were read in and their sources.</p></aside>"
)

# The page's own script. It reads the panel data with JSON.parse and writes every text
# with textContent: nothing from an article is ever parsed as HTML.
_SCRIPT = r"""
<script type="text/javascript">
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("kg-data").textContent);
  var STYLES = JSON.parse(document.getElementById("kg-styles").textContent);
  var panel = document.getElementById("kg-panel");

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }
  function shortName(iri) { var s = String(iri); return s.slice(Math.max(s.lastIndexOf("#"), s.lastIndexOf("/")) + 1); }
  function local(p) { var i = p.indexOf(":"); return i >= 0 ? p.slice(i + 1) : p; }
  function nameOf(iri) { var n = DATA.nodes[iri]; return n ? n.label : shortName(iri); }
  function clear() { while (panel.firstChild) { panel.removeChild(panel.firstChild); } }

  function factBlock(key, here) {
    var f = DATA.facts[key];
    var box = el("div", null, "kg-fact");
    box.setAttribute("data-fact", key);
    var style = STYLES[f.m] || STYLES.unknown;
    box.style.borderLeftColor = style[0];
    if (style[1]) { box.style.borderLeftStyle = "dashed"; }
    var head = el("div", null, "kg-fact-head");
    head.appendChild(el("span", nameOf(f.s) + " " + local(f.p) + " " + (f.lit ? f.o : nameOf(f.o))));
    var badge = el("span", f.m + (f.date ? ", " + f.date : ""), "kg-badge");
    badge.style.background = style[0];
    head.appendChild(badge);
    var other = f.s === here ? f.o : f.s;
    if (!f.lit && DATA.nodes[other] && !DATA.nodes[other].shown) {
      head.appendChild(el("span", " (" + nameOf(other) + " is not on this page)", "kg-away"));
    }
    box.appendChild(head);
    if (f.x && f.x.length) {  // in a kg:Contradiction group: red outline and a flag per other fact
      box.className += " kg-conflicted";
      f.x.forEach(function (x) {
        box.appendChild(el("div", x[0] ? "\u26a0 Contradicts (" + x[2] + "): " + x[1] : x[1], "kg-conflict"));
      });
    }
    if (f.q.length) {
      var ul = el("ul");
      f.q.forEach(function (q) {
        ul.appendChild(el("li", local(q[0]) + ": " + q[1].map(function (v) { return DATA.nodes[v] ? nameOf(v) : (v.indexOf("://") > 0 ? shortName(v) : v); }).join(", ")));
      });
      box.appendChild(ul);
    }
    f.ev.forEach(function (e) {
      box.appendChild(el("blockquote", "\u201c" + e[0] + "\u201d", "kg-sentence"));
      var art = DATA.articles[e[1]] || {};
      var where = (art.name || shortName(e[1])) + (art.date ? ", " + art.date : "") + (art.url ? " \u2014 " + art.url : "");
      var span = (e[3] !== null && e[3] !== undefined) ? ", chars " + e[3] + "\u2013" + e[4] : "";
      box.appendChild(el("div", "\u2014 " + where + " (rule " + e[2] + span + ")", "kg-source"));
    });
    if (f.evn > f.ev.length) {
      box.appendChild(el("div", "\u2026 and " + (f.evn - f.ev.length) + " more sentences (kg explain GRAPH --fact " +
                         key + " lists them all)", "kg-source"));
    }
    return box;
  }

  function showNode(id) {
    var n = DATA.nodes[id];
    if (!n) { return; }
    clear();
    panel.appendChild(el("h2", n.label, "kg-title"));
    panel.appendChild(el("div", n.cls + " \u00b7 " + id, "kg-meta"));
    panel.appendChild(el("div", "PageRank " + n.rank.toFixed(4) + " \u00b7 " + n.degree + " facts with another party", "kg-meta"));
    if (n.aliases && n.aliases.length) { panel.appendChild(el("div", "Also: " + n.aliases.join(", "), "kg-meta")); }
    panel.appendChild(el("h3", n.facts.length + (n.facts.length === 1 ? " fact" : " facts")));
    n.facts.forEach(function (k) { panel.appendChild(factBlock(k, id)); });
    panel.scrollTop = 0;
  }

  function showEdge(id) {
    if (!DATA.facts[id]) { return; }
    clear();
    var f = DATA.facts[id];
    panel.appendChild(el("h2", "Fact: " + local(f.p), "kg-title"));
    panel.appendChild(el("div", id, "kg-meta"));
    panel.appendChild(factBlock(id, f.s));
    panel.scrollTop = 0;
  }

  function checkedValues(kind) {
    var out = {};
    document.querySelectorAll('input[data-filter="' + kind + '"]').forEach(function (box) { out[box.value] = box.checked; });
    return out;
  }

  function applyFilters() {
    var cls = checkedValues("cls"), rel = checkedValues("rel"), mod = checkedValues("mod");
    var visible = {}, nodeUpdates = [], edgeUpdates = [], nShown = 0, eShown = 0;
    nodes.forEach(function (n) {
      var show = cls[n.cls] !== false;
      visible[n.id] = show;
      if (show) { nShown += 1; }
      if ((n.hidden === true) === show) { nodeUpdates.push({id: n.id, hidden: !show}); }
    });
    edges.forEach(function (e) {
      var show = rel[e.label] !== false && mod[e.modality] !== false && visible[e.from] && visible[e.to];
      if (show) { eShown += 1; }
      if ((e.hidden === true) === show) { edgeUpdates.push({id: e.id, hidden: !show}); }
    });
    nodes.update(nodeUpdates);
    edges.update(edgeUpdates);
    document.getElementById("kg-shown").textContent =
      (nShown === nodes.length && eShown === edges.length) ? "all of them shown" : nShown + " nodes and " + eShown + " facts shown by the filters";
  }
  document.querySelectorAll("input[data-filter]").forEach(function (box) { box.addEventListener("change", applyFilters); });

  var search = document.getElementById("kg-search");
  var status = document.getElementById("kg-search-status");
  var matches = [];
  function runSearch() {
    var q = search.value.trim().toLowerCase();
    matches = [];
    if (q) {
      nodes.forEach(function (n) {
        if (n.hidden) { return; }
        var d = DATA.nodes[n.id] || {};
        var names = [d.label || "", shortName(n.id)].concat(d.aliases || []);
        if (names.some(function (s) { return s.toLowerCase().indexOf(q) >= 0; })) { matches.push(n.id); }
      });
    }
    matches.sort(function (a, b) { return (DATA.nodes[b].rank - DATA.nodes[a].rank) || (a < b ? -1 : 1); });
    network.selectNodes(matches);
    status.textContent = q ? (matches.length ? matches.length + " found; Enter shows the first" : "nothing found") : "";
  }
  search.addEventListener("input", runSearch);
  document.getElementById("kg-search-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    runSearch();
    if (matches.length) {
      network.focus(matches[0], {scale: 1.2, animation: false});
      network.selectNodes([matches[0]]);
      showNode(matches[0]);
    }
  });

  network.on("click", function (params) {
    if (params.nodes.length) { showNode(params.nodes[0]); }
    else if (params.edges.length) { showEdge(params.edges[0]); }
  });
  window.kgShowNode = showNode;
  // vis-network may have drawn before this script ran; draw once more (synchronously) so
  // "ready" means drawn with every handler attached.
  network.once("afterDrawing", function () {
    window.kgReadyMs = performance.now();
    document.body.setAttribute("data-kg-ready", "1");
  });
  network.redraw();
})();
</script>
"""


# --- the page ------------------------------------------------------------------------

_REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?\s*(?:https?:)?//[^>]*>", re.I)
_REMOTE_SCRIPT = re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?\s*(?:https?:)?//[^>]*>\s*</script>", re.I)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_EMPTY_HEADING = re.compile(r"<center>\s*<h1>\s*</h1>\s*</center>\s*")
_NETWORK_DIV = '<div id="mynetwork" class="card-body"></div>'


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


def _class_set(classes) -> set[str] | None:
    if not classes:
        return None
    known = {c.casefold(): c for c in (*ENTITY_CLASSES, COUNT_CLASS, "Entity")}
    wanted, unknown = set(), []
    for c in classes:
        for part in str(c).split(","):
            part = part.strip()
            if not part:
                continue
            name = known.get(part.casefold())
            if name is None:
                unknown.append(part)
                continue
            wanted.add(name)
            wanted.update(SUBCLASSES.get(name, ()))
    if unknown:
        raise RenderOptionError(f"unknown class {', '.join(map(repr, unknown))}; use some of {', '.join(sorted(known.values()))}")
    return wanted


def _select(G: nx.MultiDiGraph, rank: dict[str, float], *, max_nodes: int, focus: str | None = None,
            hops: int = 1, classes=None) -> tuple[nx.MultiDiGraph, list[str]]:
    """The subgraph to draw and, in words, what was left out and why."""
    keep = set(G.nodes)
    reasons = []
    focus_iri = None
    if focus is not None:
        focus_iri = resolve_entity(G, focus)
        near = nx.single_source_shortest_path_length(party_graph(G), focus_iri, cutoff=hops)
        keep = set(near)
        reasons.append(f"showing the {hops}-hop neighbourhood of {G.nodes[focus_iri]['label']} "
                       f"({len(G) - len(keep)} nodes further away left out)")
    wanted = _class_set(classes)
    if wanted is not None:
        before = len(keep)
        keep = {n for n in keep if G.nodes[n]["cls"] in wanted or n == focus_iri}
        reasons.append(f"only the classes {', '.join(sorted(wanted))} ({before - len(keep)} nodes of other classes left out)")
    if len(keep) > max_nodes:
        before = len(keep)
        ranked = sorted(keep, key=lambda n: (n != focus_iri, -rank[n], n))
        keep = set(ranked[:max_nodes])
        reasons.append(f"only the {max_nodes} with the highest PageRank are shown ({before - len(keep)} left out by the cap)")
    if len(keep) == len(G):
        return G, []
    H = nx.MultiDiGraph()
    for n in sorted(keep):
        H.add_node(n, **G.nodes[n])
    for u, v, k, d in sorted(G.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2])):
        if u in keep and v in keep:
            H.add_edge(u, v, key=k, **d)
    notes = [f"{len(G) - len(keep)} of {len(G)} nodes left out: " + "; ".join(reasons) + "."]
    hidden_facts = G.number_of_edges() - H.number_of_edges()
    if hidden_facts:
        notes.append(f"{hidden_facts} facts with a party left out are not drawn; they are listed in the panel "
                     "of the party that is shown.")
    return H, notes


def _network(G: nx.MultiDiGraph, full: nx.MultiDiGraph, rank: dict[str, float], names: dict[str, str],
             conflicts: dict, degree: dict[str, int]) -> Network:
    net = Network(height="780px", width="100%", directed=True, cdn_resources="in_line", heading="")
    net.options = {
        "physics": {"enabled": False},
        "layout": {"improvedLayout": False},
        "interaction": {"hover": True, "tooltipDelay": 150, "multiselect": True, "hideEdgesOnDrag": len(G) > 200},
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
            n,
            label=attrs["label"] or n,
            color=CLASS_COLOURS.get(attrs["cls"], OTHER_COLOUR),
            title=_title(_node_title(G, full, n, rank[n], degree.get(n, full.degree(n)))),
            size=round(8 + 32 * math.sqrt(rank[n] / top), 2),
            x=x,
            y=y,
            cls=attrs["cls"],
        )
    parallel: dict[tuple[str, str], int] = defaultdict(int)
    for u, v, key, d in sorted(G.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2])):
        colour, dashes = MODALITY_STYLES.get(d["modality"], UNKNOWN_MODALITY_STYLE)
        pair = (min(u, v), max(u, v))
        index = parallel[pair]
        parallel[pair] += 1
        options = {}
        if d.get("conflicts"):  # in a contradiction group (kg/corroborate.py): a red glow
            options["shadow"] = {"enabled": True, "color": CONFLICT_COLOUR, "size": 8, "x": 0, "y": 0}
        if index:  # parallel facts between the same two parties: bend them apart
            options["smooth"] = {"enabled": True, "type": "curvedCW", "roundness": round(0.15 * index, 2)}
        net.add_edge(
            u,
            v,
            id=key,
            label=_local(d["predicate"]),
            title=_title(_edge_title(G, u, v, d, names, conflicts)),
            color=colour,
            dashes=dashes,
            width=1.5 if dashes else 2,
            modality=d["modality"] or "unknown",
            **options,
        )
    return net


def _trust(p, r) -> tuple:
    """Order of facts on a crowded page: highest confidence, then between the most central
    parties, then by IRI."""
    q = dict(r.qualifiers)
    rank = p.pagerank
    try:
        confidence = float(q.get("kg:confidence", 0))
    except ValueError:
        confidence = 0.0
    return (-confidence, -(rank.get(r.subject, 0.0) + rank.get(r.object, 0.0)), r.iri)


def _left_out_note(left: int, total: int, kept: int) -> str:
    return (f"{left} of {total} facts left out: the page holds the {kept} with the highest confidence "
            "(`kg explain` and facts.csv list every fact).")


def _most_trusted(p, max_facts: int):
    """:func:`page_projection` of ``p``'s ``max_facts`` most trusted facts (:func:`_trust`)."""
    chosen = sorted(p.facts, key=lambda r: _trust(p, r))[:max_facts]
    return page_projection(p, chosen, len(p.facts))


def page_projection(p, facts, total: int):
    """A projection of ``p`` that holds only the fact records ``facts`` (of ``total``), and
    the note that says so; its nodes, PageRank and measures are those of ``p``. (A build
    gives it the records of its most trusted facts, which it alone holds with their
    sentences; ``p`` is then the build's projection without sentences.)"""
    from .analysis import Conflict, Projection

    kept = {r.iri for r in facts}
    conflicts = {c: Conflict(x.kinds, x.facts) for c, x in p.conflicts.items() if kept & set(x.facts)}
    nodes = {n: {**attrs, "literal_facts": []} for n, attrs in p.nodes.items()}
    q = Projection.of(nodes=nodes, facts=sorted(facts, key=lambda r: r.iri), conflicts=conflicts,
                      article_names=p.article_names, article_info=p.article_info, simple=p.simple,
                      pagerank=p.pagerank, centrality=p.centrality, communities=p.communities)
    notes = [_left_out_note(total - len(kept), total, len(kept))] if len(kept) < total else []
    return q, notes


def _trim(G: nx.MultiDiGraph, p, max_facts: int) -> tuple[nx.MultiDiGraph, list[str]]:
    """G with only its ``max_facts`` most trusted edges, and the note that says so."""
    by_iri = {r.iri: r for r in p.facts}
    edges = sorted(G.edges(keys=True, data=True), key=lambda e: _trust(p, by_iri[e[2]]) if e[2] in by_iri else (0, 0, e[2]))
    H = nx.MultiDiGraph()
    H.add_nodes_from(G.nodes(data=True))
    for u, v, k, d in edges[:max_facts]:
        H.add_edge(u, v, key=k, **d)
    return H, [_left_out_note(G.number_of_edges() - max_facts, G.number_of_edges(), max_facts)]


def render_page(graph, *, title: str = "Defence cooperation graph", max_nodes: int = 500, focus: str | None = None,
                hops: int = 1, classes=None, max_facts: int = MAX_PAGE_FACTS, notes: Iterable[str] = ()) -> tuple[str, RenderStats]:
    """The HTML page for ``graph`` as a string, and what it holds (see :func:`render_html`).

    ``graph`` may be a :class:`kg.analysis.Projection` of the dataset, shared with other readers.
    """
    if max_nodes < 0:
        raise RenderOptionError("max_nodes must be 0 or more")
    if hops < 0:
        raise RenderOptionError("hops must be 0 or more")
    if max_facts < 0:
        raise RenderOptionError("max_facts must be 0 or more")
    proj = projection(graph)
    degree = {n: c["degree"] for n, c in proj.centrality.items()}  # in the whole graph, also when facts are left out
    total_edges = sum(w for _u, _v, w in proj.simple.edges(data="weight"))
    capped: list[str] = list(notes)
    if focus is None and not classes and len(proj.facts) > max_facts:
        proj, capped = _most_trusted(proj, max_facts)
    full, rank = proj.graph, proj.pagerank
    G, notes = _select(full, rank, max_nodes=max_nodes, focus=focus, hops=hops, classes=classes)
    if G.number_of_edges() > max_facts:  # a focus or classes left too many: keep the most trusted of them
        G, more = _trim(G, proj, max_facts)
        capped += more
    notes = capped + notes
    info = proj.article_info
    net = _network(G, full, rank, proj.article_names, proj.conflicts, degree)
    page = net.generate_html()
    if "popup.innerHTML" in page:  # pyvis's HTML popup; _title should have made this impossible
        raise RuntimeError("pyvis switched to its innerHTML popup; a title still contains 'href'")
    page = _offline(page)
    page = _EMPTY_HEADING.sub("", page)
    if _NETWORK_DIV not in page or "</body>" not in page:
        raise RuntimeError("the pyvis template changed: cannot place the panel; check the pinned pyvis version")
    head = f"<title>{html.escape(title)}</title>\n{_CSS}"
    header = _header(title, G, full.number_of_nodes(), total_edges, notes)
    data = _panel_data(G, full, proj.facts, proj.conflicts, rank, info, notes, degree)
    styles = {m: [c, bool(d)] for m, (c, d) in [*MODALITY_STYLES.items(), ("unknown", UNKNOWN_MODALITY_STYLE)]}
    page = page.replace("<head>", "<head>\n" + head, 1)
    page = page.replace("<body>", "<body>\n" + header, 1)
    page = page.replace('<div class="card" style="width: 100%">', '<div class="card kg-main" style="width: 100%">', 1)
    page = page.replace(_NETWORK_DIV, _NETWORK_DIV + "\n" + _PANEL, 1)
    tail = _json_script("kg-data", data) + "\n" + _json_script("kg-styles", styles) + "\n" + _SCRIPT
    head_end, _, rest = page.rpartition("</body>")
    page = head_end + tail + "</body>" + rest
    if not page.lstrip().lower().startswith("<!doctype"):
        page = "<!DOCTYPE html>\n" + page
    stats = RenderStats(nodes=G.number_of_nodes(), edges=G.number_of_edges(),
                        omitted_nodes=full.number_of_nodes() - G.number_of_nodes(), notes=tuple(notes))
    return page, stats


def render_html(
    graph,
    out_path,
    *,
    title: str = "Defence cooperation graph",
    max_nodes: int = 500,
    focus: str | None = None,
    hops: int = 1,
    classes=None,
    max_facts: int = MAX_PAGE_FACTS,
    notes: Iterable[str] = (),
) -> RenderStats:
    """Write ``graph`` (a Dataset or Graph of the fact model, or its
    :class:`kg.analysis.Projection`) as one offline HTML page.

    ``focus`` (an entity id, qname, label or alias) with ``hops`` keeps the entities within
    that many facts of it; ``classes`` (class names, or comma-separated strings; a
    superclass keeps its subclasses) keeps only those classes; then at most ``max_nodes``
    nodes are kept, those with the highest PageRank, and at most ``max_facts`` facts, those
    with the highest confidence. The page says what was left out and why
    (``RenderStats.notes``). Returns the counts drawn. An unknown focus or class raises
    a :class:`~kg.errors.KGError`.

    >>> import tempfile, pathlib
    >>> from rdflib import Dataset
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "graph.html"
    >>> render_html(Dataset(), out)
    RenderStats(nodes=0, edges=0, omitted_nodes=0, notes=())
    """
    page, stats = render_page(graph, title=title, max_nodes=max_nodes, focus=focus, hops=hops, classes=classes,
                              max_facts=max_facts, notes=notes)
    write_atomic(Path(out_path), page)
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


def panel_json(page: str) -> dict:
    """The click panel's data embedded in a page written by this module: nodes, facts, articles, notes."""
    marker = '<script type="application/json" id="kg-data">'
    start = page.index(marker) + len(marker)
    return json.loads(page[start:page.index("</script>", start)])
