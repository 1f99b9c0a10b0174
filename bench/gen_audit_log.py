#!/usr/bin/env python3
"""Generates a large, realistic auditd log from real captured events, deterministically.

usage: gen_audit_log.py [--size-mb N] [--seed S] [--format raw|enriched] [--modules-rate R]
                        [--interleave R] [--nodes N] [--meta FILE] OUT

Templates are whole events of the bundled real captures: data/sample-audit.log (everyday server
activity: execs, /proc reads, connects, PAM records, chmod/chown, ...) for the bulk, and the events
that open /proc/modules in tests/engine/testdata/real/seed-raw.log and the sample (cat, awk, python3,
lsmod, kmod, grep, named copies, parent pid 1, relative names, failed opens) for about R (default
0.1 %) of the events. Each emitted event gets a fresh serial (increasing, one per event, as the kernel
numbers them), a timestamp that advances by 0-3 ms, new pid/ppid (ppid 1 is kept: it is what some
rules test), a session id, inode numbers, /proc/<pid>/ paths and temporary names. A fraction of
consecutive events have their records interleaved, as auditd writes concurrent events. With --nodes N
each event is given to one of N hosts (`node=host-K ` prefix as with name_format = USER, its own
serial sequence per host) as an aggregating auditd writes them. Every line is
a record auditd wrote, with those values changed; the format is that of the templates' auditd
(ENRICHED, or RAW: the same lines cut at the 0x1D separator).

With the same arguments the output is byte-identical. --meta writes a JSON summary: events, records,
bytes, and how many generated events open /proc/modules and how many of those the shipped rule must
alert on (from the capture labels), so a benchmark can check a scan's result.
"""
import argparse
import json
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SAMPLE = os.path.join(ROOT, "data", "sample-audit.log")
SAMPLE_LABELS = os.path.join(ROOT, "data", "sample-audit.expected.json")
SEED = os.path.join(ROOT, "tests", "engine", "testdata", "real", "seed-enriched.log")
SEED_LABELS = os.path.join(ROOT, "tests", "engine", "testdata", "real", "expected.json")

HEADER = re.compile(r"msg=audit\((\d+)\.(\d{3}):(\d+)\)")
# Values to vary, each replaced by a named placeholder in the template text.
SUBSTITUTIONS = [
    (re.compile(r"(?<=[ '])pid=\d+"), "pid={pid}"),
    (re.compile(r"(?<= )ppid=(?!1 )\d+"), "ppid={ppid}"),
    (re.compile(r"(?<= )ses=(?!4294967295)\d+"), "ses={ses}"),
    (re.compile(r"(?<= )inode=\d+"), "inode={inode}"),
    (re.compile(r"/proc/\d+/"), "/proc/{pid}/"),
    (re.compile(r"audetect-(everyday|seedbin|orphan)\.[A-Za-z0-9]{6}"), r"audetect-\1.{tmp}"),
]
SKIP_TYPES = ("CONFIG_CHANGE", "DAEMON_START", "DAEMON_END", "DAEMON_ROTATE")
TMP_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def read_events(path, enriched):
    """Events of a capture as {serial: [record text with the header replaced by {hdr}]}, in order."""
    events = {}
    with open(path, "rb") as f:
        for raw in f:
            line = raw.rstrip(b"\n")
            if not enriched:
                line = line.split(b"\x1d", 1)[0]
            text = line.decode("utf-8", "surrogateescape")
            m = HEADER.search(text)
            if not m:
                continue
            text = text.replace("{", "{{").replace("}", "}}")
            text = HEADER.sub("msg=audit({hdr})", text, count=1)
            for pattern, repl in SUBSTITUTIONS:
                text = pattern.sub(repl, text)
            events.setdefault(int(m.group(3)), []).append(text + "\n")
    return events


def labelled_serials(labels_path, capture_name):
    with open(labels_path) as f:
        labels = json.load(f)
    for c in labels["captures"]:
        if c["file"] == capture_name:
            touches = {k["serial"] for k in c["cases"] if "modules" in (k["file.path"] or "")}
            return touches, set(c["alert_serials"])
    raise SystemExit(f"gen_audit_log: no labels for {capture_name} in {labels_path}")


