#!/usr/bin/env bash
# Re-derives the bundled labels from the bundled captures (no root, no kernel needed) and fails if
# they differ from the committed expected.json files, or if a capture no longer matches its scenarios.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
real=$root/tests/engine/testdata/real
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
(cd "$real" && python3 "$here/label_seed.py" seed-enriched.log seed-enriched.runlog.jsonl \
   seed-raw.log seed-raw.runlog.jsonl) > "$tmp/expected.json"
(cd "$root/data" && python3 "$here/label_seed.py" sample-audit.log sample-audit.runlog.jsonl) > "$tmp/sample.json"
diff -u "$real/expected.json" "$tmp/expected.json"
diff -u "$root/data/sample-audit.expected.json" "$tmp/sample.json"
python3 - "$real/expected.json" "$root/data/sample-audit.expected.json" <<'PY'
import json, sys
for p in sys.argv[1:]:
    for c in json.load(open(p))["captures"]:
        print(f"{c['file']}: {c['events']} events, {len(c['alert_serials'])} must alert, "
              f"{len(c['no_alert_serials'])} near misses must not, "
              f"{len(c['resolve_paths_alert_serials'])} alert with --resolve-paths")
PY
echo "check: labels reproduce"
