#include "io/audit_rule.h"

#include <grp.h>
#include <libaudit.h>
#include <linux/audit.h>
#include <pwd.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>

#include <fmt/format.h>

namespace audetect::io {
namespace {

constexpr uint32_t kKeySeparator = 0x01;  // AUDIT_KEY_SEPARATOR
// The kernel clears the top 16 bits (syscall classes) of the last mask word when it stores a rule.
constexpr uint32_t kLastWordAllSyscalls = 0x0000FFFFu;

// The machine this binary runs as: what b64 / b32 and syscall names without an arch refer to.
#if defined(__x86_64__)
constexpr const char* kMachine64 = "x86_64";
constexpr const char* kMachine32 = "i386";
#elif defined(__aarch64__)
constexpr const char* kMachine64 = "aarch64";
constexpr const char* kMachine32 = "arm";
#elif defined(__powerpc64__)
constexpr const char* kMachine64 = "ppc64";
constexpr const char* kMachine32 = "ppc";
#elif defined(__s390x__)
constexpr const char* kMachine64 = "s390x";
constexpr const char* kMachine32 = "s390";
#elif defined(__i386__)
constexpr const char* kMachine64 = nullptr;
constexpr const char* kMachine32 = "i386";
#elif defined(__arm__)
constexpr const char* kMachine64 = nullptr;
constexpr const char* kMachine32 = "arm";
#else
#error "unsupported architecture"
#endif

const char* native_machine_name() { return kMachine64 ? kMachine64 : kMachine32; }

struct OperatorName {
  std::string_view text;
  uint32_t op;
};
// Longest first so that "!=" wins over "=".
constexpr OperatorName kOperators[] = {
    {"!=", AUDIT_NOT_EQUAL}, {">=", AUDIT_GREATER_THAN_OR_EQUAL}, {"<=", AUDIT_LESS_THAN_OR_EQUAL},
    {"&=", AUDIT_BIT_TEST},  {"=", AUDIT_EQUAL},  {">", AUDIT_GREATER_THAN},
    {"<", AUDIT_LESS_THAN},  {"&", AUDIT_BIT_MASK},
};

std::string_view operator_text(uint32_t op) {
  for (const auto& o : kOperators)
    if (o.op == op) return o.text;
  return {};
}

struct Comparison {
  uint32_t left, right, code;
};
// Inter-field comparisons (-C): the kernel names the pair, not the order.
constexpr Comparison kComparisons[] = {
    {AUDIT_UID, AUDIT_OBJ_UID, AUDIT_COMPARE_UID_TO_OBJ_UID},
    {AUDIT_GID, AUDIT_OBJ_GID, AUDIT_COMPARE_GID_TO_OBJ_GID},
    {AUDIT_EUID, AUDIT_OBJ_UID, AUDIT_COMPARE_EUID_TO_OBJ_UID},
    {AUDIT_EGID, AUDIT_OBJ_GID, AUDIT_COMPARE_EGID_TO_OBJ_GID},
    {AUDIT_LOGINUID, AUDIT_OBJ_UID, AUDIT_COMPARE_AUID_TO_OBJ_UID},
    {AUDIT_SUID, AUDIT_OBJ_UID, AUDIT_COMPARE_SUID_TO_OBJ_UID},
    {AUDIT_SGID, AUDIT_OBJ_GID, AUDIT_COMPARE_SGID_TO_OBJ_GID},
    {AUDIT_FSUID, AUDIT_OBJ_UID, AUDIT_COMPARE_FSUID_TO_OBJ_UID},
    {AUDIT_FSGID, AUDIT_OBJ_GID, AUDIT_COMPARE_FSGID_TO_OBJ_GID},
    {AUDIT_UID, AUDIT_LOGINUID, AUDIT_COMPARE_UID_TO_AUID},
    {AUDIT_UID, AUDIT_EUID, AUDIT_COMPARE_UID_TO_EUID},
    {AUDIT_UID, AUDIT_FSUID, AUDIT_COMPARE_UID_TO_FSUID},
    {AUDIT_UID, AUDIT_SUID, AUDIT_COMPARE_UID_TO_SUID},
    {AUDIT_LOGINUID, AUDIT_FSUID, AUDIT_COMPARE_AUID_TO_FSUID},
    {AUDIT_LOGINUID, AUDIT_SUID, AUDIT_COMPARE_AUID_TO_SUID},
    {AUDIT_LOGINUID, AUDIT_EUID, AUDIT_COMPARE_AUID_TO_EUID},
    {AUDIT_EUID, AUDIT_SUID, AUDIT_COMPARE_EUID_TO_SUID},
    {AUDIT_EUID, AUDIT_FSUID, AUDIT_COMPARE_EUID_TO_FSUID},
    {AUDIT_SUID, AUDIT_FSUID, AUDIT_COMPARE_SUID_TO_FSUID},
    {AUDIT_GID, AUDIT_EGID, AUDIT_COMPARE_GID_TO_EGID},
    {AUDIT_GID, AUDIT_FSGID, AUDIT_COMPARE_GID_TO_FSGID},
    {AUDIT_GID, AUDIT_SGID, AUDIT_COMPARE_GID_TO_SGID},
    {AUDIT_EGID, AUDIT_FSGID, AUDIT_COMPARE_EGID_TO_FSGID},
    {AUDIT_EGID, AUDIT_SGID, AUDIT_COMPARE_EGID_TO_SGID},
    {AUDIT_SGID, AUDIT_FSGID, AUDIT_COMPARE_SGID_TO_FSGID},
};

bool is_uid_field(uint32_t f) {
  return f == AUDIT_UID || f == AUDIT_EUID || f == AUDIT_SUID || f == AUDIT_FSUID ||
         f == AUDIT_LOGINUID || f == AUDIT_OBJ_UID;
}
bool is_gid_field(uint32_t f) {
  return f == AUDIT_GID || f == AUDIT_EGID || f == AUDIT_SGID || f == AUDIT_FSGID ||
         f == AUDIT_OBJ_GID;
}

// strconv.ParseInt/ParseUint with base 0 semantics limited to 32 bits: "0x" hex, leading-0 octal,
// decimal; a leading '-' makes it a signed 32-bit value stored two's complement.
std::optional<uint32_t> parse_number(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  } else if (s.size() > 1 && s[0] == '0') {
    base = 8;
    s.remove_prefix(1);
  }
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  if (negative) {
    if (v > 0x80000000ull) return std::nullopt;
    return static_cast<uint32_t>(-static_cast<int64_t>(v));
  }
  if (v > 0xFFFFFFFFull) return std::nullopt;
  return static_cast<uint32_t>(v);
}

// Lexical path cleaning as Go's filepath.Clean (auditctl/go-libaudit normalize -w paths so).
std::string clean_path(std::string_view p) {
  bool absolute = !p.empty() && p[0] == '/';
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    std::string_view seg = p.substr(i, j - i);
    if (seg.empty() || seg == ".") {
    } else if (seg == "..") {
      if (!parts.empty() && parts.back() != "..") parts.pop_back();
      else if (!absolute) parts.push_back(seg);
    } else {
      parts.push_back(seg);
    }
    i = j + 1;
  }
  std::string out = absolute ? "/" : "";
  for (size_t k = 0; k < parts.size(); ++k) {
    if (k) out += '/';
    out += parts[k];
  }
  if (out.empty()) out = ".";
  return out;
}

