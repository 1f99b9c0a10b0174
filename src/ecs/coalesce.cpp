#include "ecs/coalesce.h"

#include <charconv>
#include <cstring>

namespace audetect::ecs::detail {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

// Go's strconv.ParseUint(s, base, 64) == nil.
bool parse_uint(std::string_view s, int base, uint64_t* out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, *out, base);
  return ec == std::errc() && p == end;
}

// A record's fields as auparse's Data() map sees them: a name seen twice keeps its last value.
// Names are nearly always distinct: a 256-bit set of name hashes proves a name new (append, no
// lookup), and only a name whose bit is already set pays for the lookup that finds a repeat.
void load_fields(const audit::AuditRecord& record, FlatMap& out) {
  out.clear();
  uint64_t seen[4] = {0, 0, 0, 0};
  for (const audit::AuditField& f : record.fields) {
    uint32_t h = 2166136261u;
    for (unsigned char c : f.name) h = (h ^ c) * 16777619u;
    h ^= h >> 16;
    uint64_t bit = uint64_t{1} << (h & 63);
    uint64_t& word = seen[(h >> 6) & 3];
    if (word & bit) {
      out.set(f.name, f.value);
    } else {
      word |= bit;
      out.append_new(f.name, f.value);
    }
  }
}

void set_entity(EcsEntity& e, std::string_view value) {
  if (value.empty() || value == "unset" || value == "4294967295" || value == "-1") {
    e = EcsEntity{"unset", {}};
    return;
  }
  uint64_t ignored = 0;
  if (parse_uint(value, 10, &ignored)) {
    e.id = value;
  } else {
    e.name = value;
  }
}

// Lexical clean of an absolute path, as Go's filepath.Join/Clean do: no "." or empty segments,
// ".." removes the previous segment (never above the root).
std::string_view join_clean(Arena& arena, std::string_view cwd, std::string_view name) {
  size_t cap = cwd.size() + name.size() + 2;
  char* buf = static_cast<char*>(arena.allocate(cap, 1));
  size_t len = 0;
  auto push_segments = [&](std::string_view path) {
    size_t i = 0;
    while (i <= path.size()) {
      size_t j = path.find('/', i);
      if (j == std::string_view::npos) j = path.size();
      std::string_view seg = path.substr(i, j - i);
      if (seg.empty() || seg == ".") {
        // skip
      } else if (seg == "..") {
        while (len > 0 && buf[len - 1] != '/') --len;
        if (len > 0) --len;  // the slash before the removed segment
      } else {
        buf[len++] = '/';
        std::memcpy(buf + len, seg.data(), seg.size());
        len += seg.size();
      }
      i = j + 1;
    }
  };
  push_segments(cwd);
  push_segments(name);
  if (len == 0) buf[len++] = '/';
  return {buf, len};
}

// AT_FDCWD (-100) as the kernel logs a syscall argument: 32-bit or sign-extended 64-bit hex.
bool is_at_fdcwd(std::string_view arg) { return arg == "ffffff9c" || arg == "ffffffffffffff9c"; }

// Whether a relative PATH name of this event is relative to the process cwd. For the *at()
// family it is relative to a directory descriptor instead, unless that argument is AT_FDCWD;
// the descriptor's directory is unknown, so such names are left as they are.
bool names_relative_to_cwd(const FlatMap& data) {
  std::string_view sc = data.get("syscall");
  struct DirfdArgs {
    std::string_view syscall;
    const char* args;  // argument names holding directory descriptors
  };
  static constexpr DirfdArgs kDirfd[] = {
      {"openat", "a0"},      {"openat2", "a0"},   {"mkdirat", "a0"},     {"mknodat", "a0"},
      {"fchownat", "a0"},    {"futimesat", "a0"}, {"newfstatat", "a0"},  {"fstatat64", "a0"},
      {"unlinkat", "a0"},    {"readlinkat", "a0"}, {"fchmodat", "a0"},   {"fchmodat2", "a0"},
      {"faccessat", "a0"},   {"faccessat2", "a0"}, {"utimensat", "a0"},  {"execveat", "a0"},
      {"name_to_handle_at", "a0"}, {"statx", "a0"}, {"symlinkat", "a1"}, {"renameat", "a0a2"},
      {"renameat2", "a0a2"}, {"linkat", "a0a2"},   {"open_tree", "a0"},  {"move_mount", "a0a2"}};
  for (const DirfdArgs& d : kDirfd) {
    if (d.syscall != sc) continue;
    std::string_view args = d.args;
    for (size_t i = 0; i + 1 < args.size(); i += 2) {
      if (!is_at_fdcwd(data.get(args.substr(i, 2)))) return false;
    }
    return true;
  }
  return true;
}

}  // namespace