def load_templates(enriched):
    sample = read_events(SAMPLE, enriched)
    sample_modules, sample_alerts = labelled_serials(SAMPLE_LABELS, os.path.basename(SAMPLE))
    seed = read_events(SEED, enriched)
    seed_modules, seed_alerts = labelled_serials(SEED_LABELS, os.path.basename(SEED))

    bulk = [recs for serial, recs in sample.items()
            if serial not in sample_modules and not any(f"type={t} " in recs[0] for t in SKIP_TYPES)]
    modules = [(recs, serial in sample_alerts) for serial, recs in sample.items() if serial in sample_modules]
    modules += [(recs, serial in seed_alerts) for serial, recs in seed.items() if serial in seed_modules]
    return ["".join(r) for r in bulk], [len(r) for r in bulk], \
        [("".join(r), a) for r, a in modules], [len(r) for r, _ in modules]



def lines_of(text):
    """The records of an event text, newline kept. Not str.splitlines(): it also splits at the 0x1D byte
    that separates an ENRICHED record's raw and interpreted parts."""
    return [line + "\n" for line in text.split("\n")[:-1]]

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--size-mb", type=float, default=200.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--format", choices=("raw", "enriched"), default="raw")
    ap.add_argument("--modules-rate", type=float, default=0.001)
    ap.add_argument("--interleave", type=float, default=0.01)
    ap.add_argument("--nodes", type=int, default=0)
    ap.add_argument("--meta")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    bulk, bulk_records, modules, modules_records = load_templates(args.format == "enriched")
    target = int(args.size_mb * 1024 * 1024)
    seconds, millis = 1795000000, 0
    node_count = max(args.nodes, 1)
    serials = [100000 + (rng.randrange(0, 50000) if n > 0 else 0) for n in range(node_count)]
    prefixes = [f"node=host-{n + 1} " if args.nodes else "" for n in range(node_count)]
    stats = {"events": 0, "records": 0, "bytes": 0, "modules_events": 0, "modules_alerts": 0,
             "seed": args.seed, "format": args.format, "nodes": args.nodes, "templates": {"bulk": len(bulk), "modules": len(modules)}}
    sessions = [rng.randrange(1, 5000) for _ in range(40)]
    pending = None  # an event held back to be interleaved with the next one
    chunk, chunk_size = [], 0
    with open(args.out, "w", encoding="utf-8", errors="surrogateescape", newline="\n") as out:
        while stats["bytes"] < target or pending is not None:
            if rng.random() < args.modules_rate:
                i = rng.randrange(len(modules))
                template, alerts = modules[i]
                records = modules_records[i]
                stats["modules_events"] += 1
                stats["modules_alerts"] += alerts
            else:
                i = rng.randrange(len(bulk))
                template, records = bulk[i], bulk_records[i]
            millis += rng.randrange(0, 4)
            seconds, millis = seconds + millis // 1000, millis % 1000
            node = rng.randrange(node_count) if args.nodes else 0
            serials[node] += 1
            text = template.format(
                hdr=f"{seconds}.{millis:03d}:{serials[node]}", pid=rng.randrange(300, 4194304),
                ppid=rng.randrange(2, 4194304), ses=sessions[rng.randrange(len(sessions))],
                inode=rng.randrange(2, 1 << 24), tmp="".join(rng.choice(TMP_ALPHABET) for _ in range(6)))
            if args.nodes:
                text = "".join(prefixes[node] + line for line in lines_of(text))
            stats["events"] += 1
            stats["records"] += records
            if pending is not None:
                # Alternate the two events' records (the EOE of each stays last of its own).
                a, b = lines_of(pending), lines_of(text)
                mixed = [x for pair in zip(a, b) for x in pair] + a[len(b):] + b[len(a):]
                text, pending = "".join(mixed), None
            elif rng.random() < args.interleave and stats["bytes"] < target:
                pending = text
                continue
            chunk.append(text)
            chunk_size += len(text)
            stats["bytes"] += len(text.encode("utf-8", "surrogateescape")) if not text.isascii() else len(text)
            if chunk_size > (1 << 20):
                out.write("".join(chunk))
                chunk, chunk_size = [], 0
        out.write("".join(chunk))
    if args.meta:
        with open(args.meta, "w") as f:
            json.dump(stats, f, indent=1)
            f.write("\n")
    print(f"gen_audit_log: {stats['events']} events, {stats['records']} records, "
          f"{stats['bytes'] / 1e6:.1f} MB, {stats['modules_events']} open /proc/modules "
          f"({stats['modules_alerts']} must alert with the shipped rule) -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
