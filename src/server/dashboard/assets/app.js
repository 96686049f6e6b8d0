// The dashboard's controller: sign-in, the views chosen by the URL's query (so that every view is
// a link: ?q=&topic=&source=&entity=, ?brief=ID, ?view=sources, ?view=deliveries&state=), history
// navigation without reloads, and the live stream feeding the brief list.

import { ApiError, apiGet, clearToken, setToken, token } from "./api.js";
import { announce, fill, h, uiHref } from "./dom.js";
import { openStream } from "./stream.js";
import { briefDetail, briefItem, deliveriesTable, sourcesTable } from "./views.js";

const $ = (id) => document.getElementById(id);
const FILTERS = ["q", "topic", "source", "entity"];
const PAGE_SIZE = 50;
/** After a stream event, a list filtered by `q` or `entity` (which the stream cannot apply) is
 * checked again this long after, twice: the search index trails new briefs by about a second. */
const RECHECK_MS = [800, 3000];

let stream = null;
let loading = null;
let list = null;
let sourceNamesLoaded = false;
/** The path and query of the view shown. */
let shownUrl = "";
const topicNames = new Set();

// ---- views ---------------------------------------------------------------------------------

function showView(name, title) {
  for (const el of document.querySelectorAll(".view")) el.hidden = el.id !== `view-${name}`;
  const signedIn = name !== "login";
  $("nav").hidden = !signedIn;
  $("logout").hidden = !signedIn;
  if (!signedIn) $("live-status").hidden = true;
  const current = name === "brief" ? "briefs" : name;
  for (const a of document.querySelectorAll("#nav a")) {
    if (a.dataset.view === current) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  document.title = `${title} · briefwatch`;
}

function showError(message) {
  const el = $("error");
  el.textContent = message;
  el.hidden = !message;
}

function focusHeading(id) {
  const el = $(id);
  if (el) el.focus({ preventScroll: false });
}

/** Shows what the URL asks for. `focus`: move focus to the view's heading (after navigation). */
async function route(focus = false) {
  shownUrl = location.pathname + location.search;
  stopStream();
  if (loading) loading.abort();
  loading = new AbortController();
  const signal = loading.signal;
  showError("");
  if (!token()) {
    showLogin(focus);
    return;
  }
  const params = new URLSearchParams(location.search);
  try {
    if (params.has("brief")) await showBrief(params.get("brief"), signal);
    else if (params.get("view") === "sources") await showSources(signal);
    else if (params.get("view") === "deliveries") await showDeliveries(params.get("state"), signal);
    else await showBriefs(params, signal);
    if (focus) focusHeading(document.querySelector(".view:not([hidden]) h1")?.id);
    loadSourceNames();
  } catch (e) {
    failed(e);
  }
}

function failed(e) {
  if (e && e.name === "AbortError") return;
  if (e instanceof ApiError && e.status === 401) {
    signOut("The API refused the token. Sign in again.");
    return;
  }
  showError(e instanceof ApiError ? e.message : `Something went wrong: ${e}`);
}

// ---- sign-in -------------------------------------------------------------------------------

function showLogin(focus, message = "") {
  showView("login", "Sign in");
  $("login-error").textContent = message;
  if (focus || message) $("token").focus();
}

async function signIn(event) {
  event.preventDefault();
  const value = $("token").value.trim();
  if (!value) return;
  setToken(value);
  try {
    await apiGet("briefs", { limit: 1 });
  } catch (e) {
    clearToken();
    $("login-error").textContent =
      e instanceof ApiError && e.status === 401 ? "That token was not accepted." : e.message;
    $("token").focus();
    return;
  }
  $("token").value = "";
  route(true);
}

function signOut(message = "") {
  clearToken();
  stopStream();
  sourceNamesLoaded = false;
  showLogin(true, message);
}

async function loadSourceNames() {
  if (sourceNamesLoaded) return;
  sourceNamesLoaded = true;
  try {
    const { sources } = await apiGet("sources");
    fill($("source-names"), sources.map((s) => h("option", { value: s.name })));
  } catch {
    sourceNamesLoaded = false;
  }
}

function learnTopics(briefs) {
  const before = topicNames.size;
  for (const b of briefs) for (const t of b.topics || []) topicNames.add(t.id);
  if (topicNames.size !== before) {
    fill($("topic-names"), [...topicNames].sort().map((t) => h("option", { value: t })));
  }
}

// ---- the brief list and its stream ----------------------------------------------------------

async function showBriefs(params, signal) {
  const filters = {};
  for (const k of FILTERS) {
    const v = (params.get(k) || "").trim();
    $(`f-${k}`).value = v;
    if (v) filters[k] = v;
  }
  showView("briefs", describe(filters) || "Briefs");
  $("briefs-title").textContent = Object.keys(filters).length ? "Briefs found" : "Briefs";
  fill($("brief-list"));
  $("more").hidden = true;
  $("briefs-summary").textContent = "Loading…";
  // The newest id before the page is read: the stream replays whatever is stored after it, so no
  // brief falls between the page and the stream (one in both shows once).
  const newest = await apiGet("briefs", { limit: 1 }, signal);
  const after = newest.briefs.length ? newest.briefs[0].id : 0;
  const page = await apiGet("briefs", { ...filters, limit: PAGE_SIZE }, signal);
  list = { filters, shown: new Set(), cursor: page.next_cursor, after, count: 0, recheck: [] };
  appendOlder(page.briefs);
  summarise();
  announce(`${list.count} ${list.count === 1 ? "brief" : "briefs"}${describe(filters) ? " found" : ""}.`);
  startStream(filters, after);
}

function describe(filters) {
  const parts = [];
  if (filters.q) parts.push(`matching “${filters.q}”`);
  if (filters.topic) parts.push(`on topic ${filters.topic}`);
  if (filters.source) parts.push(`from ${filters.source}`);
  if (filters.entity) parts.push(`naming ${filters.entity}`);
  return parts.join(", ");
}

function summarise() {
  const what = describe(list.filters);
  const n = list.count;
  $("briefs-summary").textContent = n
    ? `${n}${list.cursor ? "+" : ""} ${n === 1 ? "brief" : "briefs"}${what ? " " + what : ""}, newest first. New ones appear at the top as they are stored.`
    : `No briefs${what ? " " + what : ""} yet. New ones appear here as they are stored.`;
}

function appendOlder(briefs) {
  const ol = $("brief-list");
  for (const b of briefs) {
    if (list.shown.has(b.id)) continue;
    list.shown.add(b.id);
    list.count += 1;
    ol.append(briefItem(b));
  }
  learnTopics(briefs);
  $("more").hidden = !list.cursor;
}

async function loadOlder() {
  if (!list || !list.cursor) return;
  const button = $("more");
  button.disabled = true;
  try {
    const page = await apiGet("briefs", { ...list.filters, limit: PAGE_SIZE, cursor: list.cursor });
    list.cursor = page.next_cursor;
    const first = page.briefs.find((b) => !list.shown.has(b.id));
    appendOlder(page.briefs);
    summarise();
    // Keyboard users continue at the first brief just loaded.
    if (first) document.querySelector(`#brief-${first.id} a`)?.focus();
  } catch (e) {
    failed(e);
  } finally {
    button.disabled = false;
  }
}

/** Puts newly stored briefs at the top of the list and tells screen readers. */
function prependFresh(briefs) {
  const ol = $("brief-list");
  const added = [];
  for (const b of [...briefs].sort((x, y) => x.id - y.id)) {
    if (list.shown.has(b.id)) continue;
    list.shown.add(b.id);
    list.count += 1;
    ol.prepend(briefItem(b, true));
    added.push(b);
  }
  if (!added.length) return;
  learnTopics(added);
  summarise();
  announce(added.length === 1
    ? `New brief from ${added[0].source}: ${added[0].title}`
    : `${added.length} new briefs.`);
}

function startStream(filters, after) {
  const needsRecheck = Boolean(filters.q || filters.entity);
  const params = { topic: filters.topic, source: filters.source, after };
  const current = list;
  stream = openStream(params, (type, data) => {
    if (list !== current) return;
    if (type === "error") {
      showError(`The live stream stopped: ${safeMessage(data)}. Reconnecting…`);
      return;
    }
    if (type !== "brief") return;
    showError("");
    let b;
    try {
      b = JSON.parse(data);
    } catch {
      return;
    }
    if (needsRecheck) scheduleRecheck(current);
    else prependFresh([b]);
  }, liveState);
}

function safeMessage(data) {
  try {
    return String(JSON.parse(data).error.message);
  } catch {
    return "the server ended it";
  }
}

/** Reads the first page of a `q`/`entity` list again and puts the new matches on top. */
function scheduleRecheck(current) {
  for (const t of current.recheck) clearTimeout(t);
  current.recheck = RECHECK_MS.map((ms) => setTimeout(async () => {
    if (list !== current) return;
    try {
      const page = await apiGet("briefs", { ...current.filters, limit: PAGE_SIZE });
      if (list === current) prependFresh(page.briefs.filter((b) => b.id > current.after));
    } catch (e) {
      failed(e);
    }
  }, ms));
}

function liveState(state, detail) {
  const el = $("live-status");
  el.hidden = state === "stopped";
  el.dataset.state = state;
  switch (state) {
    case "connecting":
      el.textContent = "Connecting…";
      break;
    case "live":
      el.textContent = "Live";
      el.title = "New briefs appear as they are stored";
      break;
    case "retrying":
      el.textContent = `Reconnecting in ${Math.round(detail / 1000)} s…`;
      break;
    case "unauthorized":
      signOut("The API refused the token. Sign in again.");
      break;
    default:
      break;
  }
}

function stopStream() {
  if (list) for (const t of list.recheck) clearTimeout(t);
  if (stream) stream.stop();
  stream = null;
  list = null;
  $("live-status").hidden = true;
}

// ---- one brief, sources, deliveries ---------------------------------------------------------

async function showBrief(id, signal) {
  const b = await apiGet(`briefs/${encodeURIComponent(id)}`, {}, signal);
  const view = $("view-brief");
  fill(view, briefDetail(b));
  showView("brief", b.title || "Brief");
}

async function showSources(signal) {
  const { sources } = await apiGet("sources", {}, signal);
  const failing = sources.filter((s) => s.enabled && s.failures > 0).length;
  $("sources-summary").textContent = `${sources.length} ${sources.length === 1 ? "source" : "sources"}` +
    (failing ? `, ${failing} failing.` : ", none failing.");
  fill($("sources-table"), sourcesTable(sources));
  showView("sources", "Sources");
}

const PENDING = new Set(["pending", "sending", "held"]);

async function showDeliveries(state, signal) {
  const which = state === "failed" || state === "pending" ? state : "all";
  const { deliveries } = await apiGet("deliveries",
    { limit: 500, failed: which === "failed" ? "true" : undefined }, signal);
  const shown = which === "pending" ? deliveries.filter((d) => PENDING.has(d.state)) : deliveries;
  for (const a of document.querySelectorAll("#view-deliveries .tabs a")) {
    if (a.dataset.state === which) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const label = { all: "", pending: " pending", failed: " failed or held for a disabled destination" }[which];
  $("deliveries-summary").textContent = `${shown.length} ${shown.length === 1 ? "delivery" : "deliveries"}${label}.`;
  fill($("deliveries-table"), shown.length ? deliveriesTable(shown) : h("p", { class: "muted" }, "Nothing to show."));
  showView("deliveries", "Deliveries");
}

// ---- wiring --------------------------------------------------------------------------------

function navigate(href) {
  history.pushState(null, "", href);
  route(true);
}

document.addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const a = event.target.closest("a[href]");
  if (!a || a.target || a.hasAttribute("download")) return;
  // In-page links (the skip link) keep their usual behaviour.
  if (a.getAttribute("href").startsWith("#")) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname !== "/ui/") return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});

$("filters").addEventListener("submit", (event) => {
  event.preventDefault();
  const params = {};
  for (const k of FILTERS) params[k] = $(`f-${k}`).value.trim();
  history.pushState(null, "", uiHref(params));
  route(false);
});

$("login-form").addEventListener("submit", signIn);
$("logout").addEventListener("click", () => {
  signOut();
  history.pushState(null, "", "/ui/");
});
$("more").addEventListener("click", loadOlder);
window.addEventListener("popstate", () => {
  // A fragment change (the skip link) is not a new view.
  if (location.pathname + location.search !== shownUrl) route(true);
});

route(false);
