#!/bin/sh
# Writes a generated log (bench/gen_audit_log.py, which starts at 1795000000 s) to stdout with its time
# offsets multiplied by FACTOR (default 10): the same events at a tenth of the rate, so the log spans more
# than a rule's look-back and memory that follows the look-back, not the input, shows as flat.
#   sh bench/stretch_time.sh bench/data/audit-200mb.log | audetect scan --rules DIR -
exec perl -pe 'BEGIN { $f = $ENV{FACTOR} || 10 }
  s/audit\((\d+)\.(\d{3}):/my $o = (($1 - 1795000000) * 1000 + $2) * $f; sprintf("audit(%d.%03d:", 1795000000 + int($o \/ 1000), $o % 1000)/ge' "$1"
