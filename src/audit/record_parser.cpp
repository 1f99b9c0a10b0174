// Record parsing with go-libaudit's auparse rules (audit-to-ecs.md §4). The comments name the
// go-libaudit behaviour each step reproduces, because several of them are surprising and a
// "cleaner" version would change what auditbeat-compatible output looks like.
//
// Where audetect deliberately differs from go-libaudit (none of it visible on the auparse goldens):
//  * log lines: an optional `node=NAME ` prefix is split off and everything from the first 0x1D
//    byte (ENRICHED) is ignored (§16.1); go-libaudit only ever sees netlink text;
//  * a line must start with `type=` (go-libaudit slices the type name out blindly) and may not be
//    longer than RecordParser::kMaxLineBytes;
//  * a SOCKADDR too short for its family is a record error (go-libaudit would panic);
//  * nested `msg='...'` values are followed 8 levels deep (unbounded in go-libaudit);
//  * TrimSpace/Fields treat ASCII whitespace only (Go also trims U+0085, U+00A0, ...);
//  * record type and syscall names come from libaudit 3.0.9 (tables.cpp), which names some types
//    older go-libaudit releases printed as UNKNOWN[n], and ends its syscall tables at 450.
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <limits>
#include <mutex>
#include <string>
#include <unordered_map>

#include "audit/audit.h"
#include "audit/tables.h"

namespace audetect::audit {

namespace {

// Nested `msg='...'` values are parsed recursively; hostile input could nest them deeply.
constexpr int kMaxMsgDepth = 8;

// Character classes of go-libaudit's field regex, as a table for the scanner's inner loops.
enum : uint8_t { kKeyChar = 1, kReSpace = 2, kValueStop = 4 };
constexpr std::array<uint8_t, 256> kCharClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] |= kKeyChar;  // `[a-z0-9_-]+`
  for (int c = '0'; c <= '9'; ++c) t[c] |= kKeyChar;
  t['_'] |= kKeyChar;
  t['-'] |= kKeyChar;
  for (char c : {' ', '\t', '\n', '\f', '\r'}) t[static_cast<uint8_t>(c)] |= kReSpace | kValueStop;
  t['"'] |= kValueStop;  // a bare value is `[^"'\s]+`
  t['\''] |= kValueStop;
  return t;
}();
bool is_key_char(char c) { return kCharClass[static_cast<uint8_t>(c)] & kKeyChar; }
// RE2/Go `\s`: [\t\n\f\r ] (no \v).
bool is_re_space(char c) { return kCharClass[static_cast<uint8_t>(c)] & kReSpace; }
bool is_value_stop(char c) { return kCharClass[static_cast<uint8_t>(c)] & kValueStop; }
// Go strings.TrimSpace / strings.Fields for ASCII: adds \v.
bool is_go_space(char c) { return is_re_space(c) || c == '\v'; }

std::string_view trim_go_space(std::string_view s) {
  while (!s.empty() && is_go_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_go_space(s.back())) s.remove_suffix(1);
  return s;
}

// strings.Trim(v, `'" `).
std::string_view trim_quotes_and_space(std::string_view s) {
  auto in_set = [](char c) { return c == '\'' || c == '"' || c == ' '; };
  while (!s.empty() && in_set(s.front())) s.remove_prefix(1);
  while (!s.empty() && in_set(s.back())) s.remove_suffix(1);
  return s;
}

int upper_hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
int any_hex_value(char c) {
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return upper_hex_value(c);
}

// go-libaudit decodes only uppercase hex of even length (the raw value, quotes included, so a
// quoted value never decodes).
bool is_upper_hex(std::string_view s) {
  if (s.size() % 2 != 0) return false;
  for (char c : s) {
    if (upper_hex_value(c) < 0) return false;
  }
  return true;
}

