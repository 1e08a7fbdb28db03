// The search page (search/): runs queries against the Pagefind index that `gkml build` writes
// to the site's own pagefind/ folder, through Pagefind's JavaScript API (pagefind.js), and
// shows the results in the page's own small, accessible UI. Nothing is fetched from any other
// origin. The query and filters live in the URL (search/?q=低保&subject=区民政局), so a search
// can be linked, shared, and restored by the Back button.

const PAGE_SIZE = 20;
const TYPING_PAUSE_MS = 300;

// Ranking tuned on tests/search_queries.yaml. Pages differ in length mostly by how many legal
// bases they cite, which says nothing about relevance (pageLength 0). Exact words beat longer
// words that merely start with a query piece (termSimilarity). The indexed term lines already
// weight the name and 一级事项, so metadata adds nothing (metaWeights 0; see search_record.html).
export const RANKING = {
  pageLength: 0,
  termSimilarity: 5,
  metaWeights: { title: 0, show: 0 },
};

/** What a result shows: the item's name, catalogue, 一级事项 and 公开主体. */
function display(data) {
  try {
    return JSON.parse(data.meta.show);
  } catch (error) {
    return { name: data.meta.title || data.url };
  }
}

let loading = null;

/** A searcher over this site's index: { search(query, filters), warm(filters) }, made once. */
export function loadPagefind() {
  if (!loading) {
    const form = document.getElementById("search-form");
    const bundle = new URL(form.dataset.pagefind, document.baseURI);
    const siteRoot = new URL(form.dataset.root, document.baseURI).pathname;
    const parts = JSON.parse(form.dataset.parts || "[]");
    loading = openIndex(bundle, siteRoot, parts);
  }
  return Promise.resolve(loading);
}

function openIndex(bundle, siteRoot, parts) {
  // Result URLs are site paths ("/items/x/"); the site may live under a prefix.
  const options = { baseUrl: siteRoot, ranking: RANKING };
  // A large site's index is written in parts (generator/search_index.py). Each part is opened
  // through its own copy of pagefind.js, so each has its own WebAssembly memory: instances
  // made with createInstance share one and corrupt each other's. Not mergeIndex either:
  // Pagefind skips a query word an index lacks entirely, so a merged part without the word
  // would answer with pages matching only the other words.
  const folders = [bundle, ...parts.map((part) => new URL(part, bundle))];
  const opened = new Map();
  function instance(n) {
    if (!opened.has(n)) {
      const made = (async () => {
        const pagefind = await pagefindModule(folders, n);
        // Told where its part is: a copy loaded from a blob: URL cannot work that out itself.
        await pagefind.options({ ...options, basePath: folders[n].pathname });
        await pagefind.init();
        return pagefind;
      })();
      made.catch(() => opened.delete(n));   // a failed load is tried again by the next search
      opened.set(n, made);
    }
    return opened.get(n);
  }
  // Only the parts that can answer: a search within one catalogue loads the parts holding it
  // (its <option data-parts>), not the whole city's index.
  function scope(filters) {
    const all = folders.map((_, n) => n);
    if (folders.length === 1 || !filters.catalogue) return all;
    const select = document.getElementById("filter-catalogue");
    const option = select && Array.from(select.options).find((o) => o.value === filters.catalogue);
    if (!option || !option.dataset.parts) return all;
    return option.dataset.parts.split(" ").map((n) => Number(n) - 1).filter((n) => n >= 0 && n < folders.length);
  }
  return {
    warm: (filters) => Promise.all(scope(filters).map(instance)),
    async search(query, filters) {
      const instances = await Promise.all(scope(filters).map(instance));
      if (instances.length === 1) return instances[0].search(query || null, { filters });
      return searchParts(instances, query, filters);
    },
  };
}

let moduleText = null;

