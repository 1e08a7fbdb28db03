"""What search costs on a large site: index size per item, the bytes a first query fetches,
indexing time and Pagefind's peak memory. Run on demand (not part of the test suite):

    python -m tests.perf.search_cost                   # 10,000 synthetic items over 24 domains
    python -m tests.perf.search_cost --items 2000 --split 1000   # force a split index

The first query is measured in a real headless Chromium (Debian's /usr/bin/chromium) on the
search page, typing into the field as a resident would: every byte the page fetches from the
moment the query is submitted until the results are shown.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generator import search_index
from generator.build import BuildOptions, build

from .synthetic import write_catalogue

CHROMIUM = "/usr/bin/chromium"


def index_only(site: Path, threshold: int) -> None:
    """Child-process entry: re-index a built site, print seconds and Pagefind's peak RSS (KiB)."""
    from generator.build import check
    from generator.render_context import RenderContext
    from generator.theme import Theme
    model = check(BuildOptions(catalog=site / ".catalog", content=None)).model
    assert model is not None
    parts = search_index.part_plan(model, threshold)
    shutil.rmtree(site / search_index.PAGEFIND_DIR)
    started = time.perf_counter()
    search_index.write_index(RenderContext(model, Theme()), site, threshold)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "peak_kib": usage.ru_maxrss,
                      "parts": len(parts)}))


def first_query_bytes(site: Path, query: str) -> tuple[dict[str, int], dict[str, int]]:
    """Bytes the first search on the search page fetches, by kind of file: (sent by the server,
    of files the page handled). A file the browser already holds (cached, or revalidated with a
    304) counts in the second only. The server's count is the one a phone pays for: the
    browser's own figures leave out what its web workers fetch."""
    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM_ARGS, serve

    sent: dict[str, int] = {}
    handled: dict[str, int] = {}
    for served in serve(site, sent):
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(served.url + "search/")
            page.wait_for_selector("#search-form:not([hidden])")
            page.wait_for_load_state("networkidle")
            sent.clear()
            responses: list[object] = []
            page.on("response", lambda response: responses.append(response))
            page.fill("#search-q", query)
            page.press("#search-q", "Enter")
            page.wait_for_function("document.getElementById('search-status').textContent.includes('找到')",
                                   timeout=120_000)
            page.wait_for_load_state("networkidle")
            bodies = [(r.url, len(r.body())) for r in responses if "/pagefind/" in r.url]  # type: ignore[attr-defined]
            browser.close()
        for url, size in bodies:
            kind = _kind(url)
            handled[kind] = handled.get(kind, 0) + size
    fetched: dict[str, int] = {}
    for path, size in sent.items():
        if "/pagefind/" in path:
            fetched[_kind(path)] = fetched.get(_kind(path), 0) + size
    return fetched, handled


def _kind(url: str) -> str:
    name = url.rsplit("/", 1)[-1].split("?")[0]
    return ("index chunks" if name.endswith(".pf_index") else "fragments (results shown)"
            if name.endswith(".pf_fragment") else "filters" if name.endswith(".pf_filter")
            else "wasm" if "wasm" in name else "metadata" if name.endswith((".pf_meta", ".json"))
            else "javascript")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--domains", type=int, default=24)
    parser.add_argument("--split", type=int, default=0, help="split threshold (0: the default in code)")
    parser.add_argument("--query", default="区民政局 办理流程")
    parser.add_argument("--index-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    threshold = args.split or search_index.SPLIT_THRESHOLD
    if args.index_only:
        index_only(args.index_only, threshold)
        return
    search_index.SPLIT_THRESHOLD = threshold
    with tempfile.TemporaryDirectory(prefix="gkml-search-cost-") as tmp:
        root = Path(tmp)
        catalog = write_catalogue(root / "catalog", args.items, args.domains)
        site = root / "site"
        started = time.perf_counter()
        report = build(BuildOptions(catalog=catalog, content=None, out=site, jobs=0))
        build_seconds = time.perf_counter() - started
        model = report.model
        active = [i for c in model.catalogues for i in c.active_items]

        started = time.process_time()
        for item in active:
            search_index.item_terms(model.catalogue_of(item), item)
        terms_seconds = time.process_time() - started

        # Pagefind alone, in a fresh process, so its peak memory is not mixed with render workers'.
        (site / ".catalog").symlink_to(catalog, target_is_directory=True)
        done = subprocess.run([sys.executable, "-m", "tests.perf.search_cost", "--index-only", str(site),
                               "--split", str(threshold)], check=True, capture_output=True, text=True)
        (site / ".catalog").unlink()
        indexing = json.loads(done.stdout.strip().splitlines()[-1])

        bundle = site / search_index.PAGEFIND_DIR
        files = [p for p in bundle.rglob("*") if p.is_file()]
        data = [p for p in files if p.suffix in (".pf_index", ".pf_fragment", ".pf_filter", ".pf_meta")]
        total = sum(p.stat().st_size for p in files)
        data_bytes = sum(p.stat().st_size for p in data)
        fetched, handled = first_query_bytes(site, args.query)

        print(f"items: {len(active)} active over {args.domains} domains; split threshold {threshold:,} "
              f"→ {indexing['parts']} index part(s)")
        print(f"build: {build_seconds:.1f} s in all (search index finisher {report.timings.get('search_index', 0):.1f} s)")
        print(f"jieba terms for every item: {terms_seconds:.2f} s CPU ({terms_seconds / len(active) * 1000:.2f} ms per item)")
        print(f"search records + Pagefind: {indexing['seconds']:.1f} s wall, {indexing['cpu']:.1f} s CPU "
              f"({indexing['cpu'] / len(active) * 1000:.2f} ms per item), peak memory {indexing['peak_kib'] / 1024:.0f} MiB")
        print(f"index on disk: {total / 1e6:.1f} MB in {len(files)} files; index data {data_bytes / 1e6:.1f} MB "
              f"= {data_bytes / len(active) / 1024:.2f} KiB per item")
        print(f"first query “{args.query}”: {sum(fetched.values()) / 1024:.0f} KiB over the network "
              f"({sum(handled.values()) / 1024:.0f} KiB of files, some of them the browser's own copies)")
        for kind, size in sorted(handled.items(), key=lambda kv: -kv[1]):
            print(f"  {kind}: {fetched.get(kind, 0) / 1024:.0f} KiB over the network, {size / 1024:.0f} KiB of files")


if __name__ == "__main__":
    main()