std::string_view Coalescer::audit_category(uint32_t t) {
  // Ported from auparse's normalize.c (via go-libaudit): record type number ranges.
  auto in = [t](uint32_t lo, uint32_t hi) { return t >= lo && t <= hi; };
  if (in(1100, 1106) || in(1108, 1110) || in(1112, 1113) || t == 1126) return "user-login";
  if (in(1114, 1117) || in(1132, 1133) || in(1135, 1136)) return "user-account";
  if (t == 2000 || in(1127, 1131)) return "system-services";
  if (t == 1111 || t == 1305 || t == 1325 || in(1328, 1329)) return "configuration";
  if (t == 1326) return "dac-decision";
  if (in(1119, 1121) || t == 1123 || t == 1125) return "user-space";
  if (t == 1124 || t == 1319) return "TTY";
  if (in(1200, 1299)) return "audit-daemon";
  if (t == 1122 || t == 1107 || in(1502, 1503) || t == 1506 || in(1400, 1402)) return "mac-decision";
  if (in(1800, 1899) || t == 2109) return "integrity";
  if (in(1700, 1799) || in(2100, 2108) || in(2110, 2199)) return "anomaly";
  if (in(2200, 2299)) return "anomaly-response";
  if (in(1403, 1499) || in(1500, 1501) || in(1504, 1505) || in(2300, 2399)) return "mac";
  if (in(1600, 1699) || in(2400, 2499)) return "crypto";
  if (in(2500, 2599)) return "virt";
  if (in(1300, 1304) || in(1306, 1315) || in(1317, 1318) || in(1321, 1324)) return "audit-rule";
  return "unknown";
}

Coalescer::Coalescer(CoalesceOptions options, IdResolver* resolver)
    : options_(options), resolver_(resolver) {}

void Coalescer::reset(Coalesced& out) {
  out.error = {};
  out.time_ms = 0;
  out.sequence = 0;
  out.record_type = 0;
  out.category = out.result = out.session = {};
  out.tags = {};
  out.actor_primary = out.actor_secondary = out.action = {};
  out.object_type = out.object_primary = out.object_secondary = out.how = {};
  out.user_ids.clear();
  out.user_names.clear();
  out.user_selinux.clear();
  out.data.clear();
  out.paths.clear();
  out.pid = out.ppid = out.title = out.name = out.exe = out.cwd = {};
  out.args.clear();
  out.has_file = false;
  out.file_path = out.file_device = out.file_inode = out.file_mode = {};
  out.file_uid = out.file_gid = out.file_owner = out.file_group = {};
  out.file_selinux.clear();
  out.source = out.destination = Address{};
  out.direction = Direction::kNone;
  out.ecs_kind = {};
  out.ecs_category.clear();
  out.ecs_type.clear();
  out.ecs_outcome = {};
  out.ecs_user = out.ecs_user_effective = out.ecs_user_target = out.ecs_user_changes = out.ecs_group = {};
  arena_.reset();
  warning_count_ = 0;
}

std::string& Coalescer::add_warning() {
  if (warning_count_ == warnings_.size()) warnings_.emplace_back();
  std::string& w = warnings_[warning_count_++];
  w.clear();
  return w;
}