/**
 * A copy of pagefind.js of its own for part ``n``. Every part's pagefind.js is the same file
 * (one Pagefind, one build), so it is fetched once and each further part imports that text
 * from a blob: URL — a module of its own, without downloading it again (≈ 45 KiB a part; a
 * city's first query opens 20 and more). Where blob: modules are not allowed (a strict
 * Content-Security-Policy), the part's own file is imported instead.
 *
 * Pagefind 1.5 runs each copy's searches in a web worker started from the copy's own folder's
 * pagefind-worker.js, the same file in every part too (≈ 41 KiB): each further part's worker
 * is started from the first part's, so the browser downloads it once and only revalidates it
 * for the others. Each part still gets a worker of its own. A Pagefind that starts its worker
 * otherwise is left as it is. The build makes that worker fetch its WebAssembly from beside its
 * own script (generator/search_index.py), so every part's worker uses the first part's copy.
 */
async function pagefindModule(folders, n) {
  const own = new URL("pagefind.js", folders[n]).href;
  if (n === 0) return import(own);
  try {
    if (!moduleText) {
      moduleText = fetch(new URL("pagefind.js", folders[0]).href).then((r) => (r.ok ? r.text() : Promise.reject(r.status)));
      moduleText.catch(() => { moduleText = null; });
    }
    const worker = JSON.stringify(new URL("pagefind-worker.js", folders[0]).href);
    const text = (await moduleText).replace("`${basePath}pagefind-worker.js`", worker);
    const blob = URL.createObjectURL(new Blob([text], { type: "text/javascript" }));
    try {
      return await import(blob);
    } finally {
      URL.revokeObjectURL(blob);
    }
  } catch (error) {
    return import(own);
  }
}

/** The query as Pagefind cuts it: the browser's word segmenter, lower case, words only. */
function queryWords(query) {
  if (typeof Intl.Segmenter === "undefined") return query.toLocaleLowerCase().split(/\s+/).filter(Boolean);
  const segmenter = new Intl.Segmenter(document.documentElement.lang || "zh-CN", { granularity: "word" });
  const words = Array.from(segmenter.segment(query)).filter((s) => s.isWordLike).map((s) => s.segment.toLocaleLowerCase());
  return Array.from(new Set(words));
}

async function searchParts(instances, query, filters) {
  const found = await Promise.all(instances.map((instance) => instance.search(query || null, { filters })));
  // As one index would: a word no part has is ignored; a part lacking a word others have
  // cannot answer the query.
  let answering = instances.map(() => true);
  for (const word of query ? queryWords(query) : []) {
    const has = await Promise.all(instances.map(async (instance) => (await instance.search(word)).unfilteredResultCount > 0));
    if (has.some(Boolean)) answering = answering.map((yes, n) => yes && has[n]);
  }
  // Array sort is stable: equal scores keep part order, so results are the same every time.
  const results = found.flatMap((f, n) => (answering[n] ? f.results : [])).sort((a, b) => b.score - a.score);
  return { results };
}

/** Pagefind's results for a query (may be empty) and filters ({subject: "区民政局"}). */
export async function findItems(query, filters = {}) {
  const index = await loadPagefind();
  return index.search(query, filters);
}

const form = document.getElementById("search-form");
if (form) start(form);

