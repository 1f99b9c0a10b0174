#!/usr/bin/env bash
# After ctest: the conformance figures each conformance test printed (ctest keeps every test's
# output in LastTest.log), then ctest's own verdict again, so it stays the closing line.
set -u
build=${1:-build/debug}
log="$build/Testing/Temporary/LastTest.log"
[ -f "$log" ] || exit 0
echo
echo "== conformance against the reference corpus (../shared/corpus)"
grep -E '^[^ ].*: [0-9]+ (found, [0-9]+ )?passed, [0-9]+ failed' "$log" | sort -u | sed 's/^/  /'
grep -hE 'SKIPPED.*corpus|corpus.*not found|skipping: ' "$log" | sort -u | head -5 | sed 's/^/  /'
verdict=$(tail -1 "$build/ctest-verdict.txt" 2>/dev/null)
[ -n "$verdict" ] && { echo; echo "$verdict"; }
exit 0