// Go strconv.ParseInt(s, base, bits) without the base-0 prefixes: optional sign, digits, range.
bool go_parse_int(std::string_view s, int base, int bits, int64_t& out) {
  if (s.empty()) return false;
  bool negative = false;
  if (s.front() == '+' || s.front() == '-') {
    negative = s.front() == '-';
    s.remove_prefix(1);
    if (s.empty()) return false;
  }
  const uint64_t limit = negative ? (uint64_t{1} << (bits - 1)) : (uint64_t{1} << (bits - 1)) - 1;
  uint64_t value = 0;
  for (char c : s) {
    int d = base == 16 ? any_hex_value(c) : (c >= '0' && c <= '9' ? c - '0' : -1);
    if (d < 0) return false;
    if (value > (limit - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) return false;
    value = value * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  out = negative ? static_cast<int64_t>(0 - value) : static_cast<int64_t>(value);
  return true;
}

// Go strconv.ParseUint(s, 10, bits).
bool go_parse_uint(std::string_view s, int bits, uint64_t& out) {
  if (s.empty()) return false;
  const uint64_t limit = bits >= 64 ? std::numeric_limits<uint64_t>::max() : (uint64_t{1} << bits) - 1;
  uint64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (value > (limit - d) / 10) return false;
    value = value * 10 + d;
  }
  out = value;
  return true;
}

// Go net.IP.String() for a 16-byte address: IPv4-mapped addresses print as dotted quads, others
// in RFC 5952 form (longest run of >= 2 zero groups compressed, first run on ties).
std::string format_ipv6(const unsigned char* b) {
  char buf[64];
  bool v4_mapped = b[10] == 0xff && b[11] == 0xff;
  for (int i = 0; i < 10 && v4_mapped; ++i) v4_mapped = b[i] == 0;
  if (v4_mapped) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
    return buf;
  }
  uint16_t groups[8];
  for (int i = 0; i < 8; ++i) groups[i] = static_cast<uint16_t>(b[2 * i] << 8 | b[2 * i + 1]);
  int best_start = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i >= 2 && j - i > best_len) {
      best_start = i;
      best_len = j - i;
    }
    i = j;
  }
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    std::snprintf(buf, sizeof buf, "%x", groups[i]);
    out += buf;
  }
  return out;
}

// "UNKNOWN[n]" names are built on demand; type numbers are 16-bit in the protocol, so the cache
// holds at most 65536 entries.
std::string_view unknown_type_name(uint32_t type) {
  static std::mutex mu;
  static std::unordered_map<uint32_t, std::string> names;
  if (type > 0xffff) return "UNKNOWN";
  std::lock_guard lock(mu);
  auto [it, inserted] = names.try_emplace(type);
  if (inserted) it->second = "UNKNOWN[" + std::to_string(type) + "]";
  return it->second;
}

}  // namespace

std::string_view record_type_name(uint32_t type) {
  std::string_view name = tables::type_name(type);
  return name.empty() ? unknown_type_name(type) : name;
}

uint32_t record_type_from_name(std::string_view name) {
  if (uint32_t t = tables::type_number(name)) return t;
  // go-libaudit accepts any name carrying a 16-bit number in brackets ("UNKNOWN[1329]").
  size_t open = name.find('[');
  if (open == std::string_view::npos) return 0;
  std::string_view rest = name.substr(open + 1);
  size_t close = rest.find(']');
  if (close == std::string_view::npos) return 0;
  uint64_t n = 0;
  if (!go_parse_uint(rest.substr(0, close), 16, n)) return 0;
  return static_cast<uint32_t>(n);
}

