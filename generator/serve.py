"""``gkml serve``: a live preview for editors on http://127.0.0.1:PORT/.

Each build goes into a fresh folder in a private temporary directory (never ``build/``); the
server switches to it only when the build succeeded, so a mistake in a file never takes the
preview down — the last good site stays up, and the problems are shown in the terminal and
over the page. Pages get a small script, injected only in the served HTML (never in built
files), that long-polls the server and reloads the page when a new build is ready.
"""

from __future__ import annotations

import http.server
import json
import mimetypes
import socketserver
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from .build import BuildOptions, build
from .problems import CatalogueError, UsageError, describe_os_error
from .report import summary

#: URLs under this prefix belong to the preview server, not to the site.
CONTROL = "/__gkml__/"
#: How long a status request waits for news before answering "nothing new".
POLL_SECONDS = 20.0
#: Editors save in bursts (several files, editor swap files): wait this long for quiet.
DEBOUNCE_SECONDS = 0.3

RELOAD_SCRIPT = r"""/* gkml serve only: reload the page when a new build is ready; show build problems over it.
   Injected into served pages by the preview server; never part of a built site. */
(function () {
  "use strict";
  var me = document.currentScript;
  var build = me ? me.getAttribute("data-build") : null;
  var version = -1;

  function overlay(problems) {
    var box = document.getElementById("gkml-serve-overlay");
    if (!problems.length) {
      if (box) { box.parentNode.removeChild(box); }
      return;
    }
    if (box) { box.parentNode.removeChild(box); }
    box = document.createElement("div");
    box.id = "gkml-serve-overlay";
    box.setAttribute("role", "alert");
    box.style.cssText = "position:fixed;top:0;left:0;right:0;z-index:2147483647;max-height:60vh;overflow:auto;" +
      "margin:0;padding:1rem 1.25rem;background:#fff8e1;color:#1a1a1a;border-bottom:4px solid #b00020;" +
      "font:16px/1.6 system-ui,sans-serif;box-shadow:0 2px 8px rgba(0,0,0,.3)";
    var heading = document.createElement("h2");
    heading.textContent = "目录数据有错误，网站没有更新";
    heading.style.cssText = "margin:0 0 .5rem;font-size:1.25rem;color:#b00020";
    var intro = document.createElement("p");
    intro.textContent = "gkml 发现以下问题（终端中也已列出）。改正并保存后页面会自动刷新；在此之前显示的是上一次成功生成的网站。";
    intro.style.margin = "0 0 .5rem";
    var list = document.createElement("ul");
    list.style.cssText = "margin:0 0 .75rem;padding-left:1.25rem;font-family:ui-monospace,monospace;word-break:break-all";
    problems.forEach(function (line) {
      var item = document.createElement("li");
      item.textContent = line;
      list.appendChild(item);
    });
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "关闭提示";
    close.style.cssText = "font:inherit;padding:.25rem 1rem;min-height:44px;cursor:pointer";
    close.addEventListener("click", function () { box.parentNode.removeChild(box); });
    box.appendChild(heading);
    box.appendChild(intro);
    box.appendChild(list);
    box.appendChild(close);
    document.body.insertBefore(box, document.body.firstChild);
  }

  function poll() {
    fetch("/__gkml__/status?since=" + version, { cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (status) {
        if (build !== null && String(status.build) !== build && status.ok) {
          window.location.reload();
          return;
        }
        if (status.version !== version) { overlay(status.problems); }
        version = status.version;
        poll();
      })
      .catch(function () { window.setTimeout(poll, 1000); });  // the server is restarting
  }

  poll();
})();
"""


@dataclass
class PreviewState:
    """What the server serves and what open pages are told; guarded by ``changed``."""

    root: Path | None = None          # the last good build
    build: int = 0                    # its number (0: none yet)
    version: int = 0                  # bumped on every build attempt, good or bad
    problems: list[str] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def snapshot(self) -> dict[str, object]:
        return {"version": self.version, "build": self.build, "ok": not self.problems, "problems": self.problems}

    def succeeded(self, root: Path) -> Path | None:
        with self.changed:
            old, self.root = self.root, root
            self.build += 1
            self.version += 1
            self.problems = []
            self.changed.notify_all()
        return old

    def failed(self, problems: list[str]) -> None:
        with self.changed:
            self.version += 1
            self.problems = problems
            self.changed.notify_all()

    def wait(self, since: int, timeout: float) -> dict[str, object]:
        with self.changed:
            self.changed.wait_for(lambda: self.version != since, timeout=timeout)
            return self.snapshot()


class Builder:
    """Builds into ``workdir/site`` and publishes each good build to the state.

    Each rebuild is incremental (the build's cache beside that folder): an edit re-renders the
    pages it touches and moves them in, a failed build leaves the last good site as it was.
    """

    def __init__(self, catalog: Path, content: Path | None, theme: Path | None, base_url: str, workdir: Path,
                 state: PreviewState, say: Callable[[str], None]):
        self.catalog, self.content, self.theme = catalog, content, theme
        self.base_url, self.workdir, self.state, self.say = base_url, workdir, state, say
        self.count = 0

    def rebuild(self) -> bool:
        self.count += 1
        out = self.workdir / "site"
        # One process: forked workers would each print a traceback on Ctrl-C, and a
        # preview rebuild is small next to the time an editor takes to look at it.
        options = BuildOptions(catalog=self.catalog, content=self.content, theme=self.theme, out=out,
                               base_url=self.base_url, jobs=1, cache=True)
        started = time.perf_counter()
        try:
            report = build(options)
        except CatalogueError as exc:
            lines = [p.format() for p in exc.problems.sorted()]
            # State first, then the terminal: whoever reads the message must find the overlay ready.
            self.state.failed(lines)
            for line in lines:
                self.say(line)
            self.say(f"目录数据有错误（{summary(exc.problems)}）：网页仍显示上一次成功生成的版本，改正后自动更新。")
            return False
        except UsageError as exc:
            self.state.failed([str(exc)])
            self.say(f"错误：{exc}")
            return False
        except OSError as exc:     # a full disk, say: the preview keeps showing the last build
            self.state.failed([describe_os_error(exc)])
            self.say(f"错误：{describe_os_error(exc)}")
            return False
        except Exception as exc:  # a broken template while editing a theme, say
            where = f"{exc.filename}:{exc.lineno}: " if getattr(exc, "filename", None) and getattr(exc, "lineno", None) \
                else ""
            line = f"{where}error: 生成网站时出错：{type(exc).__name__}: {exc}"
            self.state.failed([line])
            self.say(line)
            return False
        self.state.succeeded(out)
        for line in (p.format() for p in report.problems.sorted()):
            self.say(line)
        self.say(f"已生成（{report.files} 个文件，用时 {time.perf_counter() - started:.1f} 秒）。")
        return True


