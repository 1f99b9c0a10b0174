#!/usr/bin/env bash
# Runs every built fuzz target for N seconds with its seed corpus (fuzz/corpus/<name>/ if present).
set -euo pipefail
build=${1:-build/fuzz}; seconds=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
status=0
for bin in "$build"/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  work="$build/fuzz-work/$name"; mkdir -p "$work"
  seeds=()
  [ -d "$here/corpus/$name" ] && seeds+=("$here/corpus/$name")
  echo "== $name (${seconds}s)"
  if ! "$bin" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/" "$work" "${seeds[@]}" 2>"$work/log"; then
    echo "FAILED: $name (see $work/log)"; tail -40 "$work/log"; status=1
  else
    grep -E 'stat::number_of_executed_units|cov:' "$work/log" | tail -2
  fi
done
exit $status