const AuditField* AuditRecord::find(std::string_view name) const {
  for (const AuditField& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string_view AuditRecord::get(std::string_view name) const {
  const AuditField* f = find(name);
  return f ? f->value : std::string_view();
}

struct RecordParser::Impl {
  std::string text;        // the trimmed payload (from `audit(`); every view points in here,
  std::string normalized;  // ... in here (AVC, LOGIN, CRED_DISP/USER_START/USER_END fixes),
  std::string node;
  Arena arena{16 * 1024};  // ... or in here (decoded values).
  std::vector<AuditField> fields;
  std::vector<std::string_view> origs;  // raw value of fields[i], quotes included
  std::vector<std::string_view> tags;
  std::string error;
  // Name -> field index, open addressing. Slots carry the generation of the record that wrote them,
  // so starting a record is one increment instead of clearing the table.
  struct Slot {
    uint32_t generation = 0;
    uint32_t hash = 0;
    uint32_t index = 0;
  };
  std::vector<Slot> slots = std::vector<Slot>(64);
  uint32_t generation = 1;
  size_t used_slots = 0;

  static uint32_t hash_name(std::string_view name) {
    uint32_t h = 2166136261u;
    for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
    return h;
  }
  void start_record() {
    fields.clear();
    origs.clear();
    tags.clear();
    error.clear();
    used_slots = 0;
    if (++generation == 0) {  // wrapped: old stamps could look current
      std::fill(slots.begin(), slots.end(), Slot{});
      generation = 1;
    }
  }
  // Slot holding `name`, or the empty slot where it would go.
  Slot& probe(std::string_view name, uint32_t h) {
    size_t mask = slots.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& s = slots[i];
      if (s.generation != generation) return s;
      if (s.hash == h && fields[s.index].name == name) return s;
    }
  }
  void grow() {
    std::vector<Slot> old;
    old.swap(slots);
    slots.assign(old.size() * 2, Slot{});
    for (const Slot& s : old) {
      if (s.generation != generation) continue;
      size_t mask = slots.size() - 1;
      size_t i = s.hash & mask;
      while (slots[i].generation == generation) i = (i + 1) & mask;
      slots[i] = s;
    }
  }
  int index_of(std::string_view name) {
    if (name.empty()) return -1;
    const Slot& s = probe(name, hash_name(name));
    return s.generation == generation ? static_cast<int>(s.index) : -1;
  }
  const AuditField* find(std::string_view name) {
    int i = index_of(name);
    return i < 0 ? nullptr : &fields[static_cast<size_t>(i)];
  }
  // go-libaudit keeps fields in a map: a later field with the same name replaces the earlier one.
  void put(std::string_view name, std::string_view value, std::string_view orig) {
    uint32_t h = hash_name(name);
    Slot* s = &probe(name, h);
    if (s->generation == generation) {
      fields[s->index].value = value;
      origs[s->index] = orig;
      return;
    }
    if ((used_slots + 1) * 2 > slots.size()) {
      grow();
      s = &probe(name, h);
    }
    *s = Slot{generation, h, static_cast<uint32_t>(fields.size())};
    ++used_slots;
    fields.push_back({name, value});
    origs.push_back(orig);
  }
  void set_value(std::string_view name, std::string_view value) {
    int i = index_of(name);
    if (i >= 0) fields[static_cast<size_t>(i)].value = value;
  }
  // A removed field keeps its slot with an empty name (never equal to a real name); compact()
  // drops it before the record is handed out.
  void remove(std::string_view name) {
    int i = index_of(name);
    if (i >= 0) fields[static_cast<size_t>(i)].name = {};
  }
  void compact() {
    size_t out = 0;
    for (size_t i = 0; i < fields.size(); ++i) {
      if (fields[i].name.empty()) continue;
      fields[out] = fields[i];
      origs[out] = origs[i];
      ++out;
    }
    fields.resize(out);
    origs.resize(out);
  }
  void fail(std::string message) {
    error = std::move(message);
    fields.clear();
    origs.clear();
    used_slots = 0;
    if (++generation == 0) {  // the cleared fields must not be found through stale slots
      std::fill(slots.begin(), slots.end(), Slot{});
      generation = 1;
    }
  }

  std::string_view store(std::string_view s) { return arena.copy(s); }

  // Record type names seen recently (a log uses a handful), so most lines skip the case-folding
  // table lookup.
  struct TypeCacheEntry {
    char name[24];
    uint8_t size = 0;
    uint32_t type = 0;
  };
  std::array<TypeCacheEntry, 32> type_cache{};
  uint32_t type_of(std::string_view name) {
    if (name.empty() || name.size() > sizeof(TypeCacheEntry::name)) return record_type_from_name(name);
    size_t slot = (name.size() * 7 + static_cast<unsigned char>(name[0]) +
                   static_cast<unsigned char>(name.back()) * 3) & (type_cache.size() - 1);
    TypeCacheEntry& e = type_cache[slot];
    if (e.size == name.size() && std::memcmp(e.name, name.data(), name.size()) == 0) return e.type;
    uint32_t type = record_type_from_name(name);
    if (type != 0) {
      std::memcpy(e.name, name.data(), name.size());
      e.size = static_cast<uint8_t>(name.size());
      e.type = type;
    }
    return type;
  }

  // Decodes uppercase hex into the arena; NUL bytes become spaces (go-libaudit splits on NUL and
  // joins with single spaces) or, with `stop_at_nul`, end the value (EXECVE arguments).
  std::string_view decode_hex(std::string_view hex, bool stop_at_nul) {
    size_t n = hex.size() / 2;
    if (n == 0) return {};
    char* out = static_cast<char*>(arena.allocate(n, 1));
    for (size_t i = 0; i < n; ++i) {
      char c = static_cast<char>(upper_hex_value(hex[2 * i]) << 4 | upper_hex_value(hex[2 * i + 1]));
      if (c == '\0') {
        if (stop_at_nul) return {out, i};
        c = ' ';
      }
      out[i] = c;
    }
    return {out, n};
  }

  // go-libaudit's hexDecode(key): errors only when the key is missing; a value that is not
  // uppercase hex is left alone.
  bool hex_decode_field(std::string_view name) {
    int i = index_of(name);
    if (i < 0) return false;
    std::string_view orig = origs[static_cast<size_t>(i)];
    if (is_upper_hex(orig)) fields[static_cast<size_t>(i)].value = decode_hex(orig, false);
    return true;
  }

  std::string_view decode_hex_raw(std::string_view hex);
  void extract(std::string_view msg, int depth);
  std::string_view normalize_text(uint32_t type, std::string_view body);
  void enrich(uint32_t type);
  bool parse_sockaddr(std::string_view s, std::string& why);
  void split_context(std::string_view name);
  bool parse_payload(uint32_t type, std::string_view payload, AuditRecord& out,
                     std::string* reason, size_t column_base);
};

// go-libaudit's field regex, FindAll semantics:
//   ([a-z0-9_-]+)=((?:[^"'\s]+)|'(?:\\'|[^'])*'|"(?:\\"|[^"])*")
// Written out by hand for speed; the quoted alternatives follow the regex's backtracking: the
// value ends at the first quote not taken as `\'`, or, when there is none, at the last escaped one.
void RecordParser::Impl::extract(std::string_view msg, int depth) {
  const size_t n = msg.size();
  size_t i = 0;
  while (i < n) {
    if (!is_key_char(msg[i])) {
      ++i;
      continue;
    }
    size_t key_end = i;
    while (key_end < n && is_key_char(msg[key_end])) ++key_end;
    if (key_end >= n || msg[key_end] != '=') {
      i = key_end;
      continue;
    }
    size_t v = key_end + 1;
    if (v >= n) break;
    size_t value_end = 0;  // one past the value
    char c = msg[v];
    if (c == '"' || c == '\'') {
      size_t k = v + 1, last_escaped = 0, close = 0;
      while (k < n) {
        if (msg[k] == '\\' && k + 1 < n && msg[k + 1] == c) {
          last_escaped = k + 1;
          k += 2;
        } else if (msg[k] == c) {
          close = k;
          break;
        } else {
          ++k;
        }
      }
      if (close == 0) close = last_escaped;
      if (close == 0) {  // unterminated: no match here, the scan goes on after the `=`
        i = v;
        continue;
      }
      value_end = close + 1;
    } else if (is_re_space(c)) {
      i = v;
      continue;
    } else {
      value_end = v;
      while (value_end < n && !is_value_stop(msg[value_end])) ++value_end;
    }
    std::string_view key = msg.substr(i, key_end - i);
    std::string_view orig = msg.substr(v, value_end - v);
    i = value_end;

    std::string_view value = trim_quotes_and_space(orig);
    if (value.empty() || value == "?" || value == "?," || value == "(null)") continue;
    if (key == "msg") {
      if (depth < kMaxMsgDepth) extract(value, depth + 1);
      continue;
    }
    put(key, value, orig);
  }
}

// normalizeAuditMessage: per-type text fixes that make odd records scannable.
std::string_view RecordParser::Impl::normalize_text(uint32_t type, std::string_view body) {
  auto replace_n = [](std::string& s, std::string_view from, std::string_view to, int times) {
    size_t pos = 0;
    for (int k = 0; k < times; ++k) {
      pos = s.find(from, pos);
      if (pos == std::string::npos) return;
      s.replace(pos, from.size(), to);
      pos += to.size();
    }
  };
  switch (type) {
    case 1400: {  // AVC: "avc:  denied  { read write } for ..." -> seresult/seperms
      re2::StringPiece sub[3];
      // go-libaudit's selinuxAVCMessageRegex; RE2 has Go's regexp semantics. Latin-1 so that any
      // byte matches `.` (Go reads an invalid UTF-8 byte as one U+FFFD rune; RE2 in UTF-8 mode would
      // not match it at all). Shared: matching with one RE2 from several threads is safe.
      static const RE2 avc_regex(R"(avc:\s+(\w+)\s+\{\s*(.*)\s*\}\s+for\s+)", [] {
        RE2::Options o;
        o.set_encoding(RE2::Options::EncodingLatin1);
        return o;
      }());
      if (!avc_regex.Match(re2::StringPiece(body.data(), body.size()), 0, body.size(),
                           RE2::UNANCHORED, sub, 3)) {
        return body;  // AppArmor AVC: scannable as is
      }
      std::string& out = normalized;  // reused buffer: no allocation once warm
      out.assign("seresult=");
      out.append(sub[1].data(), sub[1].size());
      out += " seperms=";
      std::string_view perms(sub[2].data(), sub[2].size());
      bool first = true;
      size_t p = 0;
      while (p < perms.size()) {
        while (p < perms.size() && is_go_space(perms[p])) ++p;
        size_t q = p;
        while (q < perms.size() && !is_go_space(perms[q])) ++q;
        if (q > p) {
          if (!first) out += ',';
          out.append(perms.substr(p, q - p));
          first = false;
        }
        p = q;
      }
      out += ' ';
      size_t match_end = static_cast<size_t>(sub[0].data() + sub[0].size() - body.data());
      out.append(body.substr(match_end));
      return normalized;
    }
    case kLogin:
      normalized.assign(body);
      replace_n(normalized, "old ", "old_", 2);
      replace_n(normalized, "new ", "new_", 2);
      return normalized;
    case 1104:  // CRED_DISP
    case 1105:  // USER_START
    case 1106:  // USER_END
      normalized.assign(body);
      replace_n(normalized, " (hostname=", " hostname=", 2);
      while (!normalized.empty() && (normalized.back() == ')' || normalized.back() == '\'')) {
        normalized.pop_back();
      }
      return normalized;
    default:
      return body;  // scanned in place, no copy
  }
}

void RecordParser::Impl::split_context(std::string_view name) {
  // parseSELinuxContext: strings.SplitN(value, ":", 5) -> name_user, _role, _domain, _level,
  // _category.
  static constexpr std::string_view kSubj[] = {"subj_user", "subj_role", "subj_domain",
                                               "subj_level", "subj_category"};
  static constexpr std::string_view kObj[] = {"obj_user", "obj_role", "obj_domain", "obj_level",
                                              "obj_category"};
  const std::string_view* names = name == "subj" ? kSubj : kObj;
  int i = index_of(name);
  if (i < 0) return;
  std::string_view value = fields[static_cast<size_t>(i)].value;
  remove(name);
  for (int part = 0; part < 5; ++part) {
    size_t colon = part == 4 ? std::string_view::npos : value.find(':');
    std::string_view piece = value.substr(0, colon);
    put(names[part], piece, piece);
    if (colon == std::string_view::npos) break;
    value.remove_prefix(colon + 1);
  }
}

bool RecordParser::Impl::parse_sockaddr(std::string_view s, std::string& why) {
  // go-libaudit slices the hex text at fixed offsets (and would panic on short input).
  auto need = [&](size_t len) {
    if (s.size() >= len) return true;
    why = "saddr too short";
    return false;
  };
  int64_t family = 0;
  if (!need(4)) return false;
  char fam_hex[4] = {s[2], s[3], s[0], s[1]};  // host byte order (little-endian)
  if (!go_parse_int(std::string_view(fam_hex, 4), 16, 32, family)) {
    why = "invalid address family";
    return false;
  }
  auto hex_byte = [&](size_t at) -> int64_t {
    int64_t v = 0;
    return go_parse_int(s.substr(at, 2), 16, 32, v) ? v : 0;
  };
  switch (family) {
    case 1: {  // AF_UNIX: hex.DecodeString(rest) (either case), cut at NUL
      std::string_view rest = s.substr(4);
      if (rest.size() % 2 != 0) {
        why = "encoding/hex: odd length hex string";
        return false;
      }
      size_t len = rest.size() / 2;
      char* out = static_cast<char*>(arena.allocate(len ? len : 1, 1));
      size_t used = 0;
      bool cut = false;
      for (size_t k = 0; k < len; ++k) {
        int hi = any_hex_value(rest[2 * k]), lo = any_hex_value(rest[2 * k + 1]);
        if (hi < 0 || lo < 0) {
          why = "encoding/hex: invalid byte";
          return false;
        }
        char c = static_cast<char>(hi << 4 | lo);
        if (c == '\0') cut = true;
        if (!cut) out[used++] = c;
      }
      put("family", "unix", "unix");
      std::string_view path(out, used);
      put("path", path, path);
      return true;
    }
    case 2: {  // AF_INET
      if (!need(16)) return false;
      int64_t port = 0;
      if (!go_parse_int(s.substr(4, 4), 16, 32, port)) {
        why = "invalid port";
        return false;
      }
      char buf[64];
      std::snprintf(buf, sizeof buf, "%lld.%lld.%lld.%lld", static_cast<long long>(hex_byte(8)),
                    static_cast<long long>(hex_byte(10)), static_cast<long long>(hex_byte(12)),
                    static_cast<long long>(hex_byte(14)));
      std::string_view addr = store(buf);
      std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(port));
      std::string_view port_text = store(buf);
      put("family", "ipv4", "ipv4");
      put("addr", addr, addr);
      put("port", port_text, port_text);
      return true;
    }
    case 10: {  // AF_INET6
      if (!need(48)) return false;
      int64_t port = 0, flow = 0;
      if (!go_parse_int(s.substr(4, 4), 16, 32, port)) {
        why = "invalid port";
        return false;
      }
      if (!go_parse_int(s.substr(8, 8), 16, 32, flow)) {
        why = "invalid flow info";
        return false;
      }
      unsigned char ip[16];
      for (size_t k = 0; k < 16; ++k) {
        int hi = any_hex_value(s[16 + 2 * k]), lo = any_hex_value(s[17 + 2 * k]);
        if (hi < 0 || lo < 0) {
          why = "encoding/hex: invalid byte";
          return false;
        }
        ip[k] = static_cast<unsigned char>(hi << 4 | lo);
      }
      std::string_view addr = store(format_ipv6(ip));
      char buf[32];
      std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(port));
      std::string_view port_text = store(buf);
      put("family", "ipv6", "ipv6");
      put("addr", addr, addr);
      put("port", port_text, port_text);
      if (flow > 0) {
        std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(flow));
        std::string_view flow_text = store(buf);
        put("flow", flow_text, flow_text);
      }
      return true;
    }
    case 16:  // AF_NETLINK
      put("family", "netlink", "netlink");
      put("saddr", s, s);
      return true;
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(family));
      std::string_view fam = store(buf);
      put("family", fam, fam);
      put("saddr", s, s);
      return true;
    }
  }
}

