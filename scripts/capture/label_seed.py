#!/usr/bin/env python3
"""Labels a seed-scenario capture: which audit serials the shipped rule must alert on, and why.

usage: label_seed.py LOG RUNLOG [LOG RUNLOG ...] > expected.json

This is an independent oracle, written from the rule's query and the documented auditbeat mapping
(docs: eql.md section 13, audit-to-ecs.md sections 6-9), not from audetect's output:

  file where host.os.type == "linux" and event.action == "opened-file" and file.path == "/proc/modules"
  and not (process.name in ("auditbeat", "kmod", "modprobe", "lsmod", "insmod", "modinfo", "rmmod",
           "SchedulerRunner", "grep") or process.parent.pid == 1 or process.title : "*grep*")

  event.action "opened-file" (category file): syscalls open, openat, creat, readlink, readlinkat,
    truncate, ftruncate, fallocate (go-libaudit normalizations); host.os.type is always linux.
  file.path: PATH `name` as written, of the first PATH (by item) whose nametype is neither PARENT nor
    UNKNOWN, else of PATH item 0.
  process.name = comm (hex text kept as is), process.parent.pid = ppid,
  process.title = proctitle (hex decoded, NULs as spaces); `:` with a wildcard ignores case; `in` does not.

It also checks every scenario the workload declared in RUNLOG against what the capture shows (a
scenario meant to alert must have an alerting event, one meant not to must have a matching event
that does not alert), so a capture that did not exercise what it claims is rejected (exit 1).
"""
import json
import os
import posixpath
import re
import sys

RULE_ID = "80084fa9-8677-4453-8680-b891d3c0c778"
RULE_NAME = "Enumeration of Kernel Modules via Proc"
EXCLUDED_NAMES = ("auditbeat", "kmod", "modprobe", "lsmod", "insmod", "modinfo", "rmmod",
                  "SchedulerRunner", "grep")
# x86_64 syscall numbers of the syscalls normalized to opened-file.
OPENED_FILE = {2: "open", 257: "openat", 85: "creat", 89: "readlink", 267: "readlinkat",
               76: "truncate", 77: "ftruncate", 285: "fallocate"}
OTHER_NAMES = {437: "openat2", 191: "getxattr", 192: "lgetxattr", 193: "fgetxattr", 59: "execve",
               4: "stat", 6: "lstat", 262: "newfstatat", 332: "statx"}
X86_64 = "c000003e"

HEADER = re.compile(rb"^(?:node=\S+ )?type=(\S+) msg=audit\((\d+)\.(\d+):(\d+)\):?\s?(.*)$")
FIELD = re.compile(rb"([a-z0-9_-]+)=(\"[^\"]*\"|'[^']*'|\S+)")
HEX = re.compile(rb"^[0-9A-F]+$")


def decode(raw: bytes, keep_hex=False) -> str:
    if raw.startswith(b'"') and raw.endswith(b'"') and len(raw) >= 2:
        return raw[1:-1].decode("utf-8", "replace")
    if not keep_hex and len(raw) % 2 == 0 and HEX.match(raw):
        return bytes.fromhex(raw.decode()).replace(b"\0", b" ").decode("utf-8", "replace").rstrip(" ")
    return raw.decode("utf-8", "replace")


def read_events(path):
    events = {}
    with open(path, "rb") as f:
        for line in f:
            line = line.rstrip(b"\n").split(b"\x1d", 1)[0]
            m = HEADER.match(line)
            if not m:
                continue
            rtype, sec, msec, serial, body = m.groups()
            ev = events.setdefault(int(serial), {"time": f"{int(sec)}.{msec.decode()}", "records": []})
            ev["records"].append((rtype.decode(), {k.decode(): v for k, v in FIELD.findall(body)}))
    return events


def describe(serial, ev):
    """The rule-relevant ECS fields of one event (None when it has no SYSCALL record)."""
    sysc = next((f for t, f in ev["records"] if t == "SYSCALL"), None)
    if sysc is None:
        return None
    number = int(sysc.get("syscall", b"-1"))
    arch = sysc.get("arch", b"").decode()
    paths = sorted((f for t, f in ev["records"] if t == "PATH"), key=lambda f: int(f.get("item", b"0")))
    chosen = next((p for p in paths if p.get("nametype", b"").decode() not in ("PARENT", "UNKNOWN")),
                  paths[0] if paths else None)
    file_path = None
    if chosen is not None and "name" in chosen and chosen["name"] != b"(null)":
        file_path = decode(chosen["name"])
    cwd = next((decode(f["cwd"]) for t, f in ev["records"] if t == "CWD" and "cwd" in f), None)
    title = next((decode(f["proctitle"]) for t, f in ev["records"] if t == "PROCTITLE" and "proctitle" in f), None)
    opened = arch == X86_64 and number in OPENED_FILE
    return {
        "serial": serial,
        "time": ev["time"],
        "syscall": OPENED_FILE.get(number) or OTHER_NAMES.get(number) or str(number),
        "event.action": "opened-file" if opened else "(not opened-file)",
        "event.outcome": "success" if sysc.get("success") == b"yes" else "failure",
        "exit": sysc.get("exit", b"").decode(),
        "process.pid": int(sysc.get("pid", b"-1")),
        "process.parent.pid": int(sysc.get("ppid", b"-1")),
        "process.name": decode(sysc.get("comm", b""), keep_hex=True),
        "process.title": title,
        "process.working_directory": cwd,
        "file.path": file_path,
        "path_names": [decode(p["name"]) for p in paths if "name" in p and p["name"] != b"(null)"],
        "key": decode(sysc.get("key", b"(null)")),
    }


