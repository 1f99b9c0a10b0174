#!/usr/bin/env bash
# Re-creates every bundled capture and its labels (needs root and a kernel with audit support).
#   data/sample-audit.log (+ .expected.json)          everyday.sh, ENRICHED, rules/server.rules
#   tests/engine/testdata/real/seed-{enriched,raw}.log seed.sh, one run per format, rules/seed.rules
#   tests/engine/testdata/real/expected.json           label_seed.py over both seed captures
# usage: make_all.sh [sample|seed]...   (default: both)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
what=("$@"); [ ${#what[@]} -gt 0 ] || what=(sample seed)
stage=$(mktemp -d /tmp/audetect-captures.XXXXXX)
trap 'rm -rf "$stage"' EXIT

for w in "${what[@]}"; do
  case $w in
    sample)
      "$here/capture.sh" --format ENRICHED --rules "$here/rules/server.rules" \
        --out "$stage/sample-audit.log" --runlog "$stage/sample-audit.runlog.jsonl" "$here/workloads/everyday.sh"
      python3 "$here/label_seed.py" "$stage/sample-audit.log" "$stage/sample-audit.runlog.jsonl" > "$stage/sample-audit.expected.json"
      install -m 0644 "$stage"/sample-audit.{log,runlog.jsonl,expected.json} "$root/data/"
      ;;
    seed)
      out=$root/tests/engine/testdata/real
      mkdir -p "$out"
      for fmt in ENRICHED RAW; do
        name=seed-${fmt,,}
        "$here/capture.sh" --format "$fmt" --rules "$here/rules/seed.rules" \
          --out "$stage/$name.log" --runlog "$stage/$name.runlog.jsonl" "$here/workloads/seed.sh"
      done
      python3 "$here/label_seed.py" "$stage/seed-enriched.log" "$stage/seed-enriched.runlog.jsonl" \
        "$stage/seed-raw.log" "$stage/seed-raw.runlog.jsonl" > "$stage/expected.json"
      install -m 0644 "$stage"/seed-{enriched,raw}.{log,runlog.jsonl} "$stage/expected.json" "$out/"
      ;;
    *) echo "make_all.sh: unknown capture $w (sample|seed)" >&2; exit 2 ;;
  esac
done