// enrichData, in go-libaudit's order.
void RecordParser::Impl::enrich(uint32_t type) {
  for (std::string_view id : {"auid", "old-auid", "ses"}) {
    if (const AuditField* f = find(id); f && (f->value == "4294967295" || f->value == "-1")) {
      set_value(id, "unset");
    }
  }
  split_context("subj");

  // result: `success` (syscalls) or else `res`, removed and replaced by result=success|fail.
  {
    int i = index_of("success");
    std::string_view source_name = "success";
    if (i < 0) {
      i = index_of("res");
      source_name = "res";
    }
    if (i >= 0) {
      std::string_view v = fields[static_cast<size_t>(i)].value;
      char lower[4] = {};
      for (size_t k = 0; k < v.size() && k < 3; ++k) {
        lower[k] = static_cast<char>(std::tolower(static_cast<unsigned char>(v[k])));
      }
      std::string_view head(lower, std::min<size_t>(v.size(), 3));
      bool ok = (v.size() == 3 && head == "yes") || (v.size() == 1 && head == "1") ||
                (v.size() >= 3 && head == "suc");
      remove(source_name);
      put("result", ok ? "success" : "fail", ok ? "success" : "fail");
    }
  }

  // exit: a negative errno becomes its name.
  if (const AuditField* f = find("exit")) {
    int64_t code = 0;
    if (go_parse_int(f->value, 10, 64, code) && code < 0 && code != std::numeric_limits<int64_t>::min()) {
      if (std::string_view name = tables::errno_name(-code); !name.empty()) set_value("exit", name);
    }
  }

  // key -> tags: hex (several keys joined by 0x01) or `key=x` (keeps x) or the value itself.
  if (int i = index_of("key"); i >= 0) {
    std::string_view orig = origs[static_cast<size_t>(i)];
    std::string_view value = fields[static_cast<size_t>(i)].value;
    remove("key");
    if (is_upper_hex(orig)) {
      std::string_view decoded = decode_hex_raw(orig);
      size_t start = 0;
      while (true) {
        size_t sep = decoded.find('\x01', start);
        tags.push_back(decoded.substr(start, sep == std::string_view::npos ? sep : sep - start));
        if (sep == std::string_view::npos) break;
        start = sep + 1;
      }
    } else {
      size_t eq = value.find('=');
      tags.push_back(eq == std::string_view::npos ? value : value.substr(eq + 1));
    }
  }

  hex_decode_field("cwd");

  std::string why;
  switch (type) {
    case 1326:  // SECCOMP: sig -> name, then everything SYSCALL does
      if (const AuditField* f = find("sig")) {
        int64_t sig = 0;
        if (!go_parse_int(f->value, 10, 64, sig)) return fail("failed to parse sig: invalid syntax");
        if (std::string_view name = tables::signal_name(sig); !name.empty()) set_value("sig", name);
      } else {
        return fail("sig key not found");
      }
      [[fallthrough]];
    case kSyscall: {
      const AuditField* arch = find("arch");
      if (!arch) return fail("arch key not found");
      int64_t arch_number = 0;
      if (!go_parse_int(arch->value, 16, 64, arch_number)) {
        return fail("failed to parse arch: invalid syntax");
      }
      // AuditArch is a uint32: the parsed value is truncated like Go's conversion.
      uint32_t arch32 = static_cast<uint32_t>(arch_number);
      std::string_view arch_text = tables::arch_name(arch32);
      if (arch_text.empty()) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "unknown[%x]", arch32);
        arch_text = store(buf);
      }
      set_value("arch", arch_text);
      const AuditField* sc = find("syscall");
      if (!sc) return fail("syscall key not found");
      int64_t number = 0;
      if (!go_parse_int(sc->value, 10, 64, number)) {
        return fail("failed to parse syscall: invalid syntax");
      }
      if (std::string_view name = tables::syscall_name(arch_text, number); !name.empty()) {
        set_value("syscall", name);
      }
      if (!hex_decode_field("exe")) return fail("exe key not found");
      break;
    }
    case kSockaddr: {
      const AuditField* f = find("saddr");
      if (!f) return fail("saddr key not found");
      std::string_view saddr = f->value;
      remove("saddr");
      if (!parse_sockaddr(saddr, why)) return fail("failed to parse saddr: " + why);
      break;
    }
    case kProctitle:
      if (!hex_decode_field("proctitle")) return fail("proctitle key not found");
      break;
    case 1123:  // USER_CMD
      if (!hex_decode_field("cmd")) return fail("cmd key not found");
      break;
    case 1319:  // TTY
    case 1124:  // USER_TTY
      if (!hex_decode_field("data")) return fail("data key not found");
      break;
    case kExecve: {
      const AuditField* argc = find("argc");
      if (!argc) return fail("argc key not found");
      uint64_t count = 0;
      if (!go_parse_uint(argc->value, 32, count)) {
        return fail("failed to convert argc='" + std::string(argc->value) + "' to number");
      }
      char key[16];
      for (uint64_t a = 0; a < count; ++a) {
        int len = std::snprintf(key, sizeof key, "a%llu", static_cast<unsigned long long>(a));
        int i = index_of(std::string_view(key, static_cast<size_t>(len)));
        if (i < 0) return fail("failed to find arg " + std::string(key, static_cast<size_t>(len)));
        std::string_view orig = origs[static_cast<size_t>(i)];
        if (is_upper_hex(orig)) fields[static_cast<size_t>(i)].value = decode_hex(orig, true);
      }
      break;
    }
    case kPath:
      split_context("obj");
      hex_decode_field("name");
      break;
    case 1112:  // USER_LOGIN: acct only exists in failed logins
      hex_decode_field("acct");
      break;
    default:
      break;
  }
}

