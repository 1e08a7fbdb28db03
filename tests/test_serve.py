"""`gkml serve`: the editors' live preview, run as an editor runs it (a real subprocess)."""

from __future__ import annotations

import json
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .conftest import MINI, ROOT, copy_catalog
from .helpers import replace_in

PROBLEM = re.compile(r"^(?P<path>[^:]+\.yaml):(?P<line>\d+):(?P<col>\d+): error: .+$")


@dataclass
class Preview:
    process: subprocess.Popen[str]
    url: str
    catalog: Path
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue[str] = field(default_factory=queue.Queue)
    pump: threading.Thread | None = None

    def close(self) -> None:
        """End the server if still running and release its pipe."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        if self.pump is not None:
            self.pump.join(timeout=10)
        assert self.process.stdout is not None
        self.process.stdout.close()
        while not self._queue.empty():
            self.lines.append(self._queue.get())

    def wait_for_line(self, pattern: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.lines.append(line)
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line matching {pattern!r}; got:\n" + "\n".join(self.lines))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=30) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8")

    def status(self) -> dict[str, object]:
        return json.loads(self.get("__gkml__/status?since=-1")[1])


def until(check: Callable[[], bool], timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def start_preview(catalog: Path, *extra: str) -> Preview:
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", "--catalog", str(catalog), "--content", str(catalog / "none"),
         "--port", "0", *extra],
        cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    preview = Preview(process, "", catalog)

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            preview._queue.put(line.rstrip("\n"))

    preview.pump = threading.Thread(target=pump, daemon=True)
    preview.pump.start()
    line = preview.wait_for_line(r"预览地址：http://127\.0\.0\.1:\d+/")
    preview.url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)  # type: ignore[union-attr]
    return preview


def stop(preview: Preview) -> tuple[int, str]:
    if preview.process.poll() is None:
        preview.process.send_signal(signal.SIGINT)
    code = preview.process.wait(timeout=30)
    preview.close()
    return code, "\n".join(preview.lines)


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[Preview]:
    running = start_preview(copy_catalog(MINI, tmp_path / "catalog"))
    yield running
    running.close()


def test_preview_serves_the_site_at_the_root_of_the_port(preview: Preview) -> None:
    status, home = preview.get("")
    assert status == 200 and "<html lang=\"zh-CN\">" in home
    assert '<script src="/__gkml__/reload.js"' in home      # injected in the served page only
    status, item = preview.get("items/edu-catchment/")
    assert status == 200 and "<h1>招生范围</h1>" in item
    assert preview.get("items/edu-catchment")[0] == 200      # redirected to the folder
    status, missing = preview.get("no/such/page/")
    assert status == 404 and 'href="/"' in missing          # the 404 page's links work at this address
    assert preview.url.startswith("http://127.0.0.1:")


def test_preview_rebuilds_on_change_and_keeps_the_last_good_site(preview: Preview) -> None:
    education = preview.catalog / "domains" / "compulsory-education.yaml"
    replace_in(education, "name: 招生范围", "name: 招生范围（施教区）")
    until(lambda: "<h1>招生范围（施教区）</h1>" in preview.get("items/edu-catchment/")[1], what="the rebuilt page")
    built = preview.status()["build"]

    replace_in(education, "mode: 主动\n    levels: [县级, 乡级]", "mode: 主动公开\n    levels: [县级, 乡级]")
    line = preview.wait_for_line(r"compulsory-education\.yaml:\d+:\d+: error: ")
    match = PROBLEM.match(line)
    assert match and "主动公开" in line
    state = preview.status()
    assert state["ok"] is False and state["build"] == built
    assert any("compulsory-education.yaml" in p and "主动公开" in p for p in state["problems"])  # type: ignore[union-attr]
    status, page = preview.get("items/edu-catchment/")
    assert status == 200 and "<h1>招生范围（施教区）</h1>" in page   # the last good site is still served

    replace_in(education, "mode: 主动公开", "mode: 主动")
    until(lambda: preview.status()["ok"] is True, what="the fixed build")
    assert preview.status()["build"] == built + 1  # type: ignore[operator]


def test_ctrl_c_exits_cleanly(preview: Preview) -> None:
    code, output = stop(preview)
    assert code == 0
    assert "Traceback" not in output and "已停止预览" in output


def test_first_build_failing_still_serves_a_page_with_the_problems(tmp_path: Path) -> None:
    catalog = copy_catalog(MINI, tmp_path / "catalog")
    education = catalog / "domains" / "compulsory-education.yaml"
    replace_in(education, "subject: 区教育局", "subject:")
    preview = start_preview(catalog)
    try:
        status, page = preview.get("")
        assert status == 503 and "网站尚未生成" in page and "reload.js" in page
        assert any("subject" in p for p in preview.status()["problems"])  # type: ignore[union-attr]
        replace_in(education, "subject:", "subject: 区教育局")
        until(lambda: preview.get("")[0] == 200, what="the first good build")
    finally:
        stop(preview)


def test_a_busy_port_is_a_usage_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "generator", "serve", "--catalog", str(MINI),
                                 "--port", str(port)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert f"端口 {port}" in result.stderr and "Traceback" not in result.stderr


def test_normal_builds_carry_no_reload_script(mini_site: Path) -> None:
    for page in mini_site.rglob("*.html"):
        assert "__gkml__" not in page.read_text(encoding="utf-8"), page


@pytest.mark.browser
def test_browser_reloads_by_itself_and_shows_problems_over_the_page(preview: Preview, page: object) -> None:
    education = preview.catalog / "domains" / "compulsory-education.yaml"
    page.goto(preview.url + "items/edu-catchment/")  # type: ignore[attr-defined]
    assert page.text_content("h1") == "招生范围"  # type: ignore[attr-defined]
    time.sleep(0.5)   # let the page open its long poll
    replace_in(education, "name: 招生范围", "name: 招生范围（新）")
    page.wait_for_function("(document.querySelector('h1') || {}).textContent === '招生范围（新）'", timeout=60_000)  # type: ignore[attr-defined]

    replace_in(education, "subject: 区教育局\n    channels: [政府网站]", "subject: 区教育局\n    channels: [微信群]")
    alert = page.wait_for_selector("[role=alert]", timeout=60_000)  # type: ignore[attr-defined]
    text = alert.inner_text()
    assert "目录数据有错误" in text and "微信群" in text and "compulsory-education.yaml:" in text
    assert page.text_content("h1") == "招生范围（新）"  # type: ignore[attr-defined]
    assert alert.is_visible()

    replace_in(education, "channels: [微信群]", "channels: [政府网站]")
    page.wait_for_selector("[role=alert]", state="detached", timeout=60_000)  # type: ignore[attr-defined]
    assert page.outside_requests == []  # type: ignore[attr-defined]


def test_a_full_disk_keeps_the_last_good_preview_and_says_why(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import os

    from generator import serve
    said: list[str] = []
    state = serve.PreviewState()
    builder = serve.Builder(copy_catalog(MINI, tmp_path / "catalog"), None, None, "http://127.0.0.1:1/",
                            tmp_path / "work", state, said.append)
    assert builder.rebuild() and state.build == 1
    good = state.root

    def full(options: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / "work" / "site" / "catalog.json"))
    monkeypatch.setattr(serve, "build", full)
    assert builder.rebuild() is False
    assert state.root == good and state.build == 1 and state.problems
    assert state.problems[0].startswith("读写文件失败：") and "catalog.json——磁盘空间不足" in state.problems[0]
    assert said[-1] == f"错误：{state.problems[0]}" and not any("Traceback" in line for line in said)
