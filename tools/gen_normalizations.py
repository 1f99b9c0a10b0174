#!/usr/bin/env python3
"""Generates src/ecs/normalizations_data.inc from go-libaudit's aucoalesce/normalizations.yaml.

The table is data, not code: this script turns it into C++ aggregate initialisers so the project
needs no YAML parser at run time and no access to the corpus. Run by hand when the YAML changes:

    python3 tools/gen_normalizations.py ../shared/corpus/audit/go-libaudit/aucoalesce/normalizations.yaml \
        > src/ecs/normalizations_data.inc

Requires python3-yaml (Debian). YAML anchors and `<<:` merge keys are resolved by the loader.
"""
import hashlib
import sys

import yaml

LIST_KEYS = ["subject_primary", "subject_secondary", "object_primary", "object_secondary", "how",
             "source_ip", "has_fields", "syscalls", "record_types"]
KNOWN_KEYS = set(LIST_KEYS) | {"action", "object_what", "object_path_index", "description", "ecs"}
FROM_FIELDS = {"subject.primary": "kSubjectPrimary", "subject.secondary": "kSubjectSecondary",
               "object.primary": "kObjectPrimary", "object.secondary": "kObjectSecondary"}
FROM_DICTS = {"data": "kData", "uid": "kUserId"}
TO_FIELDS = {"user": "kUser", "user.effective": "kUserEffective", "user.target": "kUserTarget",
             "user.changes": "kUserChanges", "group": "kGroup"}


def as_list(value):
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise ValueError(f"expected a string or a list of strings, got {value!r}")


def cstr(s):
    out = '"'
    for ch in s:
        if ch in '"\\':
            out += "\\" + ch
        elif 0x20 <= ord(ch) < 0x7F:
            out += ch
        else:
            raise ValueError(f"non-ASCII text in table: {s!r}")
    return out + '"'


def str_array(values):
    if not values:
        return "{}"
    return "{" + ", ".join(cstr(v) for v in values) + "}"


def main():
    path = sys.argv[1]
    raw = open(path, "rb").read()
    doc = yaml.safe_load(raw)
    entries = doc["normalizations"]
    seen_syscalls = {}
    seen_types = {}
    arrays = []  # named static arrays referenced by the entries (std::span members)
    lines = []

    array_names = {}

    def named(prefix, values):
        if tuple(values) in array_names:  # identical lists share one array
            return array_names[tuple(values)]
        name = f"k{prefix}{len(arrays)}"
        array_names[tuple(values)] = name
        arrays.append(f"constexpr std::string_view {name}[] = {{{', '.join(cstr(v) for v in values)}}};")
        return name

    for i, entry in enumerate(entries):
        unknown = set(entry) - KNOWN_KEYS
        if unknown:
            raise ValueError(f"entry {i}: unknown keys {sorted(unknown)}")
        lists = {k: as_list(entry.get(k)) for k in LIST_KEYS}
        for s in lists["syscalls"]:
            if s in seen_syscalls:
                raise ValueError(f"duplicate mapping for syscall {s}")
            seen_syscalls[s] = i
        for t in lists["record_types"]:
            for j in seen_types.get(t, []):
                if not as_list(entries[j].get("has_fields")):
                    raise ValueError(f"duplicate mapping for record type {t} without has_fields")
            seen_types.setdefault(t, []).append(i)
        ecs = entry.get("ecs") or {}
        unknown = set(ecs) - {"kind", "category", "type", "mappings"}
        if unknown:
            raise ValueError(f"entry {i}: unknown ecs keys {sorted(unknown)}")
        mappings = []
        for m in ecs.get("mappings") or []:
            src, dst = m["from"], m["to"]
            if src in FROM_FIELDS:
                src_kind, src_key = FROM_FIELDS[src], ""
            else:
                dict_name, _, key = src.partition(".")
                if dict_name not in FROM_DICTS or not key:
                    raise ValueError(f"entry {i}: bad mapping source {src!r}")
                src_kind, src_key = FROM_DICTS[dict_name], key
            if dst not in TO_FIELDS:
                raise ValueError(f"entry {i}: bad mapping target {dst!r}")
            mappings.append(f"{{MappingFrom::{src_kind}, {cstr(src_key)}, MappingTo::{TO_FIELDS[dst]}}}")
        # Every member, in declaration order (designated initialisers; -Wextra wants them all).
        parts = [f".action = {cstr(entry.get('action', ''))}",
                 f".object_what = {cstr(entry.get('object_what', ''))}",
                 f".object_path_index = {int(entry.get('object_path_index', 0))}"]
        for k in LIST_KEYS:
            parts.append(f".{k} = {named('L', lists[k]) if lists[k] else '{}'}")
        parts.append(f".ecs_kind = {cstr(ecs.get('kind', ''))}")
        for k in ("category", "type"):
            vals = as_list(ecs.get(k))
            parts.append(f".ecs_{k} = {named('L', vals) if vals else '{}'}")
        if mappings:
            name = f"kM{len(arrays)}"
            arrays.append(f"constexpr EcsMapping {name}[] = {{{', '.join(mappings)}}};")
            parts.append(f".ecs_mappings = {name}")
        else:
            parts.append(".ecs_mappings = {}")
        lines.append("    {" + ", ".join(parts) + "},")
    digest = hashlib.sha256(raw).hexdigest()
    print("// GENERATED by tools/gen_normalizations.py from go-libaudit aucoalesce/normalizations.yaml")
    print(f"// (sha256 {digest}). Do not edit; regenerate with:")
    print("//   python3 tools/gen_normalizations.py NORMALIZATIONS_YAML > src/ecs/normalizations_data.inc")
    print("// where NORMALIZATIONS_YAML is <corpus>/audit/go-libaudit/aucoalesce/normalizations.yaml.")
    print("// Included by normalizations.cpp (namespace audetect::ecs::detail). One NormalizationSpec per")
    print("// YAML entry, in file order: order matters, the last entry whose has_fields match wins.")
    print("\n".join(arrays))
    print("")
    print(f"constexpr NormalizationSpec kNormalizationTable[{len(lines)}] = {{")
    print("\n".join(lines))
    print("};")


if __name__ == "__main__":
    main()
