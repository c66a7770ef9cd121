"""Serve a build folder on 127.0.0.1: a read-only SPARQL 1.1 Protocol endpoint and the HTML view.

The SPARQL engine is the oxigraph server (the ``oxigraph`` package on PyPI) run as
``oxigraph serve-read-only`` over `kg query`'s store of the build (OUT/.kg-store: graph.nq's
named graphs and, as the default graph, their union with each triple once, from graph.ttl),
so that both give the same answers, counts included. Oxigraph would follow SERVICE to any host, so it
listens on a second loopback port behind a small front: the front serves graph.html (and
the other files of the build), checks each query, refuses SERVICE and updates, pre-binds
the project's prefixes and passes the rest to oxigraph unchanged.

    with serve("build", port=7878) as server:
        print(server.sparql_url)   # http://127.0.0.1:7878/sparql
        server.wait()
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .errors import InputError, KGError
from .process import end_with_parent

HOST = "127.0.0.1"
QUERY_TIMEOUT_S = 30
STATIC_CHUNK = 1 << 20  # bytes of a served file read at a time
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".ttl": "text/turtle", ".trig": "application/trig",
                 ".nq": "application/n-quads", ".jsonld": "application/ld+json", ".csv": "text/csv; charset=utf-8",
                 ".json": "application/json", ".md": "text/markdown; charset=utf-8", ".graphml": "application/xml",
                 ".gexf": "application/xml"}


class ServeError(KGError):
    """The server could not start (no oxigraph, port taken, store not loadable)."""


def oxigraph_binary() -> str:
    """The `oxigraph` command, beside this Python first (a venv), then on PATH."""
    here = Path(sys.executable).parent / "oxigraph"
    if here.is_file():
        return str(here)
    found = shutil.which("oxigraph")
    if not found:
        raise ServeError("the oxigraph server is not installed; pip install oxigraph")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen | None = None, timeout: float = 20.0) -> None:
    """Poll ``url`` until it answers (any HTTP status) or raise ServeError."""
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            err = proc.stderr.read().decode("utf-8", "replace").strip() if proc.stderr else ""
            raise ServeError(f"oxigraph exited with code {proc.returncode}: {err.splitlines()[-1] if err else 'no message'}")
        try:
            with opener.open(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise ServeError(f"{url} did not answer within {timeout:g} s")


def load_location(nquads: Path, location: Path) -> None:
    """Bulk-load an RDF file (N-Quads; Turtle goes into the default graph) into an oxigraph
    store folder (given 10 minutes, or a second a MB for a larger file: a 200 MB build's
    graph.nq is 3.3 GB)."""
    timeout = max(600.0, nquads.stat().st_size / 2**20)
    proc = subprocess.run([oxigraph_binary(), "load", "--location", str(location), "--file", str(nquads)],
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        msg = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise ServeError(f"{nquads}: oxigraph could not load it: {msg}")


def start_oxigraph(location: Path, port: int, *, read_only: bool = True, union: bool = True) -> subprocess.Popen:
    """Start the oxigraph server on 127.0.0.1:port over ``location`` and wait until it answers."""
    cmd = [oxigraph_binary(), "serve-read-only" if read_only else "serve", "--location", str(location),
           "--bind", f"{HOST}:{port}", "--timeout-s", str(QUERY_TIMEOUT_S)]
    if union:
        cmd.append("--union-default-graph")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=end_with_parent)
    try:
        wait_until_up(f"http://{HOST}:{port}/", proc)
    except BaseException:
        stop_process(proc)
        raise
    return proc


def stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stderr:
        proc.stderr.close()


# --- the front ------------------------------------------------------------------------------


def _front_handler(build_dir: Path, backend: str):
    from .query import prepare
    from .vocab import sparql_prologue

    files = {p.name: p for p in sorted(build_dir.iterdir()) if p.is_file() and not p.name.startswith(".")}
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    class Front(BaseHTTPRequestHandler):
        server_version = "kg-serve"
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # the library prints nothing
            pass

        def _reply(self, status: int, body: bytes, ctype: str = "text/plain; charset=utf-8", extra: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Content-Type-Options", "nosniff")
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _static(self, name: str) -> None:
            """A file of the build, sent in pieces (graph.nq of a large build is GBs: never read whole)."""
            p = files.get(name)
            if p is None:
                self._reply(404, b"not found\n")
                return
            try:
                fh = p.open("rb")
            except OSError:
                self._reply(404, b"not found\n")
                return
            with fh:
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPES.get(p.suffix, "application/octet-stream"))
                self.send_header("Content-Length", str(os.fstat(fh.fileno()).st_size))
                self.send_header("X-Content-Type-Options", "nosniff")
                self.end_headers()
                if self.command != "HEAD":
                    shutil.copyfileobj(fh, self.wfile, STATIC_CHUNK)

        def _query(self, text: str | None, params: dict) -> None:
            if not text:
                self._reply(400, b"no query: send ?query=... or POST application/sparql-query\n")
                return
            try:
                prepare(text, allow_network=False, refuse_from=False)
            except KGError as e:
                self._reply(400, (str(e).replace(" (pass --allow-network to permit)", "") + "\n").encode("utf-8"))
                return
            passed = [(k, v) for k, vs in params.items() if k in ("default-graph-uri", "named-graph-uri") for v in vs]
            url = backend + ("?" + urllib.parse.urlencode(passed) if passed else "")
            headers = {"Content-Type": "application/sparql-query", "Accept": self.headers.get("Accept", "application/sparql-results+json")}
            req = urllib.request.Request(url, data=(sparql_prologue() + text).encode("utf-8"), headers=headers, method="POST")
            try:
                with opener.open(req, timeout=QUERY_TIMEOUT_S + 5) as resp:
                    self._reply(resp.status, resp.read(), resp.headers.get("Content-Type", "application/octet-stream"))
            except urllib.error.HTTPError as e:
                self._reply(e.code, e.read(), e.headers.get("Content-Type", "text/plain"))
            except OSError as e:
                self._reply(502, f"the SPARQL engine did not answer: {e}\n".encode("utf-8"))

        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            params = urllib.parse.parse_qs(url.query)
            if url.path in ("/sparql", "/query"):
                self._query((params.get("query") or [None])[0], params)
            elif url.path == "/":
                self._reply(302, b"", extra={"Location": "/graph.html"}) if "graph.html" in files else self._reply(404, b"no graph.html\n")
            elif url.path.startswith("/") and "/" not in url.path[1:]:
                self._static(urllib.parse.unquote(url.path[1:]))
            else:
                self._reply(404, b"not found\n")

        do_HEAD = do_GET

        def do_POST(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            params = urllib.parse.parse_qs(url.query)
            if url.path in ("/update", "/store") or "update" in urllib.parse.parse_qs(body.decode("utf-8", "replace")):
                self._reply(403, b"read-only: this endpoint refuses updates\n")
                return
            if url.path not in ("/sparql", "/query"):
                self._reply(404, b"not found\n")
                return
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if ctype == "application/sparql-query":
                text = body.decode("utf-8", "replace")
            elif ctype == "application/x-www-form-urlencoded":
                form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
                params.update({k: v for k, v in form.items() if k != "query"})
                text = (form.get("query") or [None])[0]
            else:
                self._reply(415, b"send application/sparql-query or a form with query=\n")
                return
            self._query(text, params)

        def _refuse(self) -> None:
            self._reply(405, b"read-only: method not allowed\n")

        do_PUT = do_DELETE = do_PATCH = _refuse

    return Front


@dataclass
class Server:
    """A running `kg serve`: the front (HTML and /sparql) and the oxigraph process behind it."""

    build_dir: Path
    port: int
    backend_port: int
    triples: int
    _front: ThreadingHTTPServer = field(repr=False)
    _proc: subprocess.Popen = field(repr=False)
    _tmp: tempfile.TemporaryDirectory = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    @property
    def sparql_url(self) -> str:
        return f"http://{HOST}:{self.port}/sparql"

    @property
    def html_url(self) -> str:
        return f"http://{HOST}:{self.port}/graph.html"

    def wait(self) -> None:
        """Block until the oxigraph process ends (or KeyboardInterrupt)."""
        while self._proc.poll() is None:
            time.sleep(0.5)

    def close(self) -> None:
        self._front.shutdown()
        self._front.server_close()
        stop_process(self._proc)
        self._tmp.cleanup()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def serve(build_dir, *, port: int = 7878) -> Server:
    """Serve ``build_dir`` read-only on 127.0.0.1: its named graphs (graph.nq) and, as the
    default graph, their union with each triple once (graph.ttl), as `kg query` reads a
    build. The store is `kg query`'s on disk (``build_dir``/.kg-store, made by the first of
    them and kept while the build is unchanged), so a large build is loaded once; a folder
    that cannot hold it is loaded into a temporary store."""
    from .query import disk_store, STORE_DIRNAME

    d = Path(build_dir)
    nq, ttl = d / "graph.nq", d / "graph.ttl"
    if not d.is_dir():
        raise InputError(f"{d}: not a build folder (run kg build first)")
    if not nq.is_file():
        raise InputError(f"{nq}: missing; kg serve needs a build folder with graph.nq")
    binary = oxigraph_binary()  # fail early with the fix
    del binary
    tmp = tempfile.TemporaryDirectory(prefix="kg-serve-")
    try:
        shared = disk_store(d) if ttl.is_file() else None
        if shared is not None:
            del shared  # (this process's read-only handle; the server opens the folder itself)
            location, union = d / STORE_DIRNAME, False
        else:
            location, union = Path(tmp.name) / "store", not ttl.is_file()
            load_location(nq, location)
            if ttl.is_file():
                load_location(ttl, location)  # into the default graph
        backend_port = free_port()
        proc = start_oxigraph(location, backend_port, read_only=True, union=union)
    except BaseException:
        tmp.cleanup()
        raise
    try:
        front = ThreadingHTTPServer((HOST, port), _front_handler(d, f"http://{HOST}:{backend_port}/query"))
    except OSError as e:
        stop_process(proc)
        tmp.cleanup()
        raise ServeError(f"cannot listen on {HOST}:{port}: {e.strerror or e}; choose another --port") from None
    front.daemon_threads = True
    thread = threading.Thread(target=front.serve_forever, name="kg-serve", daemon=True)
    thread.start()
    triples = sum(1 for line in nq.open(encoding="utf-8") if line.strip() and not line.startswith("#"))
    return Server(d, front.server_address[1], backend_port, triples, front, proc, tmp, thread)
