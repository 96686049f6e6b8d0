#!/usr/bin/env bash
# Renders a digest's HTML part in headless Chromium at phone (375 px) and desktop (1280 px) widths:
# writes the screenshots for a look by eye and fails if the page is wider than the window (a
# horizontal scrollbar on a phone). The digest comes from the real binary: a local feed with
# long titles, long URLs, several topics, a story from two sources and hostile text is polled, then
# `digest preview --html` writes the part exactly as it would be mailed.
#
#   tests/tools/digest_screenshots.sh [OUT_DIR]     (default: target/digest-screenshots)
#
# Needs chromium (Debian's package; installed here with apt-get when missing and run as root) and
# python3. BIN names the briefwatch binary (default: target/debug/briefwatch, built if absent).
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/target/digest-screenshots}"
bin="${BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/briefwatch}"
mkdir -p "$out"

if ! command -v chromium >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y chromium >/dev/null
    else
        echo "skipped: chromium is not installed (apt-get install chromium)" >&2
        exit 0
    fi
fi
[ -x "$bin" ] || (cd "$root" && cargo build --quiet)

work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

long_url="https://www.example-news-agency-with-a-long-name.org/world/middle-east/2026/12/03/a-very-long-article-slug-that-never-breaks-on-its-own-$(printf 'x%.0s' {1..60})"
cat >"$work/wire.xml" <<EOF
<?xml version="1.0"?>
<rss version="2.0"><channel><title>Wire</title><link>https://wire.example/</link>
<item><guid>1</guid><title>Israel and Hamas reach ceasefire after weeks of talks mediated by Qatar and Egypt, officials say</title>
<link>https://wire.example/ceasefire</link><description>Israel and Hamas agreed to a ceasefire that takes effect on Sunday; the truce includes an exchange of hostages and prisoners, mediators said.</description></item>
<item><guid>2</guid><title>Iran denies assassination plot against exiled dissident &amp; journalist: "baseless" &lt; claims &gt;</title>
<link>$long_url</link><description>Police said the assassination plot was foiled after two suspects were arrested. The murder plot targeted a journalist, prosecutors said.</description></item>
<item><guid>3</guid><title>Supercalifragilisticexpialidocious-sanctions-package-announced-against-shipping-networks-without-spaces</title>
<link>https://wire.example/sanctions</link><description>The Treasury imposed sanctions on a shipping network accused of evading export controls.</description></item>
</channel></rss>
EOF
cat >"$work/agency.xml" <<EOF
<?xml version="1.0"?>
<rss version="2.0"><channel><title>Agency</title><link>https://agency.example/</link>
<item><guid>9</guid><title>Israel and Hamas reach ceasefire after weeks of talks mediated by Qatar and Egypt, officials say</title>
<link>https://agency.example/truce</link><description>Israel and Hamas agreed to a ceasefire that takes effect on Sunday; the truce includes an exchange of hostages and prisoners, mediators said.</description></item>
</channel></rss>
EOF
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$work" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
server=$!
cat >"$work/bw.toml" <<EOF
[storage]
path = "bw.db"
[fetch]
allow_hosts = ["127.0.0.1:$port"]
[[sources]]
name = "wire"
url = "http://127.0.0.1:$port/wire.xml"
[[sources]]
name = "agency"
url = "http://127.0.0.1:$port/agency.xml"
[smtp]
host = "localhost"
tls = "none"
from = "briefwatch <bw@example.org>"
[[digests]]
name = "morning"
schedule = "daily 07:30 Europe/London"
to = ["desk@example.org"]
unsubscribe = "https://example.org/unsubscribe?list=morning"
EOF
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/wire.xml" >/dev/null && break; sleep 0.1; done
"$bin" --config "$work/bw.toml" poll --once >/dev/null
"$bin" --config "$work/bw.toml" digest preview morning --html "$out/digest.html" >/dev/null

chrome=(chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
    --disable-background-networking --disable-component-update --disable-sync
    --hide-scrollbars --allow-file-access-from-files --virtual-time-budget=3000
    --user-data-dir="$work/profile")
# Desktop Chromium will not make a window narrower than 500 px, so the page is shown in a frame of
# exactly the width under test; a one-line script reports the frame's content width in the title.
status=0
for size in 375x2400 1280x1600; do
    w=${size%x*} h=${size#*x}
    cat >"$work/frame-$w.html" <<EOF
<!DOCTYPE html><html><body style="margin:0;background:#888">
<iframe id="f" src="file://$out/digest.html" style="display:block;width:${w}px;height:${h}px;border:0"></iframe>
<script>f.onload = () => { document.title = "W" + f.contentDocument.documentElement.scrollWidth + "W"; };</script>
</body></html>
EOF
    win="$((w < 500 ? 500 : w)),$h"
    "${chrome[@]}" --window-size="$win" --screenshot="$out/digest-$w.png" \
        "file://$work/frame-$w.html" >/dev/null 2>&1
    width=$("${chrome[@]}" --window-size="$win" --dump-dom "file://$work/frame-$w.html" 2>/dev/null |
        sed -n 's|.*<title>W\([0-9]*\)W</title>.*|\1|p')
    if [ -z "$width" ]; then
        echo "width $w: could not measure" >&2
        status=1
    elif [ "$width" -gt "$w" ]; then
        echo "width $w: FAIL, the page is $width px wide (horizontal scrolling)" >&2
        status=1
    else
        echo "width $w: ok, page $width px wide; screenshot $out/digest-$w.png"
    fi
done
exit $status