function start(form) {
  const input = form.querySelector("#search-q");
  const selects = Array.from(form.querySelectorAll("select[data-filter]"));
  const clear = form.querySelector("#search-clear");
  const status = document.getElementById("search-status");
  const list = document.getElementById("search-results");
  const more = document.getElementById("search-more");

  let generation = 0;     // a newer search makes an older one's results stale
  let results = [];
  let shown = 0;
  let timer = 0;

  // Only now is the form usable; without JavaScript the page shows its <noscript> advice.
  form.hidden = false;

  function currentFilters() {
    const filters = {};
    for (const select of selects) {
      if (select.value) filters[select.dataset.filter] = select.value;
    }
    return filters;
  }

  function filterLabels() {
    return selects.filter((s) => s.value).map((s) => {
      const label = form.querySelector(`label[for="${s.id}"]`).textContent.trim();
      return `${label}“${s.selectedOptions[0].textContent.trim()}”`;
    });
  }

  function writeUrl(query, filters) {
    const params = new URLSearchParams();
    if (query) params.set("q", query);
    for (const [key, value] of Object.entries(filters)) params.set(key, value);
    const search = params.toString();
    const url = search ? `${location.pathname}?${search}` : location.pathname;
    if (url !== location.pathname + location.search) history.replaceState(null, "", url);
  }

  function readUrl() {
    const params = new URLSearchParams(location.search);
    input.value = params.get("q") || "";
    for (const select of selects) {
      const wanted = params.get(select.dataset.filter) || "";
      const known = Array.from(select.options).some((o) => o.value === wanted);
      select.value = known ? wanted : "";
    }
    // A shared link with filters shows them, so the reader sees why results are narrowed.
    const box = document.getElementById("search-filters-box");
    if (box && selects.some((s) => s.value)) box.open = true;
  }

  function summary(query, count) {
    const what = query ? `“${query}”` : "";
    const labels = filterLabels();
    const scope = labels.length ? `（筛选：${labels.join("，")}）` : "";
    if (!count) {
      return `没有找到${what ? "与" + what + "相关的" : "符合条件的"}事项${scope}。` +
        "请换个说法（如“低保”“入学”“区民政局”），或减少筛选条件，也可以按目录浏览。";
    }
    const page = count > PAGE_SIZE ? `，先显示前 ${Math.min(shown, count)} 个` : "";
    return `${what}找到 ${count} 个事项${scope}${page}。`;
  }

  function resultItem(data) {
    const item = document.createElement("li");
    item.className = "search-result";
    const heading = document.createElement("h2");
    heading.className = "search-result-title";
    const link = document.createElement("a");
    link.href = data.url;
    const facts = display(data);
    link.textContent = facts.name || data.url;
    heading.append(link);
    const factList = document.createElement("dl");
    factList.className = "search-result-facts";
    for (const [label, value] of [["目录", facts.catalogue], ["一级事项", facts.category], ["公开主体", facts.subject]]) {
      if (!value) continue;
      const pair = document.createElement("div");
      const term = document.createElement("dt");
      term.textContent = label;
      const detail = document.createElement("dd");
      detail.textContent = value;
      pair.append(term, detail);
      factList.append(pair);
    }
    item.append(heading, factList);
    return item;
  }

  async function showMore(mine, moveFocus) {
    const batch = results.slice(shown, shown + PAGE_SIZE);
    const data = await Promise.all(batch.map((r) => r.data()));
    if (mine !== generation) return;
    const items = data.map(resultItem);
    list.append(...items);
    shown += batch.length;
    more.hidden = shown >= results.length;
    if (moveFocus && items.length) items[0].querySelector("a").focus();
  }

  async function search() {
    clearTimeout(timer);
    const query = input.value.trim();
    const filters = currentFilters();
    writeUrl(query, filters);
    const mine = ++generation;
    if (!query && !Object.keys(filters).length) {
      results = [];
      shown = 0;
      list.replaceChildren();
      more.hidden = true;
      status.textContent = "";
      return;
    }
    list.setAttribute("aria-busy", "true");
    try {
      const found = await findItems(query, filters);
      if (mine !== generation || !found) return;
      results = found.results;
      shown = 0;
      list.replaceChildren();
      await showMore(mine, false);
      if (mine !== generation) return;
      status.textContent = summary(query, results.length);
    } catch (error) {
      if (mine !== generation) return;
      list.replaceChildren();
      more.hidden = true;
      status.textContent = "搜索索引未能加载，暂时无法搜索。请稍后刷新页面，或按下方目录浏览。";
    } finally {
      if (mine === generation) list.removeAttribute("aria-busy");
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    search();
  });
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, TYPING_PAUSE_MS);
  });
  // Start fetching the index as soon as the reader shows intent, not on every page view.
  input.addEventListener("focus", () => {
    loadPagefind().then((index) => index.warm(currentFilters())).catch(() => {});
  }, { once: true });
  for (const select of selects) select.addEventListener("change", search);
  if (clear) {
    clear.addEventListener("click", () => {
      for (const select of selects) select.value = "";
      search();
    });
  }
  more.addEventListener("click", () => { showMore(generation, true); });
  window.addEventListener("popstate", () => { readUrl(); search(); });

  readUrl();
  if (location.search) search();
}
