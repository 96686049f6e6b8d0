#!/usr/bin/env bash
# Fuzzes the parsers that read untrusted input (tests/fuzz/fuzz_targets/: feed, extract, canonicalize,
# topic_rules, config) with cargo-fuzz and libFuzzer, each for MINUTES, then prints per target the
# minutes run, executions (libFuzzer's -print_final_stats), exec/s, and crashes, timeouts and OOMs
# with their reproducers. A run that crashes is restarted until the target's MINUTES are used up
# (at most FUZZ_MAX_FINDINGS findings a target), so the figures always cover the whole time.
#
#   tests/tools/fuzz.sh [MINUTES] [TARGET...]     (default: 10 minutes, every target)
#
# Needs a nightly toolchain (`rustup toolchain install nightly`); installs cargo-fuzz when missing.
# Seeds: tests/fuzz/seeds/<target> and tests/fuzz/dicts/<target>.dict (ours), the example config and topic packs
# under config/, and the shared corpora when ../shared/corpora exists (read only: libFuzzer adds new
# inputs only to the first corpus folder, the work one). Not part of `cargo test` or .ci/run.
#
# Environment: FUZZ_WORK (default ../fuzz-work: growing corpora, logs, artifacts, build), FUZZ_JOBS
# (targets at once, default 1), FUZZ_SANITIZER (default none: the code under test is safe Rust and
# AddressSanitizer halves the executions; `address` to use it), FUZZ_RSS_MB (2048),
# FUZZ_TIMEOUT_SECS (10), FUZZ_MAX_FINDINGS (5), FUZZ_NICE (19), FUZZ_ARGS (more libFuzzer flags,
# e.g. `-max_len=4096`; a flag given twice takes the later value).
#
# Reproduce a finding: <FUZZ_WORK>/target/x86_64-unknown-linux-gnu/release/<target> <artifact>
# (or `cargo +nightly fuzz run --fuzz-dir tests/fuzz -s none <target> <artifact>` from the repository root).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
minutes="${1:-10}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(feed extract canonicalize topic_rules config)
work="${FUZZ_WORK:-$root/../fuzz-work}"
jobs="${FUZZ_JOBS:-1}"
sanitizer="${FUZZ_SANITIZER:-none}"
rss_mb="${FUZZ_RSS_MB:-2048}"
timeout_secs="${FUZZ_TIMEOUT_SECS:-10}"
max_findings="${FUZZ_MAX_FINDINGS:-5}"
niceness="${FUZZ_NICE:-19}"
corpora="$root/../shared/corpora"

rustup toolchain list | grep -q '^nightly' || { echo "skipped: no nightly toolchain (rustup toolchain install nightly)"; exit 0; }
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
mkdir -p "$work"
work="$(cd "$work" && pwd)"

echo "== building fuzz targets (sanitizer: $sanitizer)"
build_args=()
[ ${#targets[@]} -eq 1 ] && build_args=("${targets[0]}")
(cd "$root" && nice -n 15 cargo +nightly fuzz build --fuzz-dir tests/fuzz -s "$sanitizer" --target-dir "$work/target" "${build_args[@]}")
bin_dir="$work/target/x86_64-unknown-linux-gnu/release"

if [ -d "$corpora" ]; then
    echo "== shared corpora: $corpora (read-only seeds)"
else
    echo "== shared corpora skipped: $corpora not found (only our own seeds are used)"
fi

# Seed folders of a target beyond tests/fuzz/seeds/<target>, and its libFuzzer options.
extra_seeds() {
    case "$1" in
        feed) [ -d "$corpora" ] && echo "$corpora/feeds"; echo "$root/tests/fixtures" ;;
        extract) [ -d "$corpora" ] && echo "$corpora/extraction" ;;
        topic_rules) echo "$root/config/topics"; echo "$root/tests/fixtures/topics" ;;
        config) echo "$root/config" ;;
    esac
    true
}
options() {
    case "$1" in
        # Whole feeds and pages, truncated: long enough for real documents, short enough to stay
        # fast (extraction costs about 30 ms a 64 KiB page, so pages get 16 KiB).
        feed) echo "-max_len=65536" ;;
        extract) echo "-max_len=16384" ;;
        *) echo "-max_len=8192" ;;
    esac
    # rs-trafilatura prints DEBUG lines whenever debug assertions are on (they are, in fuzz builds):
    # close the target's stderr (libFuzzer keeps its own). Reproduce without it to see a panic message.
    [ "$1" = extract ] && echo "-close_fd_mask=2"
    [ -f "$root/tests/fuzz/dicts/$1.dict" ] && echo "-dict=$root/tests/fuzz/dicts/$1.dict"
    true
}