bool stat_is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

class CommandParser {
 public:
  CommandParser(std::string_view source, uint64_t line, const AuditRuleParseOptions& options)
      : source_(source), line_(line), options_(options) {}

  Result<AuditCommand> parse(std::string_view text);

 private:
  Status error(uint32_t column, std::string reason) const {
    return Status::invalid(fmt::format("{}:{}:{}: {}", source_, line_, column, reason));
  }
  Status add_field(AuditRuleData& rule, const CommandWord& word, std::string_view name,
                   uint32_t op, std::string_view value);
  Status add_comparison(AuditRuleData& rule, const CommandWord& word);
  Status set_machine_from_arch(const CommandWord& word, uint32_t elf);

  std::string_view source_;
  uint64_t line_;
  const AuditRuleParseOptions& options_;
  int machine_ = -1;  // from -F arch=..., else native
};

Status CommandParser::set_machine_from_arch(const CommandWord& word, uint32_t elf) {
  int m = audit_elf_to_machine(elf);
  if (m < 0) return error(word.column, fmt::format("unsupported arch 0x{:x}", elf));
  machine_ = m;
  return Status::ok();
}

Status CommandParser::add_comparison(AuditRuleData& rule, const CommandWord& word) {
  std::string_view expr = word.text;
  size_t pos = expr.find_first_of("!=<>&");
  if (pos == std::string_view::npos || pos == 0)
    return error(word.column, fmt::format("-C expects FIELD=FIELD or FIELD!=FIELD, got '{}'", expr));
  std::string_view rest = expr.substr(pos);
  uint32_t op = 0;
  size_t op_len = 0;
  for (const auto& o : kOperators) {
    if (rest.starts_with(o.text)) {
      op = o.op;
      op_len = o.text.size();
      break;
    }
  }
  if (op != AUDIT_EQUAL && op != AUDIT_NOT_EQUAL)
    return error(word.column, fmt::format("-C supports only = and !=, got '{}'", expr));
  std::string left(expr.substr(0, pos));
  std::string right(rest.substr(op_len));
  int lf = audit_name_to_field(left.c_str());
  int rf = audit_name_to_field(right.c_str());
  if (lf < 0) return error(word.column, fmt::format("unknown field '{}' in -C", left));
  if (rf < 0) return error(word.column, fmt::format("unknown field '{}' in -C", right));
  for (const auto& c : kComparisons) {
    if ((c.left == uint32_t(lf) && c.right == uint32_t(rf)) ||
        (c.left == uint32_t(rf) && c.right == uint32_t(lf))) {
      if (rule.fields.size() >= kAuditMaxFields) return error(word.column, "more than 64 fields");
      rule.fields.push_back({AUDIT_FIELD_COMPARE, op, c.code, {}});
      return Status::ok();
    }
  }
  return error(word.column, fmt::format("fields '{}' and '{}' cannot be compared", left, right));
}

