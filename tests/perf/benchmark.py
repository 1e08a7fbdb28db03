"""Benchmark at city scale: cold, no-change and one-item builds, against Hugo on the same data.

Run on demand (not part of the test suite):

    python -m tests.perf.benchmark                        # 10,000 items: 24 domains, 200 lists
    python -m tests.perf.benchmark --items 100000 --districts 16 --lists 3000
    python -m tests.perf.benchmark --items 2000 --where /dev/shm --no-hugo
    python -m tests.perf.benchmark --items 100000 --districts 16 --lists 3000 --no-search --pairs 3

For each data set it builds, each as its own process, the way `gkml build` does:

* cold: no previous --out, no cache; everything (pages, QR codes, posters, search index)
* cold render: the same without the search index (``--no-search``), to compare with Hugo
* no change: the cold build's folder built again with nothing edited
* one item: one item's name edited, then built again (search index included; its share shown)
* Hugo: one content page per item with the same fields in front matter and a plain layout;
  its program is read once before its first run, as gkml's code was by the runs before
* with ``--pairs N``: the cold render and Hugo again, alternately, N − 1 more times; the ratio
  reported is the median of the N pairs'

and prints wall time, CPU time, the peak resident memory of the largest process of each
(the build, a render worker or Pagefind) and the peak of all its processes together (their
proportional set size, so pages forked workers share count once). ``--where`` picks the folder (a disk or tmpfs such as
/dev/shm): writing 300,000 small files costs very differently on each.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from generator.cache import cache_dir

from .synthetic import write_catalogue

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    name: str
    wall: float
    cpu: float
    peak_mib: float
    details: dict[str, object] = field(default_factory=dict)
    #: Peak memory of all its processes together (PSS, sampled 4×/s for 5 s, then every second).
    together_mib: float = float("nan")


def measure(name: str, command: list[str], cwd: Path | None = None) -> Run:
    """Run ``command`` through a fresh Python parent, so the peak RSS read is this run's alone.

    Each run's line is printed as soon as it is measured: a long run that fails later keeps them.
    """
    wrapper = [sys.executable, "-c", _WRAPPER, *command]
    # As installed, gkml's modules load from bytecode (pip compiles them): a shell that sets
    # PYTHONDONTWRITEBYTECODE would make every build compile them again (~0.1 s of an edit).
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(wrapper, capture_output=True, text=True, cwd=cwd, check=False, env=environment)
    if done.returncode != 0:
        print(f"{name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}", flush=True)
        return Run(f"{name} (failed)", float("nan"), float("nan"), float("nan"))
    figures = json.loads(done.stderr.strip().splitlines()[-1])
    details: dict[str, object] = {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            details = json.loads(line)
    run = Run(name, figures["wall"], figures["cpu"], figures["maxrss"] / 1024, details, figures["together"] / 1024)
    print(f"  measured: {_line(run)}", flush=True)
    return run


_WRAPPER = """
import json, os, resource, subprocess, sys, time

def tree_pss(root):
    # The proportional set size of the run's whole process tree: pages forked workers share
    # are counted once, split between them (plain RSS would count them in every worker).
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as stat:
                    children.setdefault(int(stat.read().rsplit(b")", 1)[1].split()[1]), []).append(int(name))
            except OSError:
                pass
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        pending.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
                for line in rollup:
                    if line.startswith(b"Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total

started = time.perf_counter()
process = subprocess.Popen(sys.argv[1:])
together = 0
while process.poll() is None:
    together = max(together, tree_pss(process.pid))
    try:
        # Reading the smaps of big processes costs CPU: four times a second for the first 5 s (a
        # short build is still measured), then once a second.
        process.wait(timeout=0.25 if time.perf_counter() - started < 5 else 1.0)
    except subprocess.TimeoutExpired:
        pass
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": time.perf_counter() - started, "cpu": usage.ru_utime + usage.ru_stime,
                  "maxrss": usage.ru_maxrss, "together": together}), file=sys.stderr)
