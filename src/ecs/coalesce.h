// go-libaudit's aucoalesce, ported: the records of one audit event -> one coalesced event
// (docs/audit-to-ecs.md §6-§8). Internal to the ECS layer; EcsNormalizer maps the result to ECS.
// Every view points into the AuditEvent's records, the normalization table, the IdResolver or
// the Coalescer's arena, so a Coalesced is valid until the next coalesce() call.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "audit/audit.h"
#include "base/arena.h"
#include "base/short_string.h"
#include "ecs/id_resolver.h"
#include "ecs/normalizations.h"

namespace audetect::ecs::detail {

// An insertion-ordered string map. Events carry a few dozen fields, so a linear scan beats
// hashing and clear() keeps the capacity for the next event; past kIndexThreshold entries (only
// hostile records get there) a hash index keeps every operation O(1) instead of O(n).
class FlatMap {
 public:
  struct Entry {
    std::string_view key;
    std::string_view value;
  };
  static constexpr size_t kIndexThreshold = 48;

  void clear() {
    items_.clear();
    if (indexed_) {
      index_.clear();
      indexed_ = false;
    }
  }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  std::span<const Entry> items() const { return items_; }

  const std::string_view* find(std::string_view key) const {
    size_t pos = position(key);
    return pos == kNone ? nullptr : &items_[pos].value;
  }
  bool contains(std::string_view key) const { return position(key) != kNone; }
  std::string_view get(std::string_view key) const {
    const std::string_view* v = find(key);
    return v ? *v : std::string_view{};
  }
  void set(std::string_view key, std::string_view value) {
    size_t pos = position(key);
    if (pos != kNone) {
      items_[pos].value = value;
      return;
    }
    items_.push_back({key, value});
    if (indexed_) {
      index_.emplace(key, items_.size() - 1);
    } else if (items_.size() > kIndexThreshold) {
      build_index();
    }
  }
  // Adds the key unless it is present; false (and no change) when it is. One scan, not two.
  bool insert(std::string_view key, std::string_view value) {
    if (position(key) != kNone) return false;
    append_new(key, value);
    return true;
  }
  // Appends a key the caller knows is absent (no lookup).
  void append_new(std::string_view key, std::string_view value) {
    items_.push_back({key, value});
    if (indexed_) {
      index_.emplace(key, items_.size() - 1);
    } else if (items_.size() > kIndexThreshold) {
      build_index();
    }
  }
  bool erase(std::string_view key) {
    size_t pos = position(key);
    if (pos == kNone) return false;
    items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(pos));
    if (indexed_) build_index();
    return true;
  }

 private:
  static constexpr size_t kNone = static_cast<size_t>(-1);
  size_t position(std::string_view key) const {
    if (indexed_) {
      auto it = index_.find(key);
      return it == index_.end() ? kNone : it->second;
    }
    for (size_t i = 0; i < items_.size(); ++i)
      if (equal_short(items_[i].key, key)) return i;
    return kNone;
  }
  void build_index() {
    index_.clear();
    for (size_t i = 0; i < items_.size(); ++i) index_.emplace(items_[i].key, i);
    indexed_ = true;
  }

  std::vector<Entry> items_;
  std::unordered_map<std::string_view, size_t> index_;
  bool indexed_ = false;
};

struct EcsEntity {
  std::string_view id;
  std::string_view name;
  bool empty() const { return id.empty() && name.empty(); }
};

struct Address {
  bool present = false;
  std::string_view ip, port, path;
};

enum class Direction : uint8_t { kNone, kIngress, kEgress };

struct Coalesced {
  // Set when coalescing failed: the event is published as an error (§10).
  std::string_view error;

  int64_t time_ms = 0;
  uint32_t sequence = 0;
  uint32_t record_type = 0;
  std::string_view category;  // coarse audit category ("audit-rule", "user-login", ...)
  std::string_view result;    // "success", "fail", "unknown"
  std::string_view session;
  std::span<const std::string_view> tags;

  std::string_view actor_primary, actor_secondary;
  std::string_view action;
  std::string_view object_type, object_primary, object_secondary;
  std::string_view how;

  FlatMap user_ids;      // auid, uid, euid, ... -> id text
  FlatMap user_names;    // same keys -> resolved names
  FlatMap user_selinux;  // user, role, domain, level, category
  FlatMap data;

  std::vector<const audit::AuditRecord*> paths;

  std::string_view pid, ppid, title, name, exe, cwd;
  std::vector<std::string_view> args;

  bool has_file = false;
  std::string_view file_path, file_device, file_inode, file_mode, file_uid, file_gid, file_owner,
      file_group;
  FlatMap file_selinux;

  Address source, destination;
  Direction direction = Direction::kNone;

  std::string_view ecs_kind;
  std::vector<std::string_view> ecs_category, ecs_type;
  std::string_view ecs_outcome;
  EcsEntity ecs_user, ecs_user_effective, ecs_user_target, ecs_user_changes, ecs_group;
};

struct CoalesceOptions {
  bool resolve_ids = true;
  bool resolve_paths = false;
};

class Coalescer {
 public:
  Coalescer(CoalesceOptions options, IdResolver* resolver);

  // Coalesces `event` into `out` (cleared first). The resolver's begin_event() must have been
  // called for this event when resolve_ids is on.
  void coalesce(const audit::AuditEvent& event, Coalesced& out);

  // Warnings of the last coalesce(), in the order they arose.
  std::span<const std::string> warnings() const { return {warnings_.data(), warning_count_}; }

  // The coarse audit category of a record type (auparse's GetAuditEventType).
  static std::string_view audit_category(uint32_t record_type);

 private:
  void reset(Coalesced& out);
  std::string& add_warning();
  void new_event(const audit::AuditRecord* special, const audit::AuditRecord& source, Coalesced& out);
  void add_sockaddr(const audit::AuditRecord& record, Coalesced& out);
  void add_execve(const audit::AuditRecord& record, Coalesced& out);
  void add_fields_to_data(const audit::AuditRecord& record, Coalesced& out);
  void apply_normalization(Coalesced& out);
  void set_file_object(Coalesced& out, int path_index_hint);
  void add_process(Coalesced& out);
  void resolve_ids(Coalesced& out);
  void warn_not_found(std::string_view what, Names keys);
  std::string_view lookup_value(const Coalesced& out, std::string_view key, bool* found) const;

  CoalesceOptions options_;
  IdResolver* resolver_;
  Arena arena_;
  FlatMap scratch_;  // one record's fields, duplicates resolved
  std::vector<std::string> warnings_;
  size_t warning_count_ = 0;
};

}  // namespace audetect::ecs::detail