Status CommandParser::add_field(AuditRuleData& rule, const CommandWord& word, std::string_view name,
                                uint32_t op, std::string_view value) {
  std::string name_z(name);
  int field_number = audit_name_to_field(name_z.c_str());
  if (field_number < 0) return error(word.column, fmt::format("unknown field '{}'", name));
  const uint32_t field = static_cast<uint32_t>(field_number);
  const uint32_t list = rule.flags & ~uint32_t(AUDIT_FILTER_PREPEND);
  const bool exit_list = list == AUDIT_FILTER_EXIT;
  if (rule.fields.size() >= kAuditMaxFields) return error(word.column, "more than 64 fields");

  if (list == AUDIT_FILTER_EXCLUDE) {
    switch (field) {
      case AUDIT_PID: case AUDIT_UID: case AUDIT_GID: case AUDIT_LOGINUID: case AUDIT_MSGTYPE:
      case AUDIT_SUBJ_USER: case AUDIT_SUBJ_ROLE: case AUDIT_SUBJ_TYPE: case AUDIT_SUBJ_SEN:
      case AUDIT_SUBJ_CLR: case AUDIT_EXE:
        break;
      default:
        return error(word.column, fmt::format("field '{}' cannot be used on the exclude list", name));
    }
  }

  AuditRuleData::Field f{field, op, 0, {}};
  auto need_exit = [&]() -> Status {
    if (!exit_list)
      return error(word.column, fmt::format("field '{}' can only be used on the exit list", name));
    return Status::ok();
  };
  auto number = [&](std::string_view what) -> Result<uint32_t> {
    auto v = parse_number(value);
    if (!v) return error(word.column, fmt::format("{} '{}' is not a 32-bit number", what, value));
    return *v;
  };

  if (is_uid_field(field)) {
    if (value == "unset" || value == "-1") {
      f.value = 0xFFFFFFFFu;
    } else if (auto v = parse_number(value); v && !value.starts_with('-')) {
      f.value = *v;
    } else {
      std::string user(value);
      struct passwd pw {};
      struct passwd* found = nullptr;
      std::vector<char> buf(16384);
      if (getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found)
        return error(word.column, fmt::format("unknown user '{}' for field '{}'", value, name));
      f.value = found->pw_uid;
    }
  } else if (is_gid_field(field)) {
    if (auto v = parse_number(value); v && !value.starts_with('-')) {
      f.value = *v;
    } else {
      std::string group(value);
      struct group gr {};
      struct group* found = nullptr;
      std::vector<char> buf(16384);
      if (getgrnam_r(group.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || !found)
        return error(word.column, fmt::format("unknown group '{}' for field '{}'", value, name));
      f.value = found->gr_gid;
    }
  } else if (field == AUDIT_EXIT) {
    if (Status s = need_exit(); !s) return s;
    if (auto v = parse_number(value)) {
      f.value = *v;
    } else {
      bool negative = value.starts_with('-');
      std::string errname(negative ? value.substr(1) : value);
      int e = audit_name_to_errno(errname.c_str());
      if (e <= 0) return error(word.column, fmt::format("unknown errno name '{}'", value));
      f.value = static_cast<uint32_t>(negative ? -e : e);
    }
  } else if (field == AUDIT_MSGTYPE) {
    if (list != AUDIT_FILTER_USER && list != AUDIT_FILTER_EXCLUDE)
      return error(word.column, "msgtype can only be used on the user or exclude lists");
    if (auto v = parse_number(value)) {
      f.value = *v;
    } else {
      std::string type(value);
      int t = audit_name_to_msg_type(type.c_str());
      if (t < 0) return error(word.column, fmt::format("unknown message type '{}'", value));
      f.value = static_cast<uint32_t>(t);
    }
  } else if (audit_field_is_string(field)) {
    switch (field) {
      case AUDIT_OBJ_USER: case AUDIT_OBJ_ROLE: case AUDIT_OBJ_TYPE: case AUDIT_OBJ_LEV_LOW:
      case AUDIT_OBJ_LEV_HIGH: case AUDIT_WATCH: case AUDIT_DIR:
        if (Status s = need_exit(); !s) return s;
        break;
      default:
        break;
    }
    if ((field == AUDIT_WATCH || field == AUDIT_DIR) && !value.starts_with('/'))
      return error(word.column, fmt::format("{} must be an absolute path, got '{}'", name, value));
    if (field == AUDIT_FILTERKEY && value.size() > kAuditMaxKeyLength)
      return error(word.column, fmt::format("key longer than {} bytes", kAuditMaxKeyLength));
    if (value.size() > kAuditMaxPathLength)
      return error(word.column, fmt::format("{} longer than {} bytes", name, kAuditMaxPathLength));
    if (value.empty()) return error(word.column, fmt::format("{} needs a value", name));
    if ((field == AUDIT_WATCH || field == AUDIT_DIR || field == AUDIT_EXE) && op != AUDIT_EQUAL &&
        op != AUDIT_NOT_EQUAL)
      return error(word.column, fmt::format("{} supports only = and !=", name));
    f.value = static_cast<uint32_t>(value.size());
    f.text.assign(value);
  } else if (field == AUDIT_ARCH) {
    if (op != AUDIT_EQUAL && op != AUDIT_NOT_EQUAL)
      return error(word.column, "arch supports only = and !=");
    std::string arch(value);
    const char* machine_name = nullptr;
    if (arch == "b64") {
      if (!kMachine64) return error(word.column, "b64 is not available on this machine");
      machine_name = kMachine64;
    } else if (arch == "b32") {
      machine_name = kMachine32;
    }
    if (machine_name) {
      int m = audit_name_to_machine(machine_name);
      if (m < 0) return error(word.column, fmt::format("unknown arch '{}'", value));
      f.value = audit_machine_to_elf(m);
      machine_ = m;
    } else if (auto v = parse_number(value)) {
      f.value = *v;
      if (Status s = set_machine_from_arch(word, *v); !s) return s;
    } else {
      int m = audit_name_to_machine(arch.c_str());
      if (m < 0) return error(word.column, fmt::format("unknown arch '{}'", value));
      f.value = audit_machine_to_elf(m);
      machine_ = m;
    }
  } else if (field == AUDIT_PERM) {
    if (Status s = need_exit(); !s) return s;
    if (op != AUDIT_EQUAL) return error(word.column, "perm supports only =");
    uint32_t bits = 0;
    for (char c : value) {
      switch (c) {
        case 'r': bits |= AUDIT_PERM_READ; break;
        case 'w': bits |= AUDIT_PERM_WRITE; break;
        case 'x': bits |= AUDIT_PERM_EXEC; break;
        case 'a': bits |= AUDIT_PERM_ATTR; break;
        default:
          return error(word.column, fmt::format("invalid permission '{}' (use r, w, x, a)", c));
      }
    }
    if (bits == 0) return error(word.column, "perm needs at least one of r, w, x, a");
    f.value = bits;
  } else if (field == AUDIT_FILETYPE) {
    if (Status s = need_exit(); !s) return s;
    std::string type(value);
    std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
    int t = audit_name_to_ftype(type.c_str());
    if (t < 0) return error(word.column, fmt::format("unknown file type '{}'", value));
    f.value = static_cast<uint32_t>(t);
  } else if (field == AUDIT_FSTYPE) {
    std::string type(value);
    if (auto v = parse_number(value)) {
      f.value = *v;
    } else {
      int t = audit_name_to_fstype(type.c_str());
      if (t < 0) return error(word.column, fmt::format("unknown file system type '{}'", value));
      f.value = static_cast<uint32_t>(t);
    }
  } else if (field == AUDIT_INODE) {
    if (Status s = need_exit(); !s) return s;
    if (op != AUDIT_EQUAL && op != AUDIT_NOT_EQUAL)
      return error(word.column, "inode supports only = and !=");
    auto v = number("inode");
    if (!v) return v.status();
    f.value = *v;
  } else {
    switch (field) {
      case AUDIT_DEVMAJOR: case AUDIT_DEVMINOR: case AUDIT_SUCCESS: case AUDIT_PPID:
        if (Status s = need_exit(); !s) return s;
        break;
      default:
        break;
    }
    if (field == AUDIT_SESSIONID && value == "unset") {
      f.value = 0xFFFFFFFFu;
    } else {
      auto v = number("value");
      if (!v) return v.status();
      f.value = *v;
    }
  }
  rule.fields.push_back(std::move(f));
  return Status::ok();
}

struct PendingSyscall {
  std::string name;
  uint32_t column;
};

Result<AuditCommand> CommandParser::parse(std::string_view text) {
  std::vector<CommandWord> words;
  std::string split_error;
  uint32_t split_column = 0;
  if (!split_command_words(text, words, &split_error, &split_column))
    return error(split_column, split_error);

  AuditCommand cmd;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i) cmd.text += ' ';
    const std::string& w = words[i].text;
    bool needs_quotes = w.empty() || w.find_first_of(" \t'\"\\#") != std::string::npos;
    if (needs_quotes) {
      cmd.text += '\'';
      for (char c : w) {
        if (c == '\'') cmd.text += "'\\''";
        else cmd.text += c;
      }
      cmd.text += '\'';
    } else {
      cmd.text += w;
    }
  }
  if (words.empty()) return error(1, "empty command");

  AuditRuleData& rule = cmd.rule;
  enum class Mode { kNone, kRule, kWatch, kDeleteAll, kSetting } mode = Mode::kNone;
  bool deleting = false;
  bool list_set = false;
  std::string watch_path;
  uint32_t watch_column = 0;
  std::optional<uint32_t> watch_perms;
  std::vector<std::string> keys;
  std::vector<PendingSyscall> syscalls;
  std::vector<std::pair<CommandWord, bool>> filters;  // word, is_comparison (-C)

  auto take_value = [&](size_t& i, std::string_view option) -> Result<const CommandWord*> {
    if (i + 1 >= words.size())
      return error(words[i].column, fmt::format("option {} needs a value", option));
    ++i;
    return &words[i];
  };
  auto set_mode = [&](Mode m, const CommandWord& w) -> Status {
    if (mode != Mode::kNone && mode != m)
      return error(w.column, fmt::format("option {} cannot be combined with the options before it", w.text));
    mode = m;
    return Status::ok();
  };

  for (size_t i = 0; i < words.size(); ++i) {
    const CommandWord& w = words[i];
    const std::string& opt = w.text;
    if (opt == "-a" || opt == "-A" || opt == "-d") {
      if (Status s = set_mode(Mode::kRule, w); !s) return s;
      if (list_set) return error(w.column, "more than one -a/-A/-d");
      auto v = take_value(i, opt);
      if (!v) return v.status();
      std::string_view spec = (*v)->text;
      size_t comma = spec.find(',');
      if (comma == std::string_view::npos)
        return error((*v)->column, fmt::format("expected LIST,ACTION, got '{}'", spec));
      std::string a(spec.substr(0, comma)), b(spec.substr(comma + 1));
      auto list_of = [](const std::string& s) -> int {
        if (s == "task") return AUDIT_FILTER_TASK;
        if (s == "exit") return AUDIT_FILTER_EXIT;
        if (s == "user") return AUDIT_FILTER_USER;
        if (s == "exclude") return AUDIT_FILTER_EXCLUDE;
        if (s == "filesystem") return AUDIT_FILTER_FS;
        if (s == "io_uring") return AUDIT_FILTER_URING_EXIT;
        return -1;
      };
      auto action_of = [](const std::string& s) -> int {
        if (s == "never") return AUDIT_NEVER;
        if (s == "always") return AUDIT_ALWAYS;
        return -1;
      };
      int list = list_of(a), action = action_of(b);
      if (list < 0 || action < 0) {
        list = list_of(b);
        action = action_of(a);
      }
      if (list < 0 || action < 0) {
        if (a == "entry" || b == "entry")
          return error((*v)->column, "the entry list is no longer supported by the kernel; use exit");
        return error((*v)->column,
                     fmt::format("invalid list/action '{}' (lists: task, exit, user, exclude, "
                                 "filesystem, io_uring; actions: always, never)", spec));
      }
      rule.flags = static_cast<uint32_t>(list) | (opt == "-A" ? AUDIT_FILTER_PREPEND : 0u);
      rule.action = static_cast<uint32_t>(action);
      deleting = opt == "-d";
      list_set = true;
    } else if (opt == "-w" || opt == "-W") {
      if (Status s = set_mode(Mode::kWatch, w); !s) return s;
      if (!watch_path.empty()) return error(w.column, "more than one -w/-W");
      auto v = take_value(i, opt);
      if (!v) return v.status();
      watch_path = (*v)->text;
      watch_column = (*v)->column;
      if (watch_path.empty()) return error(watch_column, "empty watch path");
      deleting = opt == "-W";
    } else if (opt == "-p") {
      auto v = take_value(i, opt);
      if (!v) return v.status();
      uint32_t bits = 0;
      for (char c : (*v)->text) {
        switch (c) {
          case 'r': bits |= AUDIT_PERM_READ; break;
          case 'w': bits |= AUDIT_PERM_WRITE; break;
          case 'x': bits |= AUDIT_PERM_EXEC; break;
          case 'a': bits |= AUDIT_PERM_ATTR; break;
          default:
            return error((*v)->column, fmt::format("invalid permission '{}' (use r, w, x, a)", c));
        }
      }
      if (bits == 0) return error((*v)->column, "-p needs at least one of r, w, x, a");
      watch_perms = bits;
    } else if (opt == "-k") {
      auto v = take_value(i, opt);
      if (!v) return v.status();
      if ((*v)->text.empty()) return error((*v)->column, "empty key");
      keys.push_back((*v)->text);
    } else if (opt == "-S") {
      auto v = take_value(i, opt);
      if (!v) return v.status();
      std::string_view list = (*v)->text;
      size_t start = 0;
      while (start <= list.size()) {
        size_t comma = list.find(',', start);
        if (comma == std::string_view::npos) comma = list.size();
        std::string name(list.substr(start, comma - start));
        if (name.empty()) return error((*v)->column, fmt::format("empty syscall name in '{}'", list));
        syscalls.push_back({name, (*v)->column});
        start = comma + 1;
      }
    } else if (opt == "-F") {
      auto v = take_value(i, opt);
      if (!v) return v.status();
      filters.emplace_back(**v, false);
    } else if (opt == "-C") {
      auto v = take_value(i, opt);
      if (!v) return v.status();
      filters.emplace_back(**v, true);
    } else if (opt == "-D") {
      if (Status s = set_mode(Mode::kDeleteAll, w); !s) return s;
      cmd.kind = AuditCommandKind::kDeleteAll;
    } else if (opt == "-e" || opt == "-f" || opt == "-b" || opt == "-r" || opt == "--backlog_wait_time") {
      if (Status s = set_mode(Mode::kSetting, w); !s) return s;
      auto v = take_value(i, opt);
      if (!v) return v.status();
      auto n = parse_number((*v)->text);
      if (!n || (*v)->text.starts_with('-'))
        return error((*v)->column, fmt::format("{} needs a non-negative number, got '{}'", opt, (*v)->text));
      cmd.value = *n;
      if (opt == "-e") {
        if (*n > 2) return error((*v)->column, "-e accepts 0, 1 or 2");
        cmd.kind = AuditCommandKind::kSetEnabled;
      } else if (opt == "-f") {
        if (*n > 2) return error((*v)->column, "-f accepts 0, 1 or 2");
        cmd.kind = AuditCommandKind::kSetFailure;
      } else if (opt == "-b") {
        cmd.kind = AuditCommandKind::kSetBacklogLimit;
      } else if (opt == "-r") {
        cmd.kind = AuditCommandKind::kSetRateLimit;
      } else {
        cmd.kind = AuditCommandKind::kSetBacklogWaitTime;
      }
    } else {
      return error(w.column, fmt::format("unsupported option '{}'", opt));
    }
  }

  if (mode == Mode::kNone) return error(words[0].column, "no command (-a, -w, -d, -W, -D, -e, ...)");
  if (mode == Mode::kDeleteAll || mode == Mode::kSetting) {
    if (!keys.empty() || !syscalls.empty() || !filters.empty() || watch_perms)
      return error(words[0].column, "rule options given with a command that takes none");
    return cmd;
  }

  cmd.kind = deleting ? AuditCommandKind::kDeleteRule : AuditCommandKind::kAddRule;
  // Keys given as -F key=VALUE are keys like -k ones: collected and put last.
  std::vector<std::pair<CommandWord, bool>> kept;
  for (auto& [word, is_comparison] : filters) {
    if (!is_comparison && word.text.starts_with("key=")) {
      std::string key = word.text.substr(4);
      if (key.empty()) return error(word.column, "empty key");
      keys.push_back(std::move(key));
    } else {
      kept.emplace_back(std::move(word), is_comparison);
    }
  }
  filters = std::move(kept);

  if (mode == Mode::kWatch) {
    if (!syscalls.empty() || !filters.empty())
      return error(watch_column, "-w/-W cannot be combined with -S, -F or -C");
    if (!watch_path.starts_with('/'))
      return error(watch_column, fmt::format("watch path must be absolute, got '{}'", watch_path));
    std::string path = clean_path(watch_path);
    bool is_dir = options_.is_directory ? options_.is_directory(watch_path) : stat_is_directory(path);
    rule.flags = AUDIT_FILTER_EXIT;
    rule.action = AUDIT_ALWAYS;
    if (path.size() > kAuditMaxPathLength)
      return error(watch_column, fmt::format("watch path longer than {} bytes", kAuditMaxPathLength));
    rule.fields.push_back({is_dir ? uint32_t(AUDIT_DIR) : uint32_t(AUDIT_WATCH), AUDIT_EQUAL,
                           static_cast<uint32_t>(path.size()), path});
    uint32_t perms = watch_perms.value_or(AUDIT_PERM_READ | AUDIT_PERM_WRITE | AUDIT_PERM_EXEC |
                                          AUDIT_PERM_ATTR);
    rule.fields.push_back({AUDIT_PERM, AUDIT_EQUAL, perms, {}});
  } else {
    if (!list_set) return error(words[0].column, "missing -a LIST,ACTION");
    if (watch_perms) return error(words[0].column, "-p is only valid with -w");
    // Fields first (arch decides how syscall names are read), in the order given.
    for (const auto& [word, is_comparison] : filters) {
      if (is_comparison) {
        if (Status s = add_comparison(rule, word); !s) return s;
        continue;
      }
      std::string_view expr = word.text;
      size_t pos = expr.find_first_of("!=<>&");
      if (pos == std::string_view::npos || pos == 0)
        return error(word.column, fmt::format("-F expects NAME OP VALUE, got '{}'", expr));
      std::string_view rest = expr.substr(pos);
      uint32_t op = 0;
      size_t op_len = 0;
      for (const auto& o : kOperators) {
        if (rest.starts_with(o.text)) {
          op = o.op;
          op_len = o.text.size();
          break;
        }
      }
      if (op_len == 0) return error(word.column, fmt::format("invalid operator in '{}'", expr));
      if (Status s = add_field(rule, word, expr.substr(0, pos), op, rest.substr(op_len)); !s) return s;
    }
    const uint32_t list = rule.flags & ~uint32_t(AUDIT_FILTER_PREPEND);
    if (!syscalls.empty() && list != AUDIT_FILTER_EXIT && list != AUDIT_FILTER_URING_EXIT)
      return error(syscalls.front().column, "-S is only valid on the exit list");
    int machine = machine_ >= 0 ? machine_ : audit_name_to_machine(native_machine_name());
    bool all = syscalls.empty();
    for (const auto& sc : syscalls) {
      if (sc.name == "all") {
        all = true;
        continue;
      }
      int number = -1;
      if (auto n = parse_number(sc.name); n && !sc.name.starts_with('-')) {
        number = static_cast<int>(std::min<uint32_t>(*n, 1u << 20));
      } else {
        number = audit_name_to_syscall(sc.name.c_str(), machine);
        if (number < 0)
          return error(sc.column, fmt::format("unknown syscall '{}' for arch {}", sc.name,
                                              audit_machine_to_name(machine) ? audit_machine_to_name(machine) : "?"));
      }
      if (number >= static_cast<int>(kAuditBitmaskWords * 32))
        return error(sc.column, fmt::format("syscall number {} out of range", number));
      rule.mask[number / 32] |= 1u << (number % 32);
    }
    if (all) {
      rule.mask.fill(0xFFFFFFFFu);
      rule.mask.back() = kLastWordAllSyscalls;
    }
  }
  if (mode == Mode::kWatch) {
    rule.mask.fill(0xFFFFFFFFu);
    rule.mask.back() = kLastWordAllSyscalls;
  }
  if (!keys.empty()) {
    std::string joined;
    for (size_t k = 0; k < keys.size(); ++k) {
      if (k) joined += static_cast<char>(kKeySeparator);
      joined += keys[k];
    }
    if (joined.size() > kAuditMaxKeyLength)
      return error(words[0].column, fmt::format("keys longer than {} bytes together", kAuditMaxKeyLength));
    if (rule.fields.size() >= kAuditMaxFields) return error(words[0].column, "more than 64 fields");
    rule.fields.push_back({AUDIT_FILTERKEY, AUDIT_EQUAL, static_cast<uint32_t>(joined.size()), joined});
  }
  return cmd;
}

