// Building the page from data that strangers wrote: every string becomes a text node (never
// markup), attributes are set one by one, links to elsewhere only for http(s) URLs, and evidence
// highlighted by the API's byte offsets.

/**
 * `h("a", { href: "/ui/" }, "text", child)`: an element whose string children are text nodes.
 * Attribute values are set with setAttribute; `hidden`/boolean `true` sets an empty attribute,
 * `false`/null/undefined leaves it out.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith("on")) throw new Error("no inline handlers");
    el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

/** Appends `children` (strings as text, nodes, nested arrays; null skipped) to `el`. */
export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replaces everything in `el` with `children`. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** `url` when it is an absolute http(s) URL, else null (no javascript:, data: or relative links). */
export function safeHref(url) {
  if (typeof url !== "string" || url === "") return null;
  try {
    const u = new URL(url);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

/** A dashboard link: `/ui/` with `params` as its query. */
export function uiHref(params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && String(v) !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `/ui/?${s}` : "/ui/";
}

/** A link out of the dashboard, or the text alone when the URL is not http(s). */
export function externalLink(url, text) {
  const href = safeHref(url);
  if (!href) return document.createTextNode(text);
  return h("a", { href, rel: "noopener noreferrer external", target: "_blank" }, text,
    h("span", { class: "visually-hidden" }, " (opens in a new tab)"));
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A `<time>` for an RFC 3339 string, or a dash when absent or unreadable. */
export function time(iso) {
  if (!iso) return h("span", { class: "muted" }, "–");
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return h("span", {}, String(iso));
  return h("time", { datetime: d.toISOString(), title: d.toISOString() }, dateFormat.format(d));
}

/**
 * `text` with the UTF-8 byte ranges of `spans` ({start, end, label}) wrapped in `<mark>`: the
 * offsets are the API's (Rust string offsets), so they are applied to the text's UTF-8 bytes.
 * Overlapping spans merge; spans outside the text are ignored.
 */
export function highlighted(text, spans) {
  const bytes = new TextEncoder().encode(text);
  const decode = (a, b) => new TextDecoder().decode(bytes.subarray(a, b));
  const valid = spans
    .filter((s) => Number.isInteger(s.start) && Number.isInteger(s.end))
    .filter((s) => s.start >= 0 && s.start < s.end && s.end <= bytes.length)
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const merged = [];
  for (const s of valid) {
    const last = merged[merged.length - 1];
    if (last && s.start < last.end) {
      last.end = Math.max(last.end, s.end);
      last.labels.add(s.label);
    } else {
      merged.push({ start: s.start, end: s.end, labels: new Set([s.label]) });
    }
  }
  const frag = document.createDocumentFragment();
  let at = 0;
  for (const m of merged) {
    if (m.start > at) frag.append(decode(at, m.start));
    const label = [...m.labels].join("; ");
    frag.append(h("mark", { title: label, "data-evidence": label }, decode(m.start, m.end)));
    at = m.end;
  }
  if (at < bytes.length) frag.append(decode(at, bytes.length));
  return frag;
}

/** Says `message` to screen readers through the page's polite live region. */
export function announce(message) {
  const el = document.getElementById("announcer");
  // Cleared first so that the same words said twice are said again.
  el.textContent = "";
  setTimeout(() => {
    el.textContent = message;
  }, 50);
}
