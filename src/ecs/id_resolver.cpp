#include "ecs/id_resolver.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <vector>

namespace audetect::ecs::detail {
namespace {

// Decimal id as the C library wants it; rejects anything else (signs, spaces, overflow).
bool parse_id(std::string_view text, uint32_t* out) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && p == end;
}

// NSS lookups; a buffer that is too small is grown (ERANGE), anything else means "unknown".
std::string nss_lookup(bool is_user, bool by_id, std::string_view key) {
  std::vector<char> buf(4096);
  std::string key_str(key);
  for (int attempt = 0; attempt < 6; ++attempt) {
    int rc = 0;
    std::string result;
    if (is_user) {
      struct passwd pw {};
      struct passwd* found = nullptr;
      if (by_id) {
        uint32_t id = 0;
        if (!parse_id(key, &id)) return {};
        rc = getpwuid_r(id, &pw, buf.data(), buf.size(), &found);
      } else {
        rc = getpwnam_r(key_str.c_str(), &pw, buf.data(), buf.size(), &found);
      }
      if (rc == 0 && found) result = by_id ? std::string(found->pw_name) : std::to_string(found->pw_uid);
    } else {
      struct group gr {};
      struct group* found = nullptr;
      if (by_id) {
        uint32_t id = 0;
        if (!parse_id(key, &id)) return {};
        rc = getgrgid_r(id, &gr, buf.data(), buf.size(), &found);
      } else {
        rc = getgrnam_r(key_str.c_str(), &gr, buf.data(), buf.size(), &found);
      }
      if (rc == 0 && found) result = by_id ? std::string(found->gr_name) : std::to_string(found->gr_gid);
    }
    if (rc != ERANGE) return result;
    buf.resize(buf.size() * 4);
  }
  return {};
}

}  // namespace

IdResolver::IdResolver(std::string passwd_file, std::string group_file, int64_t ttl_ms)
    : ttl_ms_(ttl_ms) {
  users_.file = std::move(passwd_file);
  groups_.file = std::move(group_file);
}

void IdResolver::begin_event(int64_t now_ms) {
  now_ms_ = now_ms;
  for (Database* db : {&users_, &groups_}) {
    if (db->id_cache.size() > kMaxCachedEntries) db->id_cache.clear();
    if (db->name_cache.size() > kMaxCachedEntries) db->name_cache.clear();
  }
  if (now_ms < next_check_ms_) return;
  next_check_ms_ = now_ms + ttl_ms_;
  maybe_reload(users_);
  maybe_reload(groups_);
}

void IdResolver::maybe_reload(Database& db) {
  if (db.file.empty()) return;
  struct stat st {};
  if (stat(db.file.c_str(), &st) != 0) {
    // A file that vanished keeps the last known names rather than dropping them all.
    return;
  }
  int64_t mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  if (mtime_ns == db.mtime_ns && static_cast<int64_t>(st.st_size) == db.size) return;
  db.mtime_ns = mtime_ns;
  db.size = static_cast<int64_t>(st.st_size);
  load_file(db);
}

// passwd and group share the layout name:password:id:...; only fields 1 and 3 matter.
void IdResolver::load_file(Database& db) {
  db.by_id.clear();
  db.by_name.clear();
  std::ifstream in(db.file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::string_view rest = line;
    size_t c1 = rest.find(':');
    if (c1 == std::string_view::npos) continue;
    size_t c2 = rest.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    size_t c3 = rest.find(':', c2 + 1);
    std::string_view name = rest.substr(0, c1);
    std::string_view id = rest.substr(c2 + 1, c3 == std::string_view::npos ? std::string_view::npos : c3 - c2 - 1);
    uint32_t numeric = 0;
    if (name.empty() || !parse_id(id, &numeric)) continue;
    // First entry wins, as getpwuid() returns the first match.
    db.by_id.emplace(std::string(id), std::string(name));
    db.by_name.emplace(std::string(name), std::string(id));
  }
}

std::string_view IdResolver::lookup(Database& db, CacheMap& cache, std::string_view key, bool is_user,
                                    bool by_id) {
  if (key.empty() || key == "unset") return {};
  if (by_id && key == "0") return "root";
  if (!by_id && key == "root") return "0";
  if (!db.file.empty()) {
    const StringMap& map = by_id ? db.by_id : db.by_name;
    auto it = map.find(key);
    return it == map.end() ? std::string_view{} : std::string_view(it->second);
  }
  auto it = cache.find(key);
  if (it != cache.end() && it->second.expires_ms > now_ms_) return it->second.value;
  std::string value = nss_lookup(is_user, by_id, key);
  if (it == cache.end()) it = cache.emplace(std::string(key), Cached{}).first;
  it->second.value = std::move(value);  // unknown ids are cached too, as auditbeat does
  it->second.expires_ms = now_ms_ + ttl_ms_;
  return it->second.value;
}

std::string_view IdResolver::user_name(std::string_view uid) {
  return lookup(users_, users_.id_cache, uid, true, true);
}
std::string_view IdResolver::group_name(std::string_view gid) {
  return lookup(groups_, groups_.id_cache, gid, false, true);
}
std::string_view IdResolver::user_id(std::string_view name) {
  return lookup(users_, users_.name_cache, name, true, false);
}
std::string_view IdResolver::group_id(std::string_view name) {
  return lookup(groups_, groups_.name_cache, name, false, false);
}

}  // namespace audetect::ecs::detail
