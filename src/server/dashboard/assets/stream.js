// The live stream (/api/stream) read with fetch and a ReadableStream, since an EventSource cannot
// send the Authorization header: a Server-Sent Events parser (as the HTML standard describes it)
// and a reconnect loop that resumes with Last-Event-ID, so that nothing stored while the
// connection was down is missed and nothing is shown twice.

import { apiUrl, authHeaders } from "./api.js";

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30000;

/**
 * Opens `/api/stream` with `params` (topic, source, after) and calls `onEvent(type, data, id)` per
 * event and `onState(state, detail)` with "connecting", "live", "retrying" (detail: milliseconds),
 * "unauthorized" or "stopped". Returns an object whose `stop()` closes it for good.
 */
export function openStream(params, onEvent, onState) {
  const abort = new AbortController();
  let lastEventId = null;
  let retryMs = FIRST_RETRY_MS;
  let serverRetry = null;
  let stopped = false;

  const dispatch = (ev) => {
    if (ev.id !== null) lastEventId = ev.id;
    if (ev.data === "") return;
    onEvent(ev.type || "message", ev.data.endsWith("\n") ? ev.data.slice(0, -1) : ev.data, lastEventId);
  };

  async function connectOnce() {
    const query = { ...params };
    const headers = authHeaders({ Accept: "text/event-stream" });
    if (lastEventId !== null) {
      // Resuming: the header wins over `after`, as with a browser's EventSource.
      headers["Last-Event-ID"] = lastEventId;
      delete query.after;
    }
    onState("connecting");
    const r = await fetch(apiUrl("stream", query), {
      headers,
      credentials: "omit",
      cache: "no-store",
      signal: abort.signal,
    });
    if (r.status === 401) return "unauthorized";
    if (!r.ok || !r.body) return "failed";
    onState("live");
    retryMs = FIRST_RETRY_MS;
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser(dispatch, (ms) => {
      serverRetry = ms;
    });
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return "ended";
      parser.push(value);
    }
  }

  (async () => {
    while (!stopped) {
      let outcome;
      try {
        outcome = await connectOnce();
      } catch (e) {
        outcome = abort.signal.aborted ? "stopped" : "failed";
      }
      if (stopped || outcome === "stopped") break;
      if (outcome === "unauthorized") {
        onState("unauthorized");
        return;
      }
      const wait = serverRetry ?? retryMs;
      onState("retrying", wait);
      await new Promise((resolve) => setTimeout(resolve, wait));
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
    }
    onState("stopped");
  })();

  return {
    stop() {
      stopped = true;
      abort.abort();
    },
  };
}

/** An incremental Server-Sent Events parser: push text as it arrives, events come out whole. */
export class SseParser {
  constructor(onEvent, onRetry = () => {}) {
    this.onEvent = onEvent;
    this.onRetry = onRetry;
    this.buffer = "";
    this.reset();
  }

  reset() {
    this.type = "";
    this.data = "";
    this.id = null;
  }

  push(text) {
    this.buffer += text;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      if (!m) return;
      // A lone CR at the very end may be the first half of CRLF: wait for the next chunk.
      if (m[0] === "\r" && m.index === this.buffer.length - 1) return;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      this.line(line);
    }
  }

  line(line) {
    if (line === "") {
      this.onEvent({ type: this.type, data: this.data, id: this.id });
      this.reset();
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.type = value;
        break;
      case "data":
        this.data += value + "\n";
        break;
      case "id":
        if (!value.includes("\0")) this.id = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.onRetry(Number(value));
        break;
      default:
        break;
    }
  }
}