void put_u32(std::vector<uint8_t>& out, size_t offset, uint32_t v) {
  std::memcpy(out.data() + offset, &v, 4);  // host order, as the kernel expects
}
uint32_t get_u32(std::span<const uint8_t> in, size_t offset) {
  uint32_t v;
  std::memcpy(&v, in.data() + offset, 4);
  return v;
}

}  // namespace

bool audit_field_is_string(uint32_t field) {
  switch (field) {
    case AUDIT_OBJ_USER: case AUDIT_OBJ_ROLE: case AUDIT_OBJ_TYPE: case AUDIT_OBJ_LEV_LOW:
    case AUDIT_OBJ_LEV_HIGH: case AUDIT_WATCH: case AUDIT_DIR: case AUDIT_SUBJ_USER:
    case AUDIT_SUBJ_ROLE: case AUDIT_SUBJ_TYPE: case AUDIT_SUBJ_SEN: case AUDIT_SUBJ_CLR:
    case AUDIT_FILTERKEY: case AUDIT_EXE:
      return true;
    default:
      return false;
  }
}

bool AuditRuleData::all_syscalls() const {
  for (size_t i = 0; i + 1 < mask.size(); ++i)
    if (mask[i] != 0xFFFFFFFFu) return false;
  return (mask.back() & kLastWordAllSyscalls) == kLastWordAllSyscalls;
}