sys.exit(process.returncode)
"""


def gkml(catalog: Path, out: Path, *, jobs: int, cache: bool, search: bool, python: str = sys.executable) -> list[str]:
    """The command of one build; ``python``: an interpreter with gkml's dependencies (a venv's)."""
    return [python, "-m", "tests.perf.driver", str(catalog), str(out), str(jobs),
            "1" if cache else "0", "1" if search else "0"]


def edit_one_item(catalog: Path, mark: str = "（修订）") -> None:
    """Rename the first item of the first domain catalogue, as an editor's fix would."""
    path = sorted((catalog / "domains").glob("*.yaml"))[0]
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"(\n  name: )([^\n]*)", lambda m: m.group(1) + m.group(2) + mark, text, count=1)
    path.write_text(text, encoding="utf-8")


# --- Hugo on the same data -----------------------------------------------------------------

HUGO_LAYOUT = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><main>
<h1>{{ .Title }}</h1>
<dl>
<dt>目录</dt><dd>{{ .Params.catalogue }}</dd>
<dt>一级事项</dt><dd>{{ .Params.category }}</dd>
<dt>公开内容</dt><dd><ul>{{ range .Params.content }}<li>{{ . }}</li>{{ end }}</ul></dd>
<dt>公开依据</dt><dd><ul>{{ range .Params.basis }}<li>{{ .title }}{{ with .number }}（{{ . }}）{{ end }}</li>{{ end }}</ul></dd>
<dt>公开时限</dt><dd>{{ .Params.timing }}</dd>
<dt>公开主体</dt><dd>{{ .Params.subject }}</dd>
<dt>公开渠道</dt><dd>{{ delimit .Params.channels "、" }}</dd>
<dt>公开对象</dt><dd>{{ .Params.audience }}</dd>
<dt>公开方式</dt><dd>{{ .Params.mode }}</dd>
</dl>
</main></body></html>
"""


def write_hugo_site(catalog: Path, site: Path) -> int:
    """A Hugo site with one content page per item, its fields in front matter."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    (site / "layouts/_default").mkdir(parents=True)
    (site / "layouts/_default/single.html").write_text(HUGO_LAYOUT, encoding="utf-8")
    (site / "layouts/_default/list.html").write_text("<!DOCTYPE html><title>{{ .Title }}</title>\n", encoding="utf-8")
    (site / "config.toml").write_text(
        'baseURL = "https://example.gov.cn/gkml/"\ntitle = "基准测试站点"\nlanguageCode = "zh-cn"\n'
        'disableKinds = ["taxonomy", "term"]\n', encoding="utf-8")
    content = site / "content/items"
    content.mkdir(parents=True)
    count = 0
    for path in sorted(catalog.glob("*/*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        for item in data["items"]:
            front = {"title": item["name"], "catalogue": data["name"], **{k: v for k, v in item.items() if k != "name"}}
            text = "---\n" + yaml.dump(front, Dumper=dumper, allow_unicode=True, sort_keys=False) + "---\n"
            (content / f"{item['id']}.md").write_text(text, encoding="utf-8")
            count += 1
    return count


def warm_binary(path: str | None) -> None:
    """Read Hugo's program (53 MB) once before its first measured run, as the runs before it
    have read gkml's code. Its first run in a session otherwise waited, most likely for the
    disk: 6.8 s against 2.2–2.6 s for the next two at 10,000 items, with the same CPU time."""
    if path:
        with open(path, "rb") as binary:
            while binary.read(1 << 22):
                pass


# --- the runs --------------------------------------------------------------------------------


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()
    # Which CPython matters as much as its version: a distribution's (base prefix /usr) is built
    # with profile-guided optimisation, a source build with default options is not (README).
    return (f"{platform.node() or 'host'}: {os.cpu_count()} cores, {memory:.0f} GiB memory, "
            f"Python {platform.python_version()} ({sys.base_prefix}), load average {load[0]:.1f} at start")


def filesystem(path: Path) -> str:
    done = subprocess.run(["df", "-T", str(path)], capture_output=True, text=True, check=False)
    lines = done.stdout.strip().splitlines()
    return " ".join(lines[-1].split()[:2]) if len(lines) > 1 else "?"


#: Room a run needs per item: both built sites, their caches, Hugo's source and output and the
#: replaced folders still being deleted (about 6 GB at 100,000 items, measured on tmpfs) …
ROOM_PER_ITEM = 64 * 1024
#: … and for each further pair, the render-only site, its cache and Hugo's output kept aside.
ROOM_PER_ITEM_AND_PAIR = 24 * 1024


#: Files and folders a run makes per item: both built sites (five each: two folders, three
#: files), Hugo's source and output, the caches; and for each further pair, the render-only
#: site and Hugo's output kept aside. tmpfs has a fixed number of them (3.1 million in 24 GiB):
#: a 100,000-item run of three pairs needs about 2.8 million.
FILES_PER_ITEM = 14
FILES_PER_ITEM_AND_PAIR = 8


def check_room(args: argparse.Namespace, where: Path) -> None:
    """Stop before starting, not with a full disk halfway through a 10-minute run."""
    needed = args.items * (ROOM_PER_ITEM + (args.pairs - 1) * ROOM_PER_ITEM_AND_PAIR)
    free = shutil.disk_usage(where).free
    if free < needed:
        sys.exit(f"{where}: {free / 2**30:.1f} GiB free, a run of {args.items} items needs about "
                 f"{needed / 2**30:.1f} GiB (left-over gkml-bench-* folders there can go)")
    files = args.items * (FILES_PER_ITEM + (args.pairs - 1) * FILES_PER_ITEM_AND_PAIR)
    stats = os.statvfs(where)
    if stats.f_files and stats.f_favail < files:
        sys.exit(f"{where}: room for {stats.f_favail:,} more files, a run of {args.items} items makes "
                 f"about {files:,} (left-over gkml-bench-* folders there can go)")


def bench(args: argparse.Namespace, where: Path) -> list[Run]:
    check_room(args, where)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="gkml-bench-", dir=where) as tmp:
        root = Path(tmp)
        catalog = write_catalogue(root / "catalog", args.items, args.domains, args.lists, districts=args.districts)
        out = root / "site"
        render = root / "render"
        if args.search:
            runs.append(measure("cold (pages, QR, posters, search index)",
                                gkml(catalog, out, jobs=args.jobs, cache=True, search=True), ROOT))
            runs[-1].details["output"] = _size(out)
        runs.append(measure("cold render only (--no-search)",
                            gkml(catalog, render, jobs=args.jobs, cache=True, search=False), ROOT))
        runs[-1].details["output"] = _size(render)
        if args.search:
            runs.append(measure("no-change rebuild", gkml(catalog, out, jobs=args.jobs, cache=True, search=True), ROOT))
        runs.append(measure("no-change rebuild, render only",
                            gkml(catalog, render, jobs=args.jobs, cache=True, search=False), ROOT))
        edit_one_item(catalog)
        if args.search:
            runs.append(measure("one item edited", gkml(catalog, out, jobs=args.jobs, cache=True, search=True), ROOT))
        # The same edit, for the folder built without the search index; then two more edits.
        runs.append(measure("one item edited, render only",
                            gkml(catalog, render, jobs=args.jobs, cache=True, search=False), ROOT))
        for mark in ("（二次修订）", "（三次修订）"):
            edit_one_item(catalog, mark)
            runs.append(measure("another item edit, render only",
                                gkml(catalog, render, jobs=args.jobs, cache=True, search=False), ROOT))
        if args.hugo and shutil.which("hugo"):
            hugo_site = root / "hugo"
            pages = write_hugo_site(catalog, hugo_site)
            hugo = ["hugo", "--quiet", "--source", str(hugo_site), "--destination", str(root / "hugo-out")]
            warm_binary(shutil.which("hugo"))
            runs.append(measure(f"Hugo ({pages} item pages)", hugo))
            # This machine's speed drifts by up to half between minutes: more pairs, one right
            # after the other, give the ratio's spread (and its median) rather than one draw.
            for again in range(2, args.pairs + 1):
                # Cold again: no previous --out and no cache (it sits beside --out). The last
                # runs' files are moved aside, not deleted, until the end: on an ext4 without a
                # journal (this machine's disk), every new file then skips the inodes deleted in
                # the last minutes one by one, which made each run slower than the one before.
                render.rename(root / f"render.{again - 1}")
                cache_dir(render).rename(cache_dir(root / f"render.{again - 1}"))
                (root / "hugo-out").rename(root / f"hugo-out.{again - 1}")
                runs.append(measure("cold render only (--no-search), again",
                                    gkml(catalog, render, jobs=args.jobs, cache=True, search=False), ROOT))
                runs.append(measure(f"Hugo ({pages} item pages), again", hugo))
        elif args.hugo:
            print("hugo not found (apt-get install hugo): Hugo comparison skipped", file=sys.stderr)
    return runs


def _size(site: Path) -> str:
    files = [p for p in site.rglob("*") if p.is_file()]
    return f"{len(files)} files, {sum(p.stat().st_size for p in files) / 2**20:.0f} MiB"


def _line(run: Run) -> str:
    details = run.details
    note = []
    if "timings" in details:
        timings = details["timings"]
        assert isinstance(timings, dict)
        note.append(" ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    if details.get("produced") is not None and details.get("files"):
        note.append(f"produced {details['produced']}/{details['files']}")
    if details.get("quick"):
        note.append("quick build")
    if "output" in details:
        note.append(str(details["output"]))
    return f"{run.name:44} {run.wall:8.2f} {run.cpu:8.2f} {run.peak_mib:9.0f} {run.together_mib:9.0f}  {'; '.join(note)}"


def report(runs: list[Run], title: str) -> None:
    print(f"\n{title}")
    print(f"{'run':44} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9} {'all MiB':>9}  details")
    for run in runs:
        print(_line(run))
    renders = [r for r in runs if r.name.startswith("cold render")]
    hugos = [r for r in runs if r.name.startswith("Hugo")]
    if renders and hugos:
        # The first cold render is paired with the first Hugo run, measured after the edits.
        ratios = [render.wall / hugo.wall for render, hugo in zip(renders, hugos)]
        spread = f" (pairs: {', '.join(f'{r:.2f}' for r in ratios)})" if len(ratios) > 1 else ""
        print(f"gkml render / Hugo, wall time: {statistics.median(ratios):.2f}{spread}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--domains", type=int, default=24, help="domain catalogues per district")
    parser.add_argument("--districts", type=int, default=1)
    parser.add_argument("--lists", type=int, default=200, help="community (居务/村务) lists")
    parser.add_argument("--jobs", type=int, default=0)
    parser.add_argument("--where", action="append", type=Path,
                        help="folder to build in (repeatable); default: the temp folder, then /dev/shm")
    parser.add_argument("--no-hugo", dest="hugo", action="store_false")
    parser.add_argument("--pairs", type=int, default=1,
                        help="cold render and Hugo runs, alternated; the ratio reported is their median")
    parser.add_argument("--no-search", dest="search", action="store_false",
                        help="skip the builds with the search index (Pagefind); measure rendering only")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    places = args.where or [Path(tempfile.gettempdir())] + ([Path("/dev/shm")] if Path("/dev/shm").is_dir() else [])
    print(machine())
    results = {}
    for where in places:
        runs = bench(args, where)
        title = (f"{args.items} items, {args.districts} district(s) × {args.domains} domains + {args.lists} lists, "
                 f"jobs={args.jobs or 'all cores'}, in {where} ({filesystem(where)})")
        report(runs, title)
        results[str(where)] = [run.__dict__ for run in runs]
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "results": results}, ensure_ascii=False, indent=1),
                             encoding="utf-8")


if __name__ == "__main__":
    main()
