// Linux audit records -> events. Public interface of the audit layer.
//
// RecordParser turns one line of auditd's log (RAW or ENRICHED, optional `node=` prefix) or one
// netlink message (numeric type + `audit(...)` payload) into an AuditRecord, applying go-libaudit's
// auparse rules (value decoding, enrichment: arch/syscall names, errno names, `unset` ids, subj/obj
// split, result, key -> tags, SOCKADDR decoding, ...). EventAssembler groups records into events
// exactly as go-libaudit's Reassembler does (by serial; complete at EOE, PROCTITLE or a standalone
// type; in-order release; max in flight; timeout in input time).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/arena.h"
#include "base/status.h"

namespace audetect::audit {

// Record type numbers used by the layers above (the full name table lives in the parser).
enum RecordType : uint32_t {
  kLogin = 1006,
  kUserFirst = 1100,
  kSyscall = 1300,
  kPath = 1302,
  kIpc = 1303,
  kSockaddr = 1306,
  kCwd = 1307,
  kExecve = 1309,
  kEoe = 1320,
  kProctitle = 1327,
};

// Name of a record type ("SYSCALL", "USER_LOGIN", "UNKNOWN[1234]" style for unknown numbers).
std::string_view record_type_name(uint32_t type);
// Number for a name (case-insensitive), 0 if unknown.
uint32_t record_type_from_name(std::string_view name);

struct AuditField {
  std::string_view name;   // "pid", "a1[0]", "old-auid", ...
  std::string_view value;  // after auparse decoding/enrichment (not UTF-8 validated)
};

// One parsed record. Views point into the parser's (or assembler's) storage.
struct AuditRecord {
  uint32_t type = 0;
  int64_t time_ms = 0;        // header seconds * 1000 + milliseconds
  uint32_t serial = 0;
  std::string_view node;      // from a `node=` prefix, empty if none
  std::string_view text;      // the record text from `audit(` to the end (before any 0x1D)
  std::span<const AuditField> fields;  // in record order, placeholders (?, (null), "") dropped
  std::span<const std::string_view> tags;  // rule keys (the `key` field, removed from fields)
  // Set when go-libaudit's enrichment fails for this record (e.g. "failed to find arg a1" for a
  // split EXECVE argument, a SYSCALL without `arch`). As in go-libaudit the record then has no
  // fields (tags found before the failure are kept); the header (type, time, serial) is valid.
  std::string_view error;

  // First field with this name, or nullptr.
  const AuditField* find(std::string_view name) const;
  std::string_view get(std::string_view name) const;  // empty if absent
};

// Where a warning came from: file name (or "<netlink>", "<stdin>") and 1-based line.
struct SourcePos {
  std::string_view file;
  uint64_t line = 0;
};

struct Warning {
  SourcePos pos;
  std::string reason;
};

class RecordParser {
 public:
  RecordParser();
  ~RecordParser();

  // Parses one auditd log line (trailing '\n' optional). On failure returns false and sets
  // `reason`. The record is valid until the next call.
  bool parse_line(std::string_view line, AuditRecord& out, std::string* reason);
  // Parses one netlink message body of record type `type`.
  bool parse_netlink(uint32_t type, std::string_view payload, AuditRecord& out, std::string* reason);

  // A line (or netlink payload) longer than this is rejected with a reason instead of parsed; the
  // kernel's own records are at most 8970 bytes. Reasons start with "column N: ".
  static constexpr size_t kMaxLineBytes = 1u << 20;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The records of one event, in arrival order. Valid during the callback only.
struct AuditEvent {
  uint32_t serial = 0;
  int64_t time_ms = 0;
  std::string_view node;
  std::span<const AuditRecord> records;  // EOE not included
  bool complete = false;  // false when released by timeout, overflow or end of input
  // The arena holding every string the records point to (not the records array, nor `node`), when the
  // event comes from an EventAssembler. A sink that keeps the event past the call may swap it with an
  // empty arena instead of copying the strings.
  Arena* storage = nullptr;
};

struct AssemblerOptions {
  size_t max_in_flight = 50;    // auditbeat's default
  int64_t timeout_ms = 2000;    // measured in record time for file input
  // Caps on one event (hostile input: a million records with one serial). Records beyond them
  // are dropped and counted in AssemblerStats::dropped_records.
  size_t max_records_per_event = 4096;
  size_t max_bytes_per_event = 16u << 20;
};

struct AssemblerStats {
  uint64_t records = 0;
  uint64_t events = 0;
  uint64_t incomplete = 0;
  uint64_t lost = 0;  // serial gaps between released events
  uint64_t dropped_records = 0;  // records refused because one event exceeded the size caps
};

class EventAssembler {
 public:
  using Sink = std::function<void(const AuditEvent&)>;
  explicit EventAssembler(Sink sink, AssemblerOptions options = {});
  ~EventAssembler();

  // Copies the record; may release zero or more events to the sink (completion, max_in_flight).
  // add() never expires groups by time on its own: time only advances through expire().
  void add(const AuditRecord& record);
  // Releases groups whose timeout expired, given the current time. File replay: call it with the
  // record's time before each add() (deterministic, §16.2). Live input: wall clock every 500 ms.
  void expire(int64_t now_ms);
  // Releases everything pending (end of input, shutdown).
  void flush();

  const AssemblerStats& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace audetect::audit