std::vector<uint8_t> AuditRuleData::to_wire() const {
  size_t buflen = 0;
  for (const auto& f : fields)
    if (audit_field_is_string(f.field)) buflen += f.text.size();
  size_t size = kAuditRuleHeaderBytes + buflen;
  size = (size + 3) & ~size_t{3};
  std::vector<uint8_t> out(size, 0);
  put_u32(out, 0, flags);
  put_u32(out, 4, action);
  put_u32(out, 8, static_cast<uint32_t>(fields.size()));
  for (size_t i = 0; i < kAuditBitmaskWords; ++i) put_u32(out, 12 + 4 * i, mask[i]);
  size_t at = kAuditRuleHeaderBytes;
  for (size_t i = 0; i < fields.size() && i < kAuditMaxFields; ++i) {
    put_u32(out, 12 + 256 + 4 * i, fields[i].field);
    put_u32(out, 12 + 512 + 4 * i, fields[i].value);
    put_u32(out, 12 + 768 + 4 * i, fields[i].op);
    if (audit_field_is_string(fields[i].field)) {
      std::memcpy(out.data() + at, fields[i].text.data(), fields[i].text.size());
      at += fields[i].text.size();
    }
  }
  put_u32(out, 12 + 1024, static_cast<uint32_t>(buflen));
  return out;
}