# --- HTTP ----------------------------------------------------------------------------------

def inject(html: bytes, state: PreviewState) -> bytes:
    """Add the reload script before ``</body>`` of a served page (built files are untouched)."""
    tag = (f'<script src="{CONTROL}reload.js" data-build="{state.build}" defer></script>\n').encode()
    at = html.rfind(b"</body>")
    return html[:at] + tag + html[at:] if at >= 0 else html + tag


def waiting_page(state: PreviewState) -> bytes:
    """Served while no build has succeeded yet; the overlay lists the problems."""
    return ("<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<title>gkml 预览：尚未生成</title></head><body>\n<main><h1>网站尚未生成</h1>"
            "<p>目录数据有错误，还没有成功生成过网站。问题列在终端中和本页上方；改正后本页会自动刷新。</p></main>\n"
            "</body></html>\n").encode("utf-8")


class Handler(http.server.BaseHTTPRequestHandler):
    state: PreviewState
    server_version = "gkml-serve"

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def do_GET(self) -> None:
        self._respond(head=False)

    def _respond(self, head: bool) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        if path == CONTROL + "reload.js":
            return self._send(200, "text/javascript; charset=utf-8", RELOAD_SCRIPT.encode("utf-8"), head)
        if path == CONTROL + "status":
            since = parse_qs(parts.query).get("since", ["-1"])[0]
            snapshot = self.state.wait(int(since) if since.lstrip("-").isdigit() else -1, POLL_SECONDS)
            body = json.dumps(snapshot, ensure_ascii=False).encode("utf-8")
            return self._send(200, "application/json; charset=utf-8", body, head)
        root = self.state.root
        if root is None:
            return self._send(503, "text/html; charset=utf-8", inject(waiting_page(self.state), self.state), head)
        target = (root / path.lstrip("/")).resolve()
        if root.resolve() not in (target, *target.parents):
            return self._not_found(root, head)
        if target.is_dir():
            if not path.endswith("/"):
                self.send_response(301)
                self.send_header("Location", parts.path + "/" + (f"?{parts.query}" if parts.query else ""))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            target = target / "index.html"
        if not target.is_file():
            return self._not_found(root, head)
        return self._send_file(200, target, head)

    def _not_found(self, root: Path, head: bool) -> None:
        page = root / "404.html"
        if page.is_file():
            return self._send_file(404, page, head)
        return self._send(404, "text/plain; charset=utf-8", "404 页面不存在".encode("utf-8"), head)

    def _send_file(self, status: int, path: Path, head: bool) -> None:
        body = path.read_bytes()
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if kind == "text/html":
            body = inject(body, self.state)
        if kind.startswith("text/") or kind in ("application/json", "application/xml", "image/svg+xml",
                                                "application/javascript", "text/javascript"):
            kind += "; charset=utf-8"
        self._send(status, kind, body, head)

    def _send(self, status: int, kind: str, body: bytes, head: bool) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")   # a preview must never show a stale page
            self.end_headers()
            if not head:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass   # the browser went away (a reload while a long poll was open)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass   # the terminal is for the editor's problems, not for access logs


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = False   # a second `gkml serve` on the same port must fail, not share it


def make_server(port: int, state: PreviewState) -> Server:
    handler = type("PreviewHandler", (Handler,), {"state": state})
    try:
        # 127.0.0.1 only: a preview of unpublished data is not for the office network.
        return Server(("127.0.0.1", port), handler)
    except OSError as exc:
        raise UsageError(f"无法使用端口 {port}（{exc.strerror or exc}）：可能已有程序在用，请用 --port 换一个，"
                         "或用 --port 0 自动选择") from None


# --- watching ------------------------------------------------------------------------------

_IGNORED_SUFFIXES = (".swp", ".swx", ".swo", ".tmp", "~", ".part", ".crdownload")


def relevant(path: str) -> bool:
    """Editor swap and backup files are not changes to the catalogue."""
    name = Path(path).name
    return not (name.startswith((".", "#", "~$")) or name.endswith(_IGNORED_SUFFIXES) or name == "4913")


def watch(folders: list[Path], trigger: threading.Event) -> object:
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer

    class OnChange(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.event_type in ("opened", "closed_no_write"):
                return
            paths = [str(event.src_path), str(getattr(event, "dest_path", "") or "")]
            if event.is_directory and event.event_type == "modified":
                return
            if any(p and relevant(p) for p in paths):
                trigger.set()

    observer = Observer()
    for folder in folders:
        observer.schedule(OnChange(), str(folder), recursive=True)
    observer.daemon = True
    observer.start()
    return observer


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
