#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 10), without sanitizer (works on stable
# Rust), starting from the corpus kept in corpus/<target>/. New inputs go to a scratch
# directory, so the kept corpus is not changed. Fails on any crash, hang (an input taking
# over 10 s) or memory beyond 1 GiB; the failing input is saved under artifacts/<target>/.
#
# Usage: bash imap-async/fuzz/run.sh [SECONDS]    (needs `cargo install cargo-fuzz`)
set -euo pipefail

seconds="${1:-10}"
cd "$(dirname "${BASH_SOURCE[0]}")"

targets=(parse_response encode_roundtrip utf7 search sequence notify)
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

cargo fuzz build -s none
for t in "${targets[@]}"; do
    printf '\n==> fuzz %s for %ss\n' "$t" "$seconds"
    mkdir -p "$scratch/$t" "corpus/$t"
    log="$scratch/$t.log"
    if ! cargo fuzz run -s none "$t" "$scratch/$t" "corpus/$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
        >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        echo "fuzz target $t failed; the input is saved under imap-async/fuzz/artifacts/$t/" >&2
        exit 1
    fi
    grep -E '^(Done|stat::number_of_executed_units|stat::average_exec_per_sec)' "$log" || true
done
printf '\n==> all fuzz targets ran %ss without a failure\n' "$seconds"