Result<AuditRuleData> AuditRuleData::from_wire(std::span<const uint8_t> wire) {
  if (wire.size() < kAuditRuleHeaderBytes)
    return Status::invalid(fmt::format("audit rule of {} bytes is shorter than the {}-byte header",
                                       wire.size(), kAuditRuleHeaderBytes));
  AuditRuleData r;
  r.flags = get_u32(wire, 0);
  r.action = get_u32(wire, 4);
  uint32_t count = get_u32(wire, 8);
  if (count > kAuditMaxFields)
    return Status::invalid(fmt::format("audit rule has {} fields (at most 64)", count));
  for (size_t i = 0; i < kAuditBitmaskWords; ++i) r.mask[i] = get_u32(wire, 12 + 4 * i);
  uint32_t buflen = get_u32(wire, 12 + 1024);
  if (buflen > wire.size() - kAuditRuleHeaderBytes)
    return Status::invalid(fmt::format("audit rule buffer length {} exceeds the {} bytes present",
                                       buflen, wire.size() - kAuditRuleHeaderBytes));
  size_t at = 0;
  for (uint32_t i = 0; i < count; ++i) {
    Field f;
    f.field = get_u32(wire, 12 + 256 + 4 * i);
    f.value = get_u32(wire, 12 + 512 + 4 * i);
    f.op = get_u32(wire, 12 + 768 + 4 * i);
    if (audit_field_is_string(f.field)) {
      if (f.value > buflen - at)
        return Status::invalid(fmt::format("string of field {} overflows the rule buffer", i));
      f.text.assign(reinterpret_cast<const char*>(wire.data()) + kAuditRuleHeaderBytes + at, f.value);
      at += f.value;
    }
    r.fields.push_back(std::move(f));
  }
  return r;
}

