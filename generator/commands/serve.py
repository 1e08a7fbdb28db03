"""``gkml serve``: build, serve on 127.0.0.1, rebuild and reload the browser on every change."""

from __future__ import annotations

import shutil
import signal
import tempfile
import threading
from pathlib import Path
from types import FrameType

from ..problems import UsageError
from ..serve import DEBOUNCE_SECONDS, Builder, PreviewState, make_server, say, watch
from ..theme_paths import DEFAULT_THEME


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt   # `kill` (SIGTERM) ends the preview as cleanly as Ctrl-C


def run(catalog: Path, content: Path | None, theme: Path | None, port: int) -> int:
    if not catalog.is_dir():
        raise UsageError(f"找不到目录数据文件夹 {catalog}：请用 --catalog 指定，或在目录仓库的根目录运行")
    content = content if content and content.is_dir() else None
    state = PreviewState()
    server = make_server(port, state)
    port = server.server_address[1]
    url = f"http://127.0.0.1:{port}/"
    workdir = Path(tempfile.mkdtemp(prefix="gkml-serve-"))
    # Served at the root of the port: links are relative already; the 404 page and QR
    # codes use base_url, so it must name this address, not the published one.
    builder = Builder(catalog, content, theme, url, workdir, state, say)
    trigger = threading.Event()
    stopping = threading.Event()
    folders = [f for f in (catalog, content, theme, DEFAULT_THEME) if f is not None and f.is_dir()]
    observer = None
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    # SIGINT too: a shell starting the preview in the background leaves SIGINT ignored.
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        # Watch first: a file saved while the first build runs must still trigger a rebuild.
        observer = watch(folders, trigger)
        say("正在生成预览……")
        builder.rebuild()
        serving.start()
        say(f"预览地址：{url}  （修改 {catalog} 等文件后自动重新生成并刷新页面；按 Ctrl-C 退出）")
        while not stopping.is_set():
            if not trigger.wait(timeout=0.5):
                continue
            # Let a burst of saves settle, then build once for all of them.
            while trigger.wait(timeout=DEBOUNCE_SECONDS):
                trigger.clear()
            say("检测到文件变化，正在重新生成……")
            builder.rebuild()
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if observer is not None:
            observer.stop()  # type: ignore[attr-defined]
        if serving.is_alive():
            server.shutdown()   # returns once serve_forever has stopped
        server.server_close()
        shutil.rmtree(workdir, ignore_errors=True)
    say("已停止预览。")
    return 0

