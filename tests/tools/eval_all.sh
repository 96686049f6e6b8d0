#!/usr/bin/env bash
# Every quality evaluation over the shared corpora in one run, ending with one table: feed-parser
# conformance, article extraction, topics (rules alone and with a cross-validated model), event
# types, and how often the default pack fires on unrelated news. Not part of `cargo test`: the
# corpora live outside the repository (../shared/corpora); without them it says so and exits 0.
#   tests/tools/eval_all.sh            (from the repository root; builds the release binary first)
# Set BIN=path/to/briefwatch to use a binary already built (its examples are still built here).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
corpora=${CORPORA:-$root/../shared/corpora}
scorers=${SCORERS:-$root/../shared/eval}
if [ ! -d "$corpora" ] || [ ! -d "$scorers" ]; then
  echo "eval_all: $corpora or $scorers not found; nothing to evaluate (the corpora are not part of the repository)"
  exit 0
fi
cd "$root"
cargo build --release --locked -q --bin briefwatch --examples
target=${CARGO_TARGET_DIR:-$root/target}
bin=${BIN:-$target/release/briefwatch}
ex=$target/release/examples
work=$(mktemp -d -t bw-eval.XXXXXX)
trap 'rm -rf "$work"' EXIT
printf '[storage]\npath = "bw.db"\n' > "$work/bw.toml"
bw() { "$bin" --config "$work/bw.toml" "$@"; }
rows=()
row() { rows+=("$(printf '%-11s %-44s %-26s %s' "$1" "$2" "$3" "$4")"); }
last() { tail -n 1 "$1"; }
# Tuning halves of a label file: A holds the ids whose md5 ends in an even byte, B the rest. Pack changes
# are tuned on A; B is the check (report it, look at its items as little as possible).
half() { # GOLD.tsv A|B -> the header and that half's rows
  python3 - "$1" "$2" <<'PY'
import hashlib, sys
lines = open(sys.argv[1]).read().splitlines()
print(lines[0])
for line in lines[1:]:
    odd = hashlib.md5(line.split("\t", 1)[0].encode()).digest()[-1] % 2
    if odd == (sys.argv[2] == "B"):
        print(line)
PY
}
field() { # FILE KEY -> the value after KEY on the file's last line
  last "$1" | tr ' ' '\n' | awk -v k="$2" 'found { print; exit } $0 == k { found = 1 }'
}

echo "== feeds: feed_conformance"
"$ex/feed_conformance" "$corpora/feeds" > "$work/feeds.txt" 2>&1 || true
grep -v -E '^  (FAIL|DIFF|UNREADABLE|ERROR|apart)' "$work/feeds.txt" || true
for suite in wellformed encoding entities; do
  line=$(grep -E "^  $suite +mapped" "$work/feeds.txt" | head -n 1 || true)
  [ -n "$line" ] || continue
  row feeds "feedparser $suite: passed of mapped checks" \
    "$(echo "$line" | awk '{print $5 " of " $3 " (" $7 ")"}')" ">= 95%"
  row feeds "feedparser $suite: unparsable files" "$(echo "$line" | awk '{print $NF}')" ""
done
gof=$(awk '/^gofeed translator goldens/ {on=1; next} on && /compared/ {c+=$3; a+=$5} on && !/compared/ {on=0} END {if (c) printf "%d of %d (%.1f%%)", a, c, 100*a/c}' "$work/feeds.txt")
[ -z "$gof" ] || row feeds "gofeed translator goldens: fields agreeing" "$gof" ">= 95%"
while IFS= read -r line; do
  label=${line%%:*}
  dir=$(echo "$label" | sed -n 's/.*(\(.*\)).*/\1/p')
  [ -z "$dir" ] || label="real-world feeds, $(basename "$dir")"
  row feeds "$label" "${line#*: }" "all"
done < <(grep -E '^(real-world feeds|charset routes)' "$work/feeds.txt")

echo "== extraction: article-extraction-benchmark"
aeb=$corpora/extraction/article-extraction-benchmark
"$ex/extract_eval" aeb "$aeb/html" "$work/aeb-pred.json" > "$work/aeb.txt" 2>&1 || true
python3 "$scorers/aeb_score.py" "$aeb/ground-truth.json" "$work/aeb-pred.json" > "$work/aeb-score.txt" 2>&1 || true
cat "$work/aeb-score.txt"
row extraction "AEB F1 (aeb_score.py)" "$(field "$work/aeb-score.txt" f1)" ">= 0.97"
row extraction "AEB precision / recall" "$(field "$work/aeb-score.txt" precision) / $(field "$work/aeb-score.txt" recall)" ""

echo "== extraction: readability test pages"
"$ex/extract_eval" readability "$corpora/extraction/readability" > "$work/read.txt" 2>&1 || true
tail -n 3 "$work/read.txt"
row extraction "Readability text P / R / F1" "$(grep 'pages scored' "$work/read.txt" | sed 's/.*precision \([0-9.]*\) recall \([0-9.]*\) f1 \([0-9.]*\).*/\1 \/ \2 \/ \3/')" ""
row extraction "Readability titles" "$(grep '^titles' "$work/read.txt" | sed 's/^titles *//')" ""
row extraction "Readability bylines" "$(grep '^bylines' "$work/read.txt" | sed 's/^bylines *//')" ""