AuditRuleData canonical_audit_rule(const AuditRuleData& rule) {
  AuditRuleData c = rule;
  c.flags &= ~uint32_t(AUDIT_FILTER_PREPEND);
  for (auto& f : c.fields) {
    if (f.field == AUDIT_DIR || f.field == AUDIT_WATCH) {
      while (f.text.size() > 1 && f.text.back() == '/') f.text.pop_back();
      f.value = static_cast<uint32_t>(f.text.size());
    }
  }
  return c;
}

bool split_command_words(std::string_view line, std::vector<CommandWord>& words, std::string* error,
                         uint32_t* error_column) {
  words.clear();
  size_t i = 0;
  const size_t n = line.size();
  while (i < n) {
    while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n')) ++i;
    if (i >= n) break;
    if (line[i] == '#') break;
    CommandWord w;
    w.column = static_cast<uint32_t>(i + 1);
    while (i < n && !(line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n')) {
      char c = line[i];
      if (c == '\'') {
        size_t close = line.find('\'', i + 1);
        if (close == std::string_view::npos) {
          if (error) *error = "unterminated single quote";
          if (error_column) *error_column = static_cast<uint32_t>(i + 1);
          return false;
        }
        w.text.append(line.substr(i + 1, close - i - 1));
        i = close + 1;
      } else if (c == '"') {
        size_t j = i + 1;
        bool closed = false;
        while (j < n) {
          if (line[j] == '\\' && j + 1 < n &&
              (line[j + 1] == '"' || line[j + 1] == '\\' || line[j + 1] == '$' || line[j + 1] == '`')) {
            w.text += line[j + 1];
            j += 2;
          } else if (line[j] == '"') {
            closed = true;
            break;
          } else {
            w.text += line[j++];
          }
        }
        if (!closed) {
          if (error) *error = "unterminated double quote";
          if (error_column) *error_column = static_cast<uint32_t>(i + 1);
          return false;
        }
        i = j + 1;
      } else if (c == '\\' && i + 1 < n) {
        w.text += line[i + 1];
        i += 2;
      } else {
        w.text += c;
        ++i;
      }
    }
    words.push_back(std::move(w));
  }
  return true;
}

Result<AuditCommand> parse_audit_command(std::string_view line, std::string_view source,
                                         uint64_t line_number, const AuditRuleParseOptions& options) {
  CommandParser parser(source, line_number, options);
  return parser.parse(line);
}

AuditRuleFile parse_audit_rule_file(std::string_view text, std::string_view source,
                                    const AuditRuleParseOptions& options) {
  AuditRuleFile out;
  uint64_t line_number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    ++line_number;
    start = end + 1;
    std::vector<CommandWord> words;
    std::string err;
    uint32_t col = 0;
    if (!split_command_words(line, words, &err, &col)) {
      out.errors.push_back(fmt::format("{}:{}:{}: {}", source, line_number, col, err));
      continue;
    }
    if (words.empty()) continue;
    auto cmd = parse_audit_command(line, source, line_number, options);
    if (cmd) out.commands.push_back(std::move(cmd.value()));
    else out.errors.push_back(cmd.status().message());
  }
  return out;
}

namespace {
// A word as auditctl's command line needs it: quoted when it holds blanks, quotes or `#`.
std::string shell_word(std::string_view w) {
  if (!w.empty() && w.find_first_of(" \t\n'\"\\#$`") == std::string_view::npos) return std::string(w);
  std::string out = "'";
  for (char c : w) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  out += '\'';
  return out;
}
}  // namespace