bool RecordParser::Impl::parse_payload(uint32_t type, std::string_view payload, AuditRecord& out,
                                       std::string* reason, size_t column_base) {
  auto reject = [&](size_t column, std::string_view why) {
    if (reason) {
      *reason = "column " + std::to_string(column_base + column + 1) + ": ";
      reason->append(why);
    }
    return false;
  };
  text.assign(trim_go_space(payload));
  column_base += static_cast<size_t>(trim_go_space(payload).data() - payload.data());
  std::string_view t = text;

  // parseAuditHeader: "(SECONDS.MILLIS:SERIAL)" found by the first '(', then '.', ':', ')'.
  size_t open = t.find('(');
  if (open == std::string_view::npos) return reject(0, "invalid audit header: no '(' after msg=");
  size_t dot = t.find('.', open);
  if (dot == std::string_view::npos) return reject(open, "invalid audit header: no '.' in timestamp");
  size_t colon = t.find(':', dot);
  if (colon == std::string_view::npos) return reject(dot, "invalid audit header: no ':' before serial");
  size_t close = t.find(')', colon);
  if (close == std::string_view::npos) return reject(colon, "invalid audit header: no ')'");
  int64_t seconds = 0, millis = 0;
  uint64_t serial = 0;
  if (!go_parse_int(t.substr(open + 1, dot - open - 1), 10, 64, seconds)) {
    return reject(open + 1, "invalid audit header: bad seconds");
  }
  if (!go_parse_int(t.substr(dot + 1, colon - dot - 1), 10, 64, millis)) {
    return reject(dot + 1, "invalid audit header: bad milliseconds");
  }
  if (!go_parse_uint(t.substr(colon + 1, close - colon - 1), 32, serial)) {
    return reject(colon + 1, "invalid audit header: bad serial");
  }
  int64_t time_ms = 0;
  if (__builtin_mul_overflow(seconds, int64_t{1000}, &time_ms) ||
      __builtin_add_overflow(time_ms, millis, &time_ms)) {
    return reject(open + 1, "invalid audit header: timestamp out of range");
  }

  out = AuditRecord{};
  out.type = type;
  out.time_ms = time_ms;
  out.serial = static_cast<uint32_t>(serial);
  out.node = node;
  out.text = text;

  // go-libaudit computes the body offset relative to the ')' but applies it to the whole text, so
  // the field scan starts a character or so into "audit(...)". Reproduced: the header has no '='
  // so nothing there is ever taken for a field, but the offset decides "no data content".
  size_t offset = t.substr(close).find_first_of(": ");
  if (offset == std::string_view::npos) {
    error = "message has no data content";
    out.error = error;
    return true;
  }
  extract(normalize_text(type, t.substr(offset)), 0);
  enrich(type);
  compact();
  out.fields = fields;
  out.tags = tags;
  out.error = error;
  return true;
}

