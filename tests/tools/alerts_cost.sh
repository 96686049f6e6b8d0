#!/usr/bin/env bash
# What alert rules cost a cold poll: the same farm polled with no rules, then with two alert rules
# and a signed webhook destination (a local receiver answering 200), alternately, each from an empty
# database. Prints each run's wall time, the poll phase (`elapsed_ms`), the deliveries queued and the
# CPU time, then the median ratios (CPU is the steadiest on a busy machine). The poll phase is what
# the rules cost at ingest (routing every new brief, writing outbox rows in the brief's
# transaction); the deliveries themselves go out afterwards and are not counted
# (`poll_once_timeout_secs = 0` leaves them queued).
#   tests/tools/alerts_cost.sh BRIEFWATCH_BIN [RUNS] [FEEDS] [ITEMS]
# Needs ../shared/bench (the feed farm), nginx (nginx-light) and python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bench=$(cd "$here/../../../shared/bench" 2>/dev/null && pwd) || {
  echo "alerts_cost: ../shared/bench not found next to the repository; nothing to measure" >&2
  exit 0
}
bin=$(realpath "${1:?usage: alerts_cost.sh BRIEFWATCH_BIN [RUNS] [FEEDS] [ITEMS]}")
runs=${2:-3}; feeds=${3:-1000}; items=${4:-50}
work=$(mktemp -d -t bw-alerts.XXXXXX); port=$((20000 + RANDOM % 20000)); rport=$((port + 1))
trap '"$bench/farm.sh" stop "$work/farm" >/dev/null 2>&1 || true; kill $receiver 2>/dev/null || true; rm -rf "$work"' EXIT
"$bench/farm.sh" start "$work/farm" "$feeds" "$items" "$port" >/dev/null 2>&1
python3 - "$rport" <<'PY' &
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200); self.send_header("content-length", "0"); self.end_headers()
    def log_message(self, *a): pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
receiver=$!
printf 'whsec_%s\n' "$(head -c 32 /dev/urandom | base64)" > "$work/secret"
base="[storage]
path = \"bw.db\"
[fetch]
allow_private_networks = true"
alerts="
[delivery]
poll_once_timeout_secs = 0
[[destinations]]
name = \"ops\"
kind = \"webhook\"
url = \"http://127.0.0.1:$rport/hook\"
secret_file = \"$work/secret\"
[[alerts]]
name = \"conflict\"
topics = [\"military_strike\", \"terrorism\"]
destinations = [\"ops\"]
[[alerts]]
name = \"diplomacy\"
topics = [\"ceasefire\", \"diplomacy\"]
min_score = 0.6
destinations = [\"ops\"]"
one() { # name config-text -> prints "name wall_s elapsed_ms queued"
  local d="$work/$1"; rm -rf "$d"; mkdir -p "$d"; printf '%s\n' "$2" > "$d/bw.toml"
  "$bin" --config "$d/bw.toml" sources import "$work/farm/feeds.opml" >/dev/null
  /usr/bin/time -f "%e %U %S" -o "$d/time" "$bin" --config "$d/bw.toml" poll --once --json > "$d/out"
  local queued
  queued=$("$bin" --config "$d/bw.toml" alerts list --limit 0 --json | wc -l)
  local wall user sys
  read -r wall user sys < "$d/time"
  printf '%-10s wall_s %6.2f poll_ms %6d deliveries %6d cpu_s %6.2f\n' "$1" "$wall" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["elapsed_ms"])' "$d/out")" "$queued" \
    "$(echo "$user + $sys" | bc -l)"
}
for _ in $(seq "$runs"); do
  one plain "$base"
  one alerts "$base$alerts"
done | tee "$work/results"
python3 - "$work/results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
med = lambda name, col: statistics.median(float(r[col]) for r in rows if r[0] == name)
print(f"median wall: plain {med('plain', 2):.2f} s, alerts {med('alerts', 2):.2f} s "
      f"-> alerts/plain {med('alerts', 2) / med('plain', 2):.3f}")
print(f"median poll phase: plain {med('plain', 4):.0f} ms, alerts {med('alerts', 4):.0f} ms "
      f"-> alerts/plain {med('alerts', 4) / med('plain', 4):.3f}")
print(f"median CPU: plain {med('plain', 8):.2f} s, alerts {med('alerts', 8):.2f} s "
      f"-> alerts/plain {med('alerts', 8) / med('plain', 8):.3f}")
PY
