// Kernel audit rules: auditctl command-line syntax <-> the kernel's `struct audit_rule_data`.
//
// The encoding reproduces what the kernel hands back for AUDIT_LIST_RULES after auditctl installed the
// same rule (go-libaudit's golden files were taken that way): a rule without -S selects every syscall
// with the 16 syscall-class bits of the last mask word clear, string values are concatenated in field
// order, multiple keys are joined with 0x01 and go last, and the wire form is padded to 4 bytes.
// Encoding a rule therefore gives bytes that compare equal to the kernel's listing of it.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace audetect::io {

inline constexpr size_t kAuditRuleHeaderBytes = 1040;  // flags..buflen, before buf
inline constexpr uint32_t kAuditMaxFields = 64;
inline constexpr uint32_t kAuditBitmaskWords = 64;
inline constexpr size_t kAuditMaxKeyLength = 256;
inline constexpr size_t kAuditMaxPathLength = 4096;

// One decoded rule. Strings live beside their field (the wire form keeps only their lengths in
// `values` and the bytes in the trailing buffer).
struct AuditRuleData {
  struct Field {
    uint32_t field = 0;  // AUDIT_PID, AUDIT_ARCH, ...
    uint32_t op = 0;     // AUDIT_EQUAL, AUDIT_NOT_EQUAL, ...
    uint32_t value = 0;  // number, or the string length for string fields
    std::string text;    // string fields only
    bool operator==(const Field&) const = default;
  };

  uint32_t flags = 0;   // filter list, possibly | AUDIT_FILTER_PREPEND
  uint32_t action = 0;  // AUDIT_NEVER / AUDIT_ALWAYS
  std::array<uint32_t, kAuditBitmaskWords> mask{};
  std::vector<Field> fields;

  bool all_syscalls() const;  // every word but the class bits set
  std::vector<uint8_t> to_wire() const;
  static Result<AuditRuleData> from_wire(std::span<const uint8_t> wire);
  bool operator==(const AuditRuleData&) const = default;
};

// True for fields whose value is a string carried in the buffer.
bool audit_field_is_string(uint32_t field);

enum class AuditCommandKind : uint8_t {
  kAddRule,      // -a / -A / -w
  kDeleteRule,   // -d / -W
  kDeleteAll,    // -D
  kSetEnabled,   // -e N
  kSetFailure,   // -f N
  kSetBacklogLimit,  // -b N
  kSetRateLimit,     // -r N
  kSetBacklogWaitTime,  // --backlog_wait_time N
};

// One auditctl command line, parsed and encoded.
struct AuditCommand {
  AuditCommandKind kind = AuditCommandKind::kAddRule;
  AuditRuleData rule;   // kAddRule / kDeleteRule
  uint32_t value = 0;   // the number of the kSet* commands
  std::string text;     // the command as written (normalized to single spaces)
};

struct AuditRuleParseOptions {
  // Decides whether a watched path (-w) is a directory (a `dir` watch) or not (a `path` watch), as
  // auditctl does by looking at the file system. Empty: stat(2).
  std::function<bool(const std::string& path)> is_directory;
};

// Parses one auditctl command line (without the leading `auditctl`). Errors come back as
// "<source>:<line>:<column>: reason" where column is that of the offending word.
Result<AuditCommand> parse_audit_command(std::string_view line, std::string_view source = "<rule>",
                                         uint64_t line_number = 1,
                                         const AuditRuleParseOptions& options = {});

// A rules file (audit.rules syntax: one command per line, `#` comments, blank lines). Every line is
// tried; bad lines are reported and skipped.
struct AuditRuleFile {
  std::vector<AuditCommand> commands;
  std::vector<std::string> errors;  // "file:line:column: reason"
};
AuditRuleFile parse_audit_rule_file(std::string_view text, std::string_view source,
                                    const AuditRuleParseOptions& options = {});

// auditctl -l style text of a rule ("-w /proc -p r -k audit_proc", "-a always,exit -F arch=b64 -S
// open -F key=x"). Numbers that have names (arch, syscalls, errno, msgtype) are printed as names.
Result<std::string> audit_rule_to_text(const AuditRuleData& rule);

// A comparison key for "is this rule already installed": the rule without the prepend flag and with
// trailing slashes of dir/path values removed (the kernel treats both spellings alike).
AuditRuleData canonical_audit_rule(const AuditRuleData& rule);

// Splits a command line into words like a POSIX shell would for auditctl's arguments: blanks
// separate words, '...' and "..." quote, backslash escapes outside single quotes; an unquoted `#`
// at the start of a word starts a comment. Returns false (and sets `error` and `error_column`) on an
// unterminated quote.
struct CommandWord {
  std::string text;
  uint32_t column = 1;  // 1-based byte column of the word's first character
};
bool split_command_words(std::string_view line, std::vector<CommandWord>& words, std::string* error,
                         uint32_t* error_column);

}  // namespace audetect::io