topics=$corpora/classification/briefs-topics/dev.tsv
echo "== topics: default pack on briefs-topics dev"
bw classify --tsv < "$topics" > "$work/topics-pred.tsv"
python3 "$scorers/topics_f1.py" "$topics" "$work/topics-pred.tsv" > "$work/topics.txt"
last "$work/topics.txt"
row topics "rules alone: micro P / R" "$(field "$work/topics.txt" micro_p) / $(field "$work/topics.txt" micro_r)" "P >= 0.85"
row topics "rules alone: micro-F1" "$(field "$work/topics.txt" micro_f1)" ">= 0.85"
for h in A B; do
  half "$topics" $h > "$work/topics-$h.tsv"
  python3 "$scorers/topics_f1.py" "$work/topics-$h.tsv" "$work/topics-pred.tsv" > "$work/topics-$h.txt"
  row topics "rules alone, half $h: micro P / R / F1" \
    "$(field "$work/topics-$h.txt" micro_p) / $(field "$work/topics-$h.txt" micro_r) / $(field "$work/topics-$h.txt" micro_f1)" ""
done
bw train --labels "$topics" --cv 2 --dry-run > "$work/topics-cv.txt" 2>&1 || true
cat "$work/topics-cv.txt"
row topics "rules + model, 2-fold CV" "$(grep 'rules and model' "$work/topics-cv.txt" | sed 's/.*micro //; s/, exact.*//')" ""

events=$corpora/classification/case2021-dev/dev.tsv
echo "== event types: acled-events pack on CASE 2021 dev"
bw classify --topics "$root/config/topics/acled-events.toml" --tsv < "$events" > "$work/events-pred.tsv"
python3 "$scorers/event_f1.py" "$events" "$work/events-pred.tsv" > "$work/events.txt"
last "$work/events.txt"
row events "rules alone: weighted F1" "$(field "$work/events.txt" weighted_f1)" ">= 0.80"
for h in A B; do
  half "$events" $h > "$work/events-$h.tsv"
  python3 "$scorers/event_f1.py" "$work/events-$h.tsv" "$work/events-pred.tsv" > "$work/events-$h.txt"
  row events "rules alone, half $h: weighted F1" "$(field "$work/events-$h.txt" weighted_f1)" ""
done
"$ex/classify_eval" "$root/config/topics/acled-events.toml" "$events" --cv 5 > "$work/events-cv-pred.tsv" 2> "$work/events-cv.txt" || true
python3 "$scorers/event_f1.py" "$events" "$work/events-cv-pred.tsv" > "$work/events-cv-score.txt" 2>&1 || true
row events "rules + model, 5-fold CV: weighted F1" "$(field "$work/events-cv-score.txt" weighted_f1)" ""

echo "== default pack on unrelated news (negative items)"
# CAMEO pentaclass: classes 0 and 1 are neutral or verbal cooperation, the closest to "nothing to tag".
cameo=$corpora/classification/conflibert-cameo-pentaclass/test.tsv
if [ -f "$cameo" ]; then
  python3 - "$cameo" > "$work/cameo-neg.tsv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter="\t"))
for i, r in enumerate(rows[1:] if rows and not rows[0][-1].strip().isdigit() else rows):
    text, label = r[0], r[-1].strip()
    if label in ("0", "1"):
        print(f"c{i}\t{' '.join(text.split())}")
PY
  bw classify --tsv < "$work/cameo-neg.tsv" > "$work/cameo-pred.tsv"
  n=$(wc -l < "$work/cameo-pred.tsv"); fired=$(awk -F'\t' '$2 != ""' "$work/cameo-pred.tsv" | wc -l)
  row negatives "CAMEO classes 0-1: share given any topic" "$(python3 -c "print(f'{$fired/max($n,1):.3f} ({$fired} of $n)')")" "low"
fi
# IndiaPoliceEvents: Times of India articles with none of the police-action labels (riots, politics).
ipe=$corpora/classification/india-police-events/docs.jsonl
if [ -f "$ipe" ]; then
  python3 - "$ipe" > "$work/ipe-neg.tsv" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    if not d["doc_labels"]:
        print(f"{d['doc_id']}\t{' '.join(d['doc_text'].split())}")
PY
  bw classify --tsv < "$work/ipe-neg.tsv" > "$work/ipe-pred.tsv"
  n=$(wc -l < "$work/ipe-pred.tsv"); fired=$(awk -F'\t' '$2 != ""' "$work/ipe-pred.tsv" | wc -l)
  row negatives "IndiaPoliceEvents unlabelled docs: share given any topic" "$(python3 -c "print(f'{$fired/max($n,1):.3f} ({$fired} of $n)')")" "low"
fi

echo
printf '%-11s %-44s %-26s %s\n' area measure value target
printf '%s\n' "${rows[@]}"