void Coalescer::coalesce(const audit::AuditEvent& event, Coalesced& out) {
  reset(out);
  std::span<const audit::AuditRecord> records = event.records;
  if (!records.empty() && records.back().type == audit::kEoe) records = records.first(records.size() - 1);

  out.time_ms = event.time_ms;
  out.sequence = event.serial;
  if (records.empty()) {
    out.error = "messages is empty";
    return;
  }
  if (records.size() == 1) {
    new_event(nullptr, records[0], out);
  } else {
    const audit::AuditRecord* special = nullptr;
    const audit::AuditRecord* syscall = nullptr;
    for (size_t i = 0; i < records.size(); ++i) {
      if (i == 0 && records[i].type != audit::kSyscall) {
        special = &records[i];
        continue;
      }
      if (records[i].type == audit::kSyscall) {
        syscall = &records[i];
        break;
      }
    }
    if (!syscall) {
      out.error = "missing syscall message in compound event";
      return;
    }
    new_event(special, *syscall, out);
    for (const audit::AuditRecord& r : records) {
      switch (r.type) {
        case audit::kSyscall: out.data.erase("items"); break;
        case audit::kPath:
          if (r.error.empty()) {
            out.paths.push_back(&r);
          } else {
            add_warning().append("failed to parse PATH message: ").append(r.error);
          }
          break;
        case audit::kSockaddr: add_sockaddr(r, out); break;
        case audit::kExecve: add_execve(r, out); break;
        default: add_fields_to_data(r, out); break;
      }
    }
  }
  apply_normalization(out);
  add_process(out);
  if (options_.resolve_ids && resolver_) resolve_ids(out);
}

void Coalescer::new_event(const audit::AuditRecord* special, const audit::AuditRecord& source, Coalesced& out) {
  const audit::AuditRecord& head = special ? *special : source;
  out.time_ms = head.time_ms;
  out.sequence = head.serial;
  out.record_type = head.type;
  out.category = audit_category(head.type);

  if (!source.error.empty()) {
    // auparse's Data() failed for the record the event is built from: aucoalesce keeps only the
    // header (no result, session, actor, tags or data) and records the error as a warning.
    add_warning().assign(source.error);
    return;
  }
  load_fields(source, scratch_);
  if (const std::string_view* r = scratch_.find("result")) {
    out.result = *r;
    scratch_.erase("result");
  } else {
    out.result = "unknown";
  }
  if (const std::string_view* s = scratch_.find("ses")) {
    out.session = *s;
    scratch_.erase("ses");
  }
  if (const std::string_view* v = scratch_.find("auid")) out.actor_primary = *v;
  if (const std::string_view* v = scratch_.find("uid")) out.actor_secondary = *v;
  out.tags = source.tags;

  // The maps are empty here and scratch_ keys are distinct, so no lookups are needed.
  for (const FlatMap::Entry& e : scratch_.items()) {
    if (ends_with(e.key, "uid") || ends_with(e.key, "gid")) {
      out.user_ids.append_new(e.key, e.value);
    } else if (starts_with(e.key, "subj_")) {
      out.user_selinux.append_new(e.key.substr(5), e.value);
    } else {
      out.data.append_new(e.key, e.value);
    }
  }
}

void Coalescer::add_sockaddr(const audit::AuditRecord& record, Coalesced& out) {
  if (!record.error.empty()) {
    add_warning().append("failed to parse SOCKADDR message: ").append(record.error);
    return;
  }
  const std::string_view* found = out.data.find("syscall");
  if (!found) {
    add_warning() = "failed to add SOCKADDR data because syscall is unknown";
    return;
  }
  const std::string_view sc = *found;  // by value: the inserts below may move the map's storage
  load_fields(record, scratch_);
  for (const FlatMap::Entry& e : scratch_.items()) {
    char* key = static_cast<char*>(arena_.allocate(7 + e.key.size(), 1));
    std::memcpy(key, "socket_", 7);
    std::memcpy(key + 7, e.key.data(), e.key.size());
    out.data.set({key, 7 + e.key.size()}, e.value);
  }
  Address* addr = nullptr;
  Direction dir = Direction::kNone;
  if (sc == "recvfrom" || sc == "recvmsg" || sc == "accept" || sc == "accept4") {
    addr = &out.source;
    dir = Direction::kIngress;
  } else if (sc == "connect" || sc == "sendto" || sc == "sendmsg") {
    addr = &out.destination;
    dir = Direction::kEgress;
  } else {
    return;  // bind, listen, getpeername, getsockname: no clear direction
  }
  std::string_view ip = scratch_.get("addr"), port = scratch_.get("port"), path = scratch_.get("path");
  if (!ip.empty() || !port.empty() || !path.empty()) *addr = Address{true, ip, port, path};
  out.direction = dir;
}