def verdict(d):
    """(alerts, reason) for one event, following the query clause by clause."""
    if d["event.action"] != "opened-file":
        return False, f"event.action of syscall {d['syscall']} is not opened-file"
    if d["file.path"] != "/proc/modules":
        return False, f"file.path is {d['file.path']!r}, not '/proc/modules'"
    if d["process.name"] in EXCLUDED_NAMES:
        return False, f"process.name {d['process.name']!r} is in the excluded names"
    if d["process.parent.pid"] == 1:
        return False, "process.parent.pid is 1"
    if d["process.title"] is not None and "grep" in d["process.title"].lower():
        return False, f"process.title {d['process.title']!r} matches *grep* (case-insensitive)"
    extra = "" if d["event.outcome"] == "success" else f" (failed, exit {d['exit']}: outcome is not part of the query)"
    return True, (f"opened-file /proc/modules by {d['process.name']!r} (parent pid {d['process.parent.pid']}, "
                  f"title {d['process.title']!r}): no exclusion applies{extra}")


def resolved_path(d):
    name, cwd = d["file.path"], d["process.working_directory"]
    if name is None or name.startswith("/") or not cwd:
        return name
    return posixpath.normpath(posixpath.join(cwd, name))


def label(log, runlog):
    events = read_events(log)
    scenarios = [json.loads(l) for l in open(runlog) if l.strip()]
    scenarios = [s for s in scenarios if "scenario" in s]
    by_pid = {s["pid"]: s for s in scenarios}
    problems, cases, alerts, resolve_alerts = [], [], [], []
    seen = {s["scenario"]: {"alert": 0, "touch": 0, "modules": 0} for s in scenarios}
    for serial in sorted(events):
        d = describe(serial, events[serial])
        if d is None:
            continue
        owner = by_pid.get(d["process.pid"]) or by_pid.get(d["process.parent.pid"])
        alerts_now, reason = verdict(d)
        resolved = [resolved_path({**d, "file.path": n}) for n in d["path_names"]]
        touches = any(n.startswith("/proc/") for n in resolved)
        touches_modules = "/proc/modules" in resolved
        if alerts_now:
            alerts.append(serial)
            if owner is None:
                problems.append(f"serial {serial}: alerting event from pid {d['process.pid']} belongs to no scenario")
        if alerts_now or (owner is not None and touches):
            d2 = dict(d)
            rp = resolved_path(d)
            if alerts_now or (rp == "/proc/modules" and verdict({**d, "file.path": rp})[0]):
                resolve_alerts.append(serial)
            case = {"serial": serial, "alert": alerts_now, "reason": reason,
                    "scenario": owner["scenario"] if owner else None}
            case.update({k: d2[k] for k in ("time", "syscall", "event.action", "event.outcome", "process.pid",
                                             "process.parent.pid", "process.name", "process.title",
                                             "process.working_directory", "file.path", "key")})
            cases.append(case)
            if owner is not None:
                seen[owner["scenario"]]["alert" if alerts_now else "touch"] += 1
        if owner is not None and touches_modules:
            seen[owner["scenario"]]["modules"] += 1
    for s in scenarios:
        got = seen[s["scenario"]]
        if s["expect"] == "alert" and got["alert"] == 0:
            problems.append(f"scenario {s['scenario']}: expected an alert, capture has none")
        elif s["expect"] == "no_alert" and (got["alert"] or not got["touch"]):
            problems.append(f"scenario {s['scenario']}: expected a non-alerting event, got {got}")
        elif s["expect"] == "no_open" and (got["alert"] or got["modules"]):
            problems.append(f"scenario {s['scenario']}: expected no /proc/modules access, got {got}")
    fmt = "ENRICHED" if b"\x1d" in open(log, "rb").read() else "RAW"
    return {
        "file": os.path.basename(log),
        "format": fmt,
        "events": len(events),
        "alert_serials": alerts,
        "no_alert_serials": [c["serial"] for c in cases if not c["alert"]],
        "resolve_paths_alert_serials": sorted(resolve_alerts),
        "scenarios": scenarios,
        "cases": cases,
    }, problems


def main(argv):
    if len(argv) < 3 or len(argv) % 2 == 0:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    captures, problems = [], []
    for log, runlog in zip(argv[1::2], argv[2::2]):
        c, p = label(log, runlog)
        captures.append(c)
        problems += [f"{os.path.basename(log)}: {x}" for x in p]
    out = {
        "rule": {"rule_id": RULE_ID, "name": RULE_NAME, "file": "rules/linux/discovery_kernel_module_enumeration_via_proc.toml"},
        "about": ("Per capture: alert_serials is the exact set of auditd.sequence values the shipped rule must "
                  "alert on (default options); no_alert_serials are near misses that must not alert; "
                  "resolve_paths_alert_serials is the exact set with --resolve-paths (relative names joined "
                  "with the cwd). cases gives each listed event's rule-relevant fields and the reason. "
                  "Labels come from scripts/capture/label_seed.py, an oracle written from the rule query "
                  "and the auditbeat mapping, checked against the scenarios the workload declared."),
        "captures": captures,
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")
    for p in problems:
        print("label_seed: " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
