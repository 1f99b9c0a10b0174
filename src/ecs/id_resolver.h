// uid/gid <-> name resolution for the ECS normalizer (docs/audit-to-ecs.md §8): the system's NSS
// databases (getpwuid_r/getgrgid_r) or given passwd/group files, cached with a time to live.
// 0 is always root. Views returned stay valid until the next begin_event().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace audetect::ecs::detail {

class IdResolver {
 public:
  // Empty file names select NSS. `ttl_ms`: cached NSS answers expire, and files are re-checked
  // (stat) for changes, after this long.
  IdResolver(std::string passwd_file, std::string group_file, int64_t ttl_ms);

  // Call once per event with the current wall-clock time; reloads/evicts only here.
  void begin_event(int64_t now_ms);

  // Empty when unknown. Ids are decimal text as found in audit records.
  std::string_view user_name(std::string_view uid);
  std::string_view group_name(std::string_view gid);
  std::string_view user_id(std::string_view name);
  std::string_view group_id(std::string_view name);

  // Bounded so that hostile input with endless distinct ids cannot grow memory without limit.
  static constexpr size_t kMaxCachedEntries = 1u << 16;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using StringMap = std::unordered_map<std::string, std::string, Hash, std::equal_to<>>;
  struct Cached {
    std::string value;
    int64_t expires_ms = 0;
  };
  using CacheMap = std::unordered_map<std::string, Cached, Hash, std::equal_to<>>;

  struct Database {
    std::string file;  // empty: NSS
    StringMap by_id;   // file mode
    StringMap by_name;
    int64_t mtime_ns = -1;
    int64_t size = -1;
    CacheMap id_cache;  // NSS mode
    CacheMap name_cache;
  };

  void maybe_reload(Database& db);
  static void load_file(Database& db);
  std::string_view lookup(Database& db, CacheMap& cache, std::string_view key, bool is_user, bool by_id);

  Database users_;
  Database groups_;
  int64_t ttl_ms_;
  int64_t now_ms_ = 0;
  int64_t next_check_ms_ = 0;
};

}  // namespace audetect::ecs::detail