// Helper used by enrich() for keys: decodes without NUL handling.
std::string_view RecordParser::Impl::decode_hex_raw(std::string_view hex) {
  size_t n = hex.size() / 2;
  if (n == 0) return {};
  char* out = static_cast<char*>(arena.allocate(n, 1));
  for (size_t i = 0; i < n; ++i) {
    out[i] = static_cast<char>(upper_hex_value(hex[2 * i]) << 4 | upper_hex_value(hex[2 * i + 1]));
  }
  return {out, n};
}

RecordParser::RecordParser() : impl_(std::make_unique<Impl>()) {}
RecordParser::~RecordParser() = default;

bool RecordParser::parse_line(std::string_view line, AuditRecord& out, std::string* reason) {
  Impl& im = *impl_;
  im.arena.reset();
  im.start_record();
  im.node.clear();
  auto reject = [&](size_t column, std::string_view why) {
    if (reason) {
      *reason = "column " + std::to_string(column + 1) + ": ";
      reason->append(why);
    }
    return false;
  };
  if (line.size() > kMaxLineBytes) {
    return reject(kMaxLineBytes, "line longer than 1 MiB (" + std::to_string(line.size()) +
                                     " bytes); record skipped");
  }
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  size_t base = 0;  // column of `rest` within the line
  std::string_view rest = line;
  // `node=NAME ` prefix (auditd name_format).
  if (rest.starts_with("node=")) {
    size_t space = rest.find(' ');
    if (space == std::string_view::npos) return reject(0, "node= prefix without a record");
    im.node.assign(rest.substr(5, space - 5));
    size_t next = rest.find_first_not_of(' ', space);
    if (next == std::string_view::npos) return reject(space, "node= prefix without a record");
    rest.remove_prefix(next);
    base = next;
  }
  // ENRICHED: everything from the first 0x1D byte on is auditd's interpretation; it is ignored,
  // including when the byte is glued to a value (`key=(null)\x1dARCH=x86_64`).
  if (size_t gs = rest.find('\x1d'); gs != std::string_view::npos) rest = rest.substr(0, gs);
  if (!rest.starts_with("type=")) return reject(base, "not an audit record: expected 'type='");
  size_t msg = rest.find("msg=");
  if (msg == std::string_view::npos) return reject(base, "not an audit record: no 'msg='");
  if (msg < 6) return reject(base + msg, "invalid audit header: empty record type");
  std::string_view type_text = rest.substr(5, msg - 1 - 5);
  uint32_t type = im.type_of(type_text);
  if (type == 0) {
    std::string why = "unknown record type '";
    why.append(type_text.substr(0, 64));
    why += "'";
    return reject(base + 5, why);
  }
  return im.parse_payload(type, rest.substr(msg + 4), out, reason, base + msg + 4);
}

bool RecordParser::parse_netlink(uint32_t type, std::string_view payload, AuditRecord& out,
                                 std::string* reason) {
  Impl& im = *impl_;
  im.arena.reset();
  im.start_record();
  im.node.clear();
  if (payload.size() > kMaxLineBytes) {
    if (reason) *reason = "column 1: netlink message longer than 1 MiB; skipped";
    return false;
  }
  // The kernel may pad the text with NULs.
  while (!payload.empty() && (payload.back() == '\0' || is_go_space(payload.back()))) {
    payload.remove_suffix(1);
  }
  return im.parse_payload(type, payload, out, reason, 0);
}

}  // namespace audetect::audit