# Runs one target for the whole time, restarting after each finding; writes a summary line.
fuzz_one() {
    local t="$1" budget=$((minutes * 60)) spent=0 execs=0 runs=0 findings=0
    local dir="$work/$t"
    mkdir -p "$dir/corpus" "$dir/artifacts"
    local seeds=("$root/tests/fuzz/seeds/$t")
    while read -r s; do [ -n "$s" ] && [ -d "$s" ] && seeds+=("$s"); done < <(extra_seeds "$t")
    local opts
    mapfile -t opts < <(options "$t")
    # A copy of the binary, so that rebuilding while a run goes on neither fails nor changes it.
    cp "$bin_dir/$t" "$dir/$t.bin"
    while [ "$spent" -lt "$budget" ] && [ "$findings" -lt "$max_findings" ]; do
        runs=$((runs + 1))
        local log="$dir/run-$runs.log" start end rc=0
        start=$(date +%s)
        nice -n "$niceness" "$dir/$t.bin" "$dir/corpus" "${seeds[@]}" \
            -max_total_time=$((budget - spent)) -timeout="$timeout_secs" -rss_limit_mb="$rss_mb" \
            -print_final_stats=1 -artifact_prefix="$dir/artifacts/" "${opts[@]}" ${FUZZ_ARGS:-} >"$log" 2>&1 || rc=$?
        end=$(date +%s)
        spent=$((spent + end - start))
        local n
        n=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}' | tail -1 || true)
        execs=$((execs + ${n:-0}))
        if [ "$rc" -ne 0 ]; then
            findings=$((findings + 1))
            local kind what artifact
            # libFuzzer's verdict (deadly signal = a panic, timeout, out-of-memory) and where the
            # panic was raised (the extract target's stderr is closed: no location there).
            kind=$(grep -o "ERROR: libFuzzer: [a-z-]*\|^thread '.*' ([0-9]*) panicked at [^ ]*" "$log" |
                sed "s/^thread .* panicked at /panicked at /" | tail -2 | tr '\n' ' ' || true)
            artifact=$(grep -o 'Test unit written to .*' "$log" | tail -1 | sed 's/Test unit written to //' || true)
            what="${kind:-exit $rc}"
            echo "$t: finding $findings after ${spent}s: $what -> ${artifact:-no artifact} (log $log)"
        fi
    done
    local rate=0
    [ "$spent" -gt 0 ] && rate=$((execs / spent))
    printf '%-12s %8.1f %12d %8d %8d   %s\n' "$t" "$(awk "BEGIN { print $spent / 60 }")" "$execs" "$rate" \
        "$findings" "$dir/artifacts" >"$dir/summary.txt"
}

echo "== fuzzing ${targets[*]} for $minutes min each, $jobs at once (work: $work)"
running=0
for t in "${targets[@]}"; do
    [ -x "$bin_dir/$t" ] || { echo "no such target: $t"; exit 2; }
    fuzz_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait

echo
printf '%-12s %8s %12s %8s %8s   %s\n' target minutes executions exec/s findings artifacts
for t in "${targets[@]}"; do cat "$work/$t/summary.txt"; done