void Coalescer::add_execve(const audit::AuditRecord& record, Coalesced& out) {
  if (!record.error.empty()) {  // e.g. a split argument: "failed to find arg a1"
    add_warning().append("failed to parse EXECVE message: ").append(record.error);
    return;
  }
  load_fields(record, scratch_);
  const std::string_view* argc = scratch_.find("argc");
  if (!argc) {
    add_warning() = "argc key not found in EXECVE message";
    return;
  }
  out.data.set("argc", *argc);
  uint64_t count = 0;
  if (!parse_uint(*argc, 10, &count) || count > 0xFFFFFFFFull) {
    std::string& w = add_warning();
    w.append("failed to convert argc='").append(*argc).append("' to number: strconv.ParseUint: parsing \"");
    w.append(*argc).append(count > 0xFFFFFFFFull ? "\": value out of range" : "\": invalid syntax");
    return;
  }
  // Arguments are looked up by name; a count beyond the fields present fails at the first gap.
  size_t first = out.args.size();
  char key[24];
  for (uint64_t i = 0; i < count; ++i) {
    key[0] = 'a';
    auto [end, ec] = std::to_chars(key + 1, key + sizeof(key), i);
    (void)ec;
    std::string_view name(key, static_cast<size_t>(end - key));
    const std::string_view* arg = scratch_.find(name);
    if (!arg) {
      out.args.resize(first);
      std::string& w = add_warning();
      w.append("failed to find arg ").append(name);
      return;
    }
    out.args.push_back(*arg);
  }
  // Each EXECVE record replaces the arguments of the previous one, as aucoalesce does.
  out.args.erase(out.args.begin(), out.args.begin() + static_cast<std::ptrdiff_t>(first));
}

void Coalescer::add_fields_to_data(const audit::AuditRecord& record, Coalesced& out) {
  if (!record.error.empty()) {
    add_warning().append("failed to parse message: ").append(record.error);
    return;
  }
  load_fields(record, scratch_);
  for (const FlatMap::Entry& e : scratch_.items()) {
    if (!out.data.insert(e.key, e.value)) {
      std::string& w = add_warning();
      w.append("duplicate key (").append(e.key).append(") from ").append(audit::record_type_name(record.type));
      w.append(" message");
    }
  }
}

std::string_view Coalescer::lookup_value(const Coalesced& out, std::string_view key, bool* found) const {
  if (const std::string_view* v = out.data.find(key)) {
    *found = true;
    return *v;
  }
  if (const std::string_view* v = out.user_ids.find(key)) {
    *found = true;
    return *v;
  }
  *found = false;
  return {};
}

void Coalescer::warn_not_found(std::string_view what, Names keys) {
  std::string& w = add_warning();
  w.append("failed to set ").append(what).append(" using keys=[");
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i) w.push_back(' ');
    w.append(keys[i]);
  }
  w.append("] because they were not found");
}

