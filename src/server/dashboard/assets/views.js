// What each view shows, built from the API's JSON with the helpers of dom.js: a brief in a list,
// a brief in full with its evidence highlighted, the sources' health and the deliveries.

import { externalLink, h, highlighted, time, uiHref } from "./dom.js";

const untitled = (t) => (t && t.trim() ? t : "(untitled)");

/** One brief of a list (a line of `GET /api/briefs` or of the stream). */
export function briefItem(b, fresh = false) {
  const titleId = `brief-${b.id}`;
  return h("li", { class: fresh ? "brief fresh" : "brief", "data-id": b.id },
    h("article", { "aria-labelledby": titleId },
      h("h2", { id: titleId }, h("a", { href: uiHref({ brief: b.id }) }, untitled(b.title))),
      h("p", { class: "meta" },
        h("a", { href: uiHref({ source: b.source }) }, b.source),
        " · ", time(b.published),
        b.author ? [" · ", b.author] : null,
        fresh ? [" · ", h("span", { class: "badge" }, "new")] : null),
      topicList(b.topics || [])));
}

function topicList(topics) {
  if (!topics.length) return null;
  return h("ul", { class: "topics", "aria-label": "Topics" },
    topics.map((t) => h("li", {},
      h("a", { href: uiHref({ topic: t.id }) }, t.id),
      h("span", { class: "score", title: "score" }, ` ${Number(t.score).toFixed(2)}`))));
}

/** The full brief (`GET /api/briefs/{id}`) with its evidence marked in title and text. */
export function briefDetail(b) {
  const spans = { title: [], text: [] };
  for (const t of b.topics || []) {
    for (const e of t.evidence || []) {
      if (e.field === "title" || e.field === "text") {
        spans[e.field].push({ start: e.start, end: e.end, label: `${t.id}: ${e.term}` });
      }
    }
  }
  return [
    h("p", { class: "crumbs" }, h("a", { href: uiHref() }, "← All briefs")),
    h("article", { class: "brief-full" },
      h("h1", { id: "brief-title", tabindex: "-1" }, highlighted(untitled(b.title), spans.title)),
      h("p", { class: "meta" },
        h("a", { href: uiHref({ source: b.source }) }, b.source),
        " · published ", time(b.published),
        " · stored ", time(b.fetched),
        b.author ? [" · by ", b.author] : null,
        b.url ? [" · ", externalLink(b.url, "original")] : null),
      section("Topics", "topics", topicsWithEvidence(b.topics || [])),
      section("Text", "text", h("div", { class: "brief-text" }, highlighted(b.text || "", spans.text))),
      section("Entities", "entities", entities(b.entities || [])),
      section("Other sources of this story", "story", alsoIn(b))),
  ];
}

function section(title, key, body) {
  const id = `section-${key}`;
  return h("section", { "aria-labelledby": id, class: `part part-${key}` }, h("h2", { id }, title), body);
}

function topicsWithEvidence(topics) {
  if (!topics.length) return h("p", { class: "muted" }, "No topic scored above the threshold.");
  return h("ul", { class: "topic-evidence" },
    topics.map((t) => h("li", {},
      h("p", {},
        h("a", { href: uiHref({ topic: t.id }), class: "topic" }, t.id),
        " ", h("span", { class: "score" }, `score ${Number(t.score).toFixed(2)}`)),
      h("ul", { class: "evidence", "aria-label": `Evidence for ${t.id}` },
        (t.evidence || []).map((e) => h("li", {},
          h("mark", {}, e.term),
          e.field ? ` in the ${e.field}` : " (model)",
          ` (${e.weight >= 0 ? "+" : ""}${Number(e.weight).toFixed(2)})`,
          e.snippet ? [": ", h("q", {}, e.snippet)] : null))))));
}

function entities(list) {
  if (!list.length) return h("p", { class: "muted" }, "None recognised.");
  return h("ul", { class: "inline-list" },
    list.map((e) => h("li", {}, h("a", { href: uiHref({ entity: e.name }) }, e.name),
      h("span", { class: "muted" }, ` (${e.kind})`))));
}

function alsoIn(b) {
  const others = b.also_in || [];
  if (!others.length) return h("p", { class: "muted" }, "Only this brief so far.");
  return h("ul", { class: "also-in" },
    others.map((a) => h("li", {},
      h("a", { href: uiHref({ brief: a.brief_id }) }, untitled(a.title)),
      " — ", a.source,
      a.url ? [" · ", externalLink(a.url, "original")] : null)));
}

/** The health of each source (`GET /api/sources`) as a table. */
export function sourcesTable(sources) {
  const state = (s) => {
    if (!s.enabled) return ["Disabled", "off"];
    if (s.failures > 0) return [`Failing (${s.failures} in a row)`, "bad"];
    if (!s.last_checked) return ["Not checked yet", "off"];
    return ["OK", "ok"];
  };
  return table("Health of every source",
    ["Source", "Status", "Last success", "Last check", "Next check", "Briefs (24 h)", "Last error"],
    sources.map((s) => {
      const [label, cls] = state(s);
      return [
        [h("a", { href: uiHref({ source: s.name }) }, s.name), h("br"), h("span", { class: "muted url" }, s.url)],
        h("span", { class: `state state-${cls}` }, label, s.last_status ? ` · HTTP ${s.last_status}` : ""),
        time(s.last_success),
        time(s.last_checked),
        time(s.next_check),
        `${s.briefs} (${s.briefs_24h})`,
        s.last_error ? h("span", { class: "error-text" }, s.last_error) : h("span", { class: "muted" }, "–"),
      ];
    }));
}

/** Deliveries (`GET /api/deliveries`) as a table. */
export function deliveriesTable(list) {
  return table("Alert deliveries, newest first",
    ["Created", "State", "Rule → destination", "Brief", "Attempts", "Next attempt", "Last error"],
    list.map((d) => [
      time(d.created_at),
      h("span", { class: `state state-${deliveryClass(d.state)}` },
        d.state, d.destination_disabled ? " (destination disabled)" : ""),
      `${d.rule} → ${d.destination}`,
      d.brief_id ? h("a", { href: uiHref({ brief: d.brief_id }) }, untitled(d.title)) : (d.title || d.kind),
      String(d.attempts),
      time(d.next_at),
      d.last_error
        ? h("span", { class: "error-text" }, d.last_status ? `HTTP ${d.last_status}: ` : "", d.last_error)
        : h("span", { class: "muted" }, "–"),
    ]));
}

function deliveryClass(state) {
  if (state === "delivered" || state === "merged") return "ok";
  if (state === "failed") return "bad";
  return "off";
}

function table(caption, headings, rows) {
  return h("table", {},
    h("caption", { class: "visually-hidden" }, caption),
    h("thead", {}, h("tr", {}, headings.map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows.map((cells) => h("tr", {},
      cells.map((c, i) => (i === 0 ? h("th", { scope: "row" }, c) : h("td", {}, c)))))));
}
