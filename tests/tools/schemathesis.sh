#!/usr/bin/env bash
# Property-based testing of the JSON API against its own OpenAPI document (not part of `cargo test`).
#
# Builds briefwatch, starts a loopback feed origin (python3 -m http.server) with a few briefs and a
# daemon with an API token over a temporary config and database (plus an alert rule whose webhook
# fails, so that /api/deliveries has rows), waits for the briefs, validates the document with
# openapi-spec-validator, runs Schemathesis with every check (not_a_server_error, response schema
# conformance, ignored_auth, ...) and stops everything it started.
#
# Schemathesis comes from PyPI into a venv under the cargo target dir (reused on later runs).
# /api/stream is left out: an SSE stream never ends, so a generated request would only time out;
# the integration tests (tests/it/api.rs) cover it.
#
# Usage: tests/tools/schemathesis.sh [MAX_EXAMPLES]   (default 100 per operation)
# Env: CARGO_TARGET_DIR (default target), SCHEMATHESIS_SEED (default 1).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
MAX_EXAMPLES=${1:-100}
SEED=${SCHEMATHESIS_SEED:-1}
SCHEMATHESIS_VERSION=4.32.5
VALIDATOR_VERSION=0.9.0

echo "== building briefwatch"
cargo build --locked --quiet
BIN=$TARGET/debug/briefwatch

VENV=$TARGET/schemathesis-venv
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION" \
  || ! "$VENV/bin/python" -c "import openapi_spec_validator" 2>/dev/null; then
  echo "== installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION" \
    "openapi-spec-validator==$VALIDATOR_VERSION"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/briefwatch-schemathesis-XXXXXX")
ORIGIN_PID=
DAEMON_PID=
cleanup() {
  [ -n "$DAEMON_PID" ] && kill -TERM "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null || true
  [ -n "$ORIGIN_PID" ] && kill "$ORIGIN_PID" 2>/dev/null && wait "$ORIGIN_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
ORIGIN_PORT=$(free_port)
API_PORT=$(free_port)
HOOK_PORT=$(free_port)
TOKEN=$(python3 -c 'import secrets; print(secrets.token_hex(16))')

mkdir -p "$WORK/origin"
cat >"$WORK/origin/wire.xml" <<'EOF'
<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Wire</title><link>https://wire.example/</link>
<item><guid>plot</guid><title>Police foil assassination plot against minister</title>
<link>https://wire.example/plot</link><pubDate>Mon, 02 Nov 2026 09:00:00 GMT</pubDate>
<description>Two suspects were arrested over the murder plot in Iran, prosecutors said.</description></item>
<item><guid>truce</guid><title>Ceasefire holds in the north as talks resume in Geneva</title>
<link>https://wire.example/truce</link><pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate>
<description>The truce agreed last week held overnight; the UN envoy said both sides were at the table.</description></item>
<item><guid>rates</guid><title>Central bank keeps rates unchanged</title>
<link>https://wire.example/rates</link>
<description>Inflation is steady, the governor said. Zürich, São Paulo and Kraków markets were calm.</description></item>
<item><guid>markup</guid><title>&lt;b&gt;Bold&lt;/b&gt; claims &amp; counter-claims</title>
<link>https://wire.example/markup</link><pubDate>Tue, 03 Nov 2026 08:00:00 GMT</pubDate>
<description>&lt;p&gt;Sanctions on Russia were extended, the IAEA said.&lt;/p&gt;</description></item>
</channel></rss>
EOF
(cd "$WORK/origin" && exec python3 -m http.server --bind 127.0.0.1 "$ORIGIN_PORT" >/dev/null 2>&1) &
ORIGIN_PID=$!
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$ORIGIN_PORT/wire.xml" 2>/dev/null && break
  sleep 0.1
done

printf '%s\n' "$TOKEN" >"$WORK/api.token"
cat >"$WORK/bw.toml" <<EOF
[storage]
path = "bw.db"

[fetch]
timeout_secs = 5
allow_hosts = ["127.0.0.1:$ORIGIN_PORT", "127.0.0.1:$HOOK_PORT"]

[[sources]]
name = "wire"
url = "http://127.0.0.1:$ORIGIN_PORT/wire.xml"
interval = "1h"

[delivery]
retry_schedule = ["0s", "300ms"]

[[destinations]]
name = "ops"
kind = "webhook"
url = "http://127.0.0.1:$HOOK_PORT/hook"
secret_env = "BRIEFWATCH_SCHEMATHESIS_SECRET"

[[alerts]]
name = "plots"
topics = ["assassination_plot"]
destinations = ["ops"]

[server]
listen = "127.0.0.1:$API_PORT"
token_file = "api.token"
EOF

echo "== starting the daemon on 127.0.0.1:$API_PORT"
BRIEFWATCH_SCHEMATHESIS_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw \
  "$BIN" --config "$WORK/bw.toml" run >"$WORK/daemon.log" 2>&1 &
DAEMON_PID=$!

BASE=http://127.0.0.1:$API_PORT
api() { curl -fsS -H "Authorization: Bearer $TOKEN" "$BASE$1"; }
for _ in $(seq 1 300); do
  n=$(api /api/briefs 2>/dev/null | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["briefs"]))' 2>/dev/null || echo 0)
  d=$(api '/api/deliveries?failed=true' 2>/dev/null | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["deliveries"]))' 2>/dev/null || echo 0)
  [ "$n" -ge 4 ] && [ "$d" -ge 1 ] && break
  sleep 0.1
done
if [ "${n:-0}" -lt 4 ] || [ "${d:-0}" -lt 1 ]; then
  echo "the daemon did not store the briefs (briefs: ${n:-0}, failed deliveries: ${d:-0})" >&2
  cat "$WORK/daemon.log" >&2
  exit 1
fi
echo "   $n briefs stored, $d failed delivery"

echo "== validating the OpenAPI document"
api /api/openapi.json >"$WORK/openapi.json"
"$VENV/bin/python" -m openapi_spec_validator "$WORK/openapi.json"

# The page cursor is opaque (a cursor the API did not give out is a 400 by design, and
# tests/it/api.rs checks that), so no generated string can be a valid one: the briefs endpoint
# gets a real cursor (the one after brief 100) and every other parameter is generated.
CURSOR=$(printf 'b1:100' | base64 | tr '+/' '-_' | tr -d '=')
cat >"$WORK/schemathesis.toml" <<EOF
[[operations]]
include-name = "GET /api/briefs"
parameters = { "query.cursor" = "$CURSOR" }
EOF

echo "== schemathesis (all checks, $MAX_EXAMPLES examples per operation, seed $SEED)"
status=0
# Run from the temp dir, so that Schemathesis' example database stays out of the work tree.
(cd "$WORK" && "$VENV/bin/schemathesis" --config-file "$WORK/schemathesis.toml" run "$WORK/openapi.json" \
  --url "$BASE" \
  -H "Authorization: Bearer $TOKEN" \
  --checks all \
  --exclude-path /api/stream \
  --max-examples "$MAX_EXAMPLES" \
  --seed "$SEED" \
  --request-timeout 10 \
  --workers 2 \
  --no-color) || status=$?

# The dead-lettered webhook is expected; a panic or an API read failure is not.
if grep -E 'panicked|API read failed|briefwatch::server' "$WORK/daemon.log" | grep -vE 'endpoint listening'; then
  echo "the daemon logged the lines above while under test" >&2
  status=1
fi
exit "$status"