void Coalescer::apply_normalization(Coalesced& out) {
  // Default "how": the executable, or the command name for interpreters running a script.
  if (const std::string_view* exe = out.data.find("exe"); exe || out.data.find("comm")) {
    std::string_view how = exe ? *exe : *out.data.find("comm");
    out.how = how;
    if (starts_with(how, "/usr/bin/python") || starts_with(how, "/usr/bin/sh") ||
        starts_with(how, "/usr/bin/bash") || starts_with(how, "/usr/bin/perl")) {
      if (const std::string_view* comm = out.data.find("comm")) out.how = *comm;
    }
  }

  const NormalizationSpec* syscall_norm = nullptr;
  if (const std::string_view* syscall = out.data.find("syscall")) {
    syscall_norm = syscall_normalization(*syscall);
    if (!syscall_norm) syscall_norm = catch_all_syscall_normalization();
  }

  const NormalizationSpec* norm = nullptr;
  if (out.record_type == audit::kSyscall) {
    norm = syscall_norm;
  } else {
    auto candidates = record_type_normalizations(audit::record_type_name(out.record_type));
    if (candidates.size() == 1) {
      norm = candidates[0];
    } else {
      for (const NormalizationSpec* n : candidates) {
        bool all = true;
        for (std::string_view f : n->has_fields) all = all && out.data.contains(f);
        if (all) norm = n;
      }
    }
  }
  if (!norm) {
    add_warning() = "no normalization found for event";
    return;
  }

  out.ecs_kind = norm->ecs_kind;
  out.ecs_category.assign(norm->ecs_category.begin(), norm->ecs_category.end());
  out.ecs_type.assign(norm->ecs_type.begin(), norm->ecs_type.end());
  if (syscall_norm && syscall_norm != norm) {
    out.ecs_category.insert(out.ecs_category.end(), syscall_norm->ecs_category.begin(), syscall_norm->ecs_category.end());
    out.ecs_type.insert(out.ecs_type.end(), syscall_norm->ecs_type.begin(), syscall_norm->ecs_type.end());
    if (out.result == "fail") out.ecs_outcome = "failure";
  }

  out.action = norm->action;
  out.object_type = norm->object_what;
  if (norm->object_what == "file" || norm->object_what == "filesystem") {
    set_file_object(out, norm->object_path_index);
  } else if (norm->object_what == "socket") {
    if (const std::string_view* v = out.data.find("socket_addr")) {
      out.object_primary = *v;
    } else if (const std::string_view* p = out.data.find("socket_path")) {
      out.object_primary = *p;
    }
    if (const std::string_view* v = out.data.find("socket_port")) out.object_secondary = *v;
  }

  auto first_found = [&](Names keys, std::string_view* target, std::string_view what) {
    if (keys.empty()) return;
    for (std::string_view k : keys) {
      bool found = false;
      std::string_view v = lookup_value(out, k, &found);
      if (found) {
        *target = v;
        return;
      }
    }
    warn_not_found(what, keys);
  };
  first_found(norm->subject_primary, &out.actor_primary, "subject primary");
  first_found(norm->subject_secondary, &out.actor_secondary, "subject secondary");
  first_found(norm->object_primary, &out.object_primary, "object primary");
  first_found(norm->object_secondary, &out.object_secondary, "object secondary");
  first_found(norm->how, &out.how, "how");

  if (!out.source.present && !norm->source_ip.empty()) {
    bool set = false;
    for (std::string_view k : norm->source_ip) {
      if (const std::string_view* v = out.data.find(k)) {
        out.source = Address{true, *v, {}, {}};
        out.direction = Direction::kIngress;
        out.data.erase(k);
        set = true;
        break;
      }
    }
    if (!set) warn_not_found("source IP", norm->source_ip);
  }

  for (const EcsMapping& m : norm->ecs_mappings) {
    std::string_view value;
    switch (m.from) {
      case MappingFrom::kSubjectPrimary: value = out.actor_primary; break;
      case MappingFrom::kSubjectSecondary: value = out.actor_secondary; break;
      case MappingFrom::kObjectPrimary: value = out.object_primary; break;
      case MappingFrom::kObjectSecondary: value = out.object_secondary; break;
      case MappingFrom::kData: value = out.data.get(m.key); break;
      case MappingFrom::kUserId: value = out.user_ids.get(m.key); break;
    }
    switch (m.to) {
      case MappingTo::kUser: set_entity(out.ecs_user, value); break;
      case MappingTo::kUserEffective: set_entity(out.ecs_user_effective, value); break;
      case MappingTo::kUserTarget: set_entity(out.ecs_user_target, value); break;
      case MappingTo::kUserChanges: set_entity(out.ecs_user_changes, value); break;
      case MappingTo::kGroup: set_entity(out.ecs_group, value); break;
    }
  }
}

