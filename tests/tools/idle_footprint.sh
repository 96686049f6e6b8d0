#!/usr/bin/env bash
# The daemon's idle footprint: 1,000 sources configured (the nginx feed farm of ../shared/bench),
# polled once, then a minute with nothing due. Prints resident memory and CPU over that minute.
#
#   tests/tools/idle_footprint.sh [SECONDS]      (default 60)
#
# Needs nginx (apt-get install -y nginx-light) and ../shared/bench/farm.sh; BIN names the binary
# (default: target/release/briefwatch). Skips with a message when the bench folder is absent.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bench="$root/../shared/bench"
bin="${BIN:-${CARGO_TARGET_DIR:-$root/target}/release/briefwatch}"
window="${1:-60}"
[ -x "$bench/farm.sh" ] || { echo "skipped: $bench/farm.sh not found"; exit 0; }
command -v nginx >/dev/null || { echo "skipped: nginx missing (apt-get install -y nginx-light)"; exit 0; }
[ -x "$bin" ] || (cd "$root" && cargo build --release --quiet)

work="$(mktemp -d)"
farm="$work/farm"
base=$("$bench/farm.sh" start "$farm" 1000 50 8097 | tail -1)
trap '"$bench/farm.sh" stop "$farm"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

{
    printf '[storage]\npath = "bw.db"\n[fetch]\nallow_hosts = ["127.0.0.1:8097"]\n'
    n=0
    while read -r url; do
        n=$((n + 1))
        printf '[[sources]]\nname = "f%d"\nurl = "%s"\ninterval = "1h"\n' "$n" "$url"
    done <"$farm/urls.txt"
} >"$work/bw.toml"

"$bin" --config "$work/bw.toml" run 2>"$work/log" &
pid=$!
# Wait until every source has been polled once.
for _ in $(seq 120); do
    polled=$("$bin" --config "$work/bw.toml" sources list --json 2>/dev/null | grep -c '"last_checked":"' || true)
    [ "$polled" -ge 1000 ] && break
    sleep 1
done
echo "sources polled: $polled (base $base)"
sleep 5
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks)
sleep "$window"
t1=$(ticks)
rss_kib=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
hwm_kib=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
awk -v t0="$t0" -v t1="$t1" -v hz="$hz" -v w="$window" -v rss="$rss_kib" -v hwm="$hwm_kib" 'BEGIN {
    printf "idle %ds: CPU %.2f%% of a core, resident %.1f MiB (peak during the first poll %.1f MiB)\n",
        w, 100 * (t1 - t0) / hz / w, rss / 1024, hwm / 1024 }'