Result<std::string> audit_rule_to_text(const AuditRuleData& rule) {
  const uint32_t list = rule.flags & ~uint32_t(AUDIT_FILTER_PREPEND);
  const char* list_name = nullptr;
  switch (list) {
    case AUDIT_FILTER_TASK: list_name = "task"; break;
    case AUDIT_FILTER_EXIT: list_name = "exit"; break;
    case AUDIT_FILTER_USER: list_name = "user"; break;
    case AUDIT_FILTER_EXCLUDE: list_name = "exclude"; break;
    case AUDIT_FILTER_FS: list_name = "filesystem"; break;
    case AUDIT_FILTER_URING_EXIT: list_name = "io_uring"; break;
    default: return Status::invalid(fmt::format("unknown filter list {}", list));
  }
  const char* action_name = rule.action == AUDIT_ALWAYS ? "always"
                            : rule.action == AUDIT_NEVER ? "never" : nullptr;
  if (!action_name) return Status::invalid(fmt::format("unknown rule action {}", rule.action));

  auto perm_text = [](uint32_t bits) {
    std::string p;
    if (bits & AUDIT_PERM_READ) p += 'r';
    if (bits & AUDIT_PERM_WRITE) p += 'w';
    if (bits & AUDIT_PERM_EXEC) p += 'x';
    if (bits & AUDIT_PERM_ATTR) p += 'a';
    return p;
  };
  auto split_keys = [](const std::string& joined) {
    std::vector<std::string> keys;
    size_t start = 0;
    while (true) {
      size_t sep = joined.find(static_cast<char>(kKeySeparator), start);
      keys.push_back(joined.substr(start, sep == std::string::npos ? std::string::npos : sep - start));
      if (sep == std::string::npos) break;
      start = sep + 1;
    }
    return keys;
  };

  // A watch: every syscall, a perm, and nothing but path/dir/perm/key (auditctl's test).
  if (list == AUDIT_FILTER_EXIT && rule.action == AUDIT_ALWAYS && rule.all_syscalls()) {
    const AuditRuleData::Field* path = nullptr;
    const AuditRuleData::Field* perm = nullptr;
    const AuditRuleData::Field* key = nullptr;
    bool other = false;
    for (const auto& f : rule.fields) {
      if ((f.field == AUDIT_WATCH || f.field == AUDIT_DIR) && f.op == AUDIT_EQUAL && !path) path = &f;
      else if (f.field == AUDIT_PERM && !perm) perm = &f;
      else if (f.field == AUDIT_FILTERKEY && !key) key = &f;
      else other = true;
    }
    if (path && perm && !other) {
      std::string out = fmt::format("-w {} -p {}", shell_word(path->text), perm_text(perm->value));
      if (key)
        for (const auto& k : split_keys(key->text)) out += fmt::format(" -k {}", shell_word(k));
      return out;
    }
  }

  std::string out = fmt::format("-a {},{}", action_name, list_name);
  int machine = audit_name_to_machine(native_machine_name());
  for (const auto& f : rule.fields) {
    if (f.field != AUDIT_ARCH) continue;
    int m = audit_elf_to_machine(f.value);
    if (m >= 0) machine = m;
    std::string arch;
    int native64 = kMachine64 ? audit_name_to_machine(kMachine64) : -1;
    int native32 = audit_name_to_machine(kMachine32);
    if (m >= 0 && m == native64) arch = "b64";
    else if (m >= 0 && m == native32) arch = "b32";
    else if (m >= 0 && audit_machine_to_name(m)) arch = audit_machine_to_name(m);
    else arch = fmt::format("0x{:x}", f.value);
    out += fmt::format(" -F arch{}{}", operator_text(f.op), arch);
    break;
  }
  if (list == AUDIT_FILTER_EXIT || list == AUDIT_FILTER_URING_EXIT) {
    if (rule.all_syscalls()) {
      out += " -S all";
    } else {
      std::string names;
      for (uint32_t n = 0; n < kAuditBitmaskWords * 32; ++n) {
        if (!(rule.mask[n / 32] & (1u << (n % 32)))) continue;
        if (!names.empty()) names += ',';
        const char* name = audit_syscall_to_name(static_cast<int>(n), machine);
        names += name ? std::string(name) : std::to_string(n);
      }
      if (!names.empty()) out += " -S " + names;
    }
  }
  bool arch_done = false;
  for (const auto& f : rule.fields) {
    std::string_view op = operator_text(f.op);
    if (op.empty()) return Status::invalid(fmt::format("unknown operator 0x{:x}", f.op));
    if (f.field == AUDIT_ARCH && !arch_done) {
      arch_done = true;
      continue;
    }
    if (f.field == AUDIT_FIELD_COMPARE) {
      const Comparison* c = nullptr;
      for (const auto& k : kComparisons)
        if (k.code == f.value) c = &k;
      if (!c) return Status::invalid(fmt::format("unknown field comparison {}", f.value));
      out += fmt::format(" -C {}{}{}", audit_field_to_name(static_cast<int>(c->left)), op,
                         audit_field_to_name(static_cast<int>(c->right)));
      continue;
    }
    const char* name = audit_field_to_name(static_cast<int>(f.field));
    if (!name) return Status::invalid(fmt::format("unknown field number {}", f.field));
    if (f.field == AUDIT_FILTERKEY) {
      for (const auto& k : split_keys(f.text)) out += " -F " + shell_word(fmt::format("key={}", k));
      continue;
    }
    std::string value;
    if (audit_field_is_string(f.field)) {
      value = f.text;
    } else if (f.field == AUDIT_EXIT) {
      int code = static_cast<int32_t>(f.value);
      const char* e = code < 0 ? audit_errno_to_name(-code) : nullptr;
      value = e ? fmt::format("-{}", e) : std::to_string(code);
    } else if (is_uid_field(f.field) || is_gid_field(f.field)) {
      value = f.value == 0xFFFFFFFFu ? "unset" : std::to_string(f.value);
    } else if (f.field == AUDIT_MSGTYPE) {
      const char* t = audit_msg_type_to_name(static_cast<int>(f.value));
      value = t ? t : std::to_string(f.value);
    } else if (f.field == AUDIT_PERM) {
      value = perm_text(f.value);
    } else if (f.field == AUDIT_ARG0 || f.field == AUDIT_ARG1 || f.field == AUDIT_ARG2 ||
               f.field == AUDIT_ARG3) {
      value = fmt::format("0x{:x}", f.value);
    } else {
      value = std::to_string(f.value);
    }
    out += fmt::format(" -F {}", shell_word(fmt::format("{}{}{}", name, op, value)));
  }
  return out;
}

}  // namespace audetect::io