void Coalescer::set_file_object(Coalesced& out, int path_index_hint) {
  if (out.paths.empty()) return;
  size_t index = 0;
  if (path_index_hint >= 0 && out.paths.size() > static_cast<size_t>(path_index_hint)) {
    index = static_cast<size_t>(path_index_hint);
  }
  const audit::AuditRecord* chosen = out.paths[index];
  for (size_t i = index; i < out.paths.size(); ++i) {
    load_fields(*out.paths[i], scratch_);
    std::string_view nametype = scratch_.get("nametype");
    if (nametype != "PARENT" && nametype != "UNKNOWN") {
      chosen = out.paths[i];
      break;
    }
  }
  load_fields(*chosen, scratch_);
  out.has_file = true;
  if (const std::string_view* name = scratch_.find("name")) {
    out.object_primary = *name;
    out.file_path = *name;
    if (options_.resolve_paths && !name->empty() && (*name)[0] != '/' && names_relative_to_cwd(out.data)) {
      if (const std::string_view* cwd = out.data.find("cwd"); cwd && !cwd->empty() && (*cwd)[0] == '/') {
        out.file_path = join_clean(arena_, *cwd, *name);
      }
    }
  }
  if (const std::string_view* v = scratch_.find("inode")) out.file_inode = *v;
  if (const std::string_view* v = scratch_.find("rdev")) out.file_device = *v;
  if (const std::string_view* v = scratch_.find("mode")) {
    uint64_t mode = 0;
    if (!parse_uint(*v, 8, &mode)) return;  // aucoalesce stops filling the file here
    char* buf = static_cast<char*>(arena_.allocate(8, 1));
    uint64_t perm = mode & 07777;
    int len = 0;
    char digits[8];
    do {
      digits[len++] = static_cast<char>('0' + (perm & 7));
      perm >>= 3;
    } while (perm);
    while (len < 4) digits[len++] = '0';
    for (int i = 0; i < len; ++i) buf[i] = digits[len - 1 - i];
    out.file_mode = {buf, static_cast<size_t>(len)};
    // Go's FileMode type tests never match raw Unix type bits, so every mode reads as a file.
    out.object_type = "file";
  }
  if (const std::string_view* v = scratch_.find("ouid")) out.file_uid = *v;
  if (const std::string_view* v = scratch_.find("ogid")) out.file_gid = *v;
  for (const FlatMap::Entry& e : scratch_.items()) {
    if (starts_with(e.key, "obj_")) out.file_selinux.set(e.key.substr(4), e.value);
  }
}

void Coalescer::add_process(Coalesced& out) {
  auto take = [&](std::string_view key, std::string_view* target) {
    if (const std::string_view* v = out.data.find(key)) {
      *target = *v;
      out.data.erase(key);
    }
  };
  take("pid", &out.pid);
  take("ppid", &out.ppid);
  take("proctitle", &out.title);
  take("comm", &out.name);
  take("exe", &out.exe);
  take("cwd", &out.cwd);
}

void Coalescer::resolve_ids(Coalesced& out) {
  IdResolver& r = *resolver_;
  if (std::string_view v = r.user_name(out.actor_primary); !v.empty()) out.actor_primary = v;
  if (std::string_view v = r.user_name(out.actor_secondary); !v.empty()) out.actor_secondary = v;
  for (const FlatMap::Entry& e : out.user_ids.items()) {
    std::string_view name;
    if (ends_with(e.key, "uid")) {
      name = r.user_name(e.value);
    } else if (ends_with(e.key, "gid")) {
      name = r.group_name(e.value);
    }
    if (!name.empty()) out.user_names.set(e.key, name);
  }
  if (out.has_file) {
    if (!out.file_uid.empty()) out.file_owner = r.user_name(out.file_uid);
    if (!out.file_gid.empty()) out.file_group = r.group_name(out.file_gid);
  }
  auto lookup = [&](EcsEntity& e, bool is_user) {
    if (e.id.empty() == e.name.empty()) return;
    if (!e.id.empty()) {
      e.name = is_user ? r.user_name(e.id) : r.group_name(e.id);
    } else {
      e.id = is_user ? r.user_id(e.name) : r.group_id(e.name);
    }
  };
  lookup(out.ecs_user, true);
  lookup(out.ecs_user_effective, true);
  lookup(out.ecs_user_target, true);
  lookup(out.ecs_user_changes, true);
  lookup(out.ecs_group, false);
}

}  // namespace audetect::ecs::detail
