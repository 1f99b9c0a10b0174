// ECS document construction: the coalesced event (coalesce.h) mapped as auditbeat's auditd module
// does (buildMetricbeatEvent), then, for the auditd_manager profile, the integration's ingest
// pipeline and Fleet's final pipeline applied directly while emitting (docs/audit-to-ecs.md §9, §12).
#include "ecs/ecs.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstring>
#include <iterator>

#include "base/utf8.h"
#include "ecs/coalesce.h"
#include "ecs/id_resolver.h"

namespace audetect::ecs {

using detail::Coalesced;
using detail::EcsEntity;
using detail::FlatMap;
using Node = EventBuilder::Node;

bool parse_profile(std::string_view name, Profile* out) {
  if (name == "auditd_manager") {
    *out = Profile::kAuditdManager;
    return true;
  }
  if (name == "auditbeat") {
    *out = Profile::kAuditbeat;
    return true;
  }
  return false;
}

std::string_view profile_name(Profile profile) {
  return profile == Profile::kAuditbeat ? "auditbeat" : "auditd_manager";
}

namespace {

// Every fixed key the normalizer emits, interned once per process.
#define AUDETECT_ECS_KEYS(X)                                                                       \
  X(timestamp, "@timestamp") X(event, "event") X(kind, "kind") X(category, "category")              \
  X(type, "type") X(action, "action") X(outcome, "outcome") X(module, "module")                     \
  X(original, "original") X(sequence, "sequence") X(dataset, "dataset") X(ingested, "ingested")     \
  X(id, "id") X(auditd, "auditd") X(message_type, "message_type") X(result, "result")               \
  X(session, "session") X(data, "data") X(paths, "paths") X(summary, "summary") X(actor, "actor")   \
  X(primary, "primary") X(secondary, "secondary") X(object, "object") X(how, "how")                 \
  X(messages, "messages") X(warnings, "warnings") X(tags, "tags") X(user, "user") X(name, "name")   \
  X(group, "group") X(effective, "effective") X(saved, "saved") X(filesystem, "filesystem")         \
  X(audit, "audit") X(selinux, "selinux") X(target, "target") X(changes, "changes")                 \
  X(related, "related") X(process, "process") X(pid, "pid") X(parent, "parent") X(title, "title")   \
  X(executable, "executable") X(working_directory, "working_directory") X(args, "args")             \
  X(file, "file") X(path, "path") X(device, "device") X(inode, "inode") X(mode, "mode")             \
  X(uid, "uid") X(gid, "gid") X(owner, "owner") X(source, "source") X(destination, "destination")   \
  X(ip, "ip") X(port, "port") X(address, "address") X(network, "network")                           \
  X(direction, "direction") X(error, "error") X(message, "message") X(service, "service")           \
  X(ecs, "ecs") X(version, "version") X(host, "host") X(hostname, "hostname")                       \
  X(architecture, "architecture") X(mac, "mac") X(containerized, "containerized") X(os, "os")       \
  X(family, "family") X(platform, "platform") X(codename, "codename") X(kernel, "kernel")           \
  X(data_stream, "data_stream") X(nspace, "namespace") X(socket, "socket")

struct Keys {
#define AUDETECT_DECLARE_KEY(member, text) KeyId member;
  AUDETECT_ECS_KEYS(AUDETECT_DECLARE_KEY)
#undef AUDETECT_DECLARE_KEY
  Keys() {
#define AUDETECT_INTERN_KEY(member, text) member = KeyTable::intern(text);
    AUDETECT_ECS_KEYS(AUDETECT_INTERN_KEY)
#undef AUDETECT_INTERN_KEY
  }
};

const Keys& keys() {
  static const Keys kKeys;
  return kKeys;
}

constexpr Node kNoNode = 0xFFFFFFFFu;

// An object created on first write, so that nothing empty is ever emitted.
class Obj {
 public:
  Obj(EventBuilder& b, Node node) : b_(b), parent_(nullptr), node_(node) {}
  Obj(Obj& parent, KeyId key) : b_(parent.b_), parent_(&parent), key_(key) {}
  Node get() {
    if (node_ == kNoNode) node_ = b_.object(parent_->get(), key_);
    return node_;
  }
  bool created() const { return node_ != kNoNode; }
  EventBuilder& builder() { return b_; }

 private:
  EventBuilder& b_;
  Obj* parent_;
  KeyId key_ = kNoKey;
  Node node_ = kNoNode;
};

// Days since 1970-01-01 -> civil date (Howard Hinnant's algorithm); no locale, no allocation.
void civil_from_days(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

// "2023-11-14T22:13:20.123Z" (with_millis) or "2023-11-14T22:13:20Z".
std::string_view format_time(char* buf, int64_t ms, bool with_millis) {
  int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  int64_t millis = ms - secs * 1000;
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t rem = secs - days * 86400;
  int64_t y;
  unsigned mo, d;
  civil_from_days(days, &y, &mo, &d);
  if (y < 0 || y > 9999) y = y < 0 ? 0 : 9999;  // hostile timestamps stay printable
  auto put = [](char* p, int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) {
      p[i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };
  put(buf, y, 4);
  buf[4] = '-';
  put(buf + 5, mo, 2);
  buf[7] = '-';
  put(buf + 8, d, 2);
  buf[10] = 'T';
  put(buf + 11, rem / 3600, 2);
  buf[13] = ':';
  put(buf + 14, (rem / 60) % 60, 2);
  buf[16] = ':';
  put(buf + 17, rem % 60, 2);
  size_t len = 19;
  if (with_millis) {
    buf[19] = '.';
    put(buf + 20, millis, 3);
    len = 23;
  }
  buf[len++] = 'Z';
  return {buf, len};
}

// Elasticsearch's convert processor to long: optional sign and decimal digits.
bool parse_long(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  const char* b = s.data();
  const char* e = b + s.size();
  if (*b == '+') ++b;
  auto [p, ec] = std::from_chars(b, e, *out);
  return ec == std::errc() && p == e && b != e;
}

// Go's strconv.Atoi.
bool parse_int(std::string_view s, int64_t* out) { return parse_long(s, out); }

bool is_unset_id(std::string_view v) { return v == "unset"; }

// auditd_manager's convert processors, in pipeline order; data fields by their output name
// (socket_port is auditd.data.socket.port), the two address ports as fixed steps.
constexpr std::string_view kConvertOrder[] = {
    "removed", "items", "lport", "rport", "sport", "dport", "entries", "argc", "seqno", "nargs", "socket_port",
    "old_vcpu", "new_vcpu", "changed", "added", "", "", "spid", "opid", "nlnk_pid", "vm_pid", "audit_pid", "exit"};
constexpr int kConvertSteps = static_cast<int>(std::size(kConvertOrder));
constexpr int kDestinationPortStep = 15;
constexpr int kSourcePortStep = 16;

// Bit i of entry n: step i's field name has n bytes. Every data field of every event is looked up, so
// only the names of its length are compared.
constexpr std::array<uint32_t, 16> kStepsByLength = [] {
  std::array<uint32_t, 16> by_length{};
  for (int i = 0; i < kConvertSteps; ++i)
    if (!kConvertOrder[i].empty()) by_length[kConvertOrder[i].size()] |= uint32_t{1} << i;
  return by_length;
}();

int convert_step(std::string_view data_key) {
  if (data_key.empty() || data_key.size() >= kStepsByLength.size()) return -1;
  for (uint32_t m = kStepsByLength[data_key.size()]; m; m &= m - 1) {
    int i = __builtin_ctz(m);
    if (kConvertOrder[i] == data_key) return i;
  }
  return -1;
}

// True when every byte is ASCII, eight at a time: such strings are valid UTF-8 as they are.
bool all_ascii(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t high = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    high |= w;
  }
  for (; i < n; ++i) high |= static_cast<unsigned char>(p[i]);
  return (high & 0x8080808080808080ull) == 0;
}

// The auditbeat user.* subtree, computed before emission because later steps overwrite and
// delete parts of it (setECSEntity, removeRedundantEntity).
struct IdName {
  std::string_view id, name;
  bool empty() const { return id.empty() && name.empty(); }
};
struct UserBlock {
  IdName user, group, effective, effective_group, saved, saved_group, fs, fs_group, audit;
  IdName target, changes;
  IdName ecs_group;  // root-level group.*
  bool has_effective = true;
};

}  // namespace

struct EcsNormalizer::Impl {
  NormalizerOptions options;
  detail::IdResolver resolver;
  detail::Coalescer coalescer;
  Coalesced co;
  FlatMap path_fields;
  std::string scratch;     // UTF-8 repair
  std::string key_buf;     // dash -> underscore key rewriting
  std::string joined;      // event.original
  std::string error_text;  // pipeline error text
  std::vector<std::string_view> related;
  std::vector<std::string> warnings_copy;
  size_t warnings_count = 0;
  NormalizerStats stats;
  bool manager = true;

  explicit Impl(NormalizerOptions opts)
      : options(std::move(opts)),
        resolver(options.passwd_file, options.group_file, options.id_cache_ttl_ms),
        coalescer({options.resolve_ids, options.resolve_paths}, &resolver),
        manager(options.profile == Profile::kAuditdManager) {
    if (options.add_host_metadata && !options.host) {
      options.host = std::make_shared<const HostInfo>(collect_host_info());
    }
    if (!options.clock_ms) {
      options.clock_ms = [] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
      };
    }
    (void)keys();
    build_shared_objects();
  }

  std::string_view valid(std::string_view s) { return all_ascii(s) ? s : utf8::repaired(s, scratch); }

  void put(Obj& obj, KeyId key, std::string_view v) {
    if (v.empty()) return;
    obj.builder().set_string(obj.get(), key, valid(v));
  }
  // Name of a dynamic key in the output: auditd_manager replaces '-' with '_' (§12.2).
  std::string_view out_key(std::string_view k) {
    if (!manager || k.find('-') == std::string_view::npos) return k;
    key_buf.assign(k);
    for (char& c : key_buf)
      if (c == '-') c = '_';
    return key_buf;
  }

  void normalize(const audit::AuditEvent& event, EventBuilder& b);
  void emit_error(const audit::AuditEvent& event, EventBuilder& b, int64_t now_ms);
  void emit_common(const audit::AuditEvent& event, Obj& root, Obj& ev, int64_t now_ms);
  void emit_original(const audit::AuditEvent& event, Obj& ev, Obj& auditd, bool force);
  void emit_users(Obj& root, Obj& auditd);
  void emit_host(Obj& root, std::string_view node);
  void build_shared_objects();

  SharedValue local_host;
  SharedValue data_stream;
};

void EcsNormalizer::Impl::emit_original(const audit::AuditEvent& event, Obj& ev, Obj& auditd, bool force) {
  if (!force && !options.preserve_original) return;
  const Keys& k = keys();
  EventBuilder& b = ev.builder();
  auto line_parts = [](const audit::AuditRecord& r) { return std::pair{audit::record_type_name(r.type), r.text}; };
  if (manager) {
    joined.clear();
    Node msgs = b.array(auditd.get(), k.messages);
    for (const audit::AuditRecord& r : event.records) {
      if (r.type == audit::kEoe) continue;
      auto [type, text] = line_parts(r);
      size_t start = joined.size();
      if (!joined.empty()) {
        joined.push_back('\n');
        ++start;
      }
      joined.append("type=").append(type).append(" msg=").append(text);
      b.push_string(msgs, valid(std::string_view(joined).substr(start)));
    }
    put(ev, k.original, joined);
  } else {
    Node arr = b.array(ev.get(), k.original);
    for (const audit::AuditRecord& r : event.records) {
      if (r.type == audit::kEoe) continue;
      auto [type, text] = line_parts(r);
      joined.clear();
      joined.append("type=").append(type).append(" msg=").append(text);
      b.push_string(arr, valid(joined));
    }
  }
}

void EcsNormalizer::Impl::emit_common(const audit::AuditEvent& event, Obj& root, Obj& ev, int64_t now_ms) {
  const Keys& k = keys();
  EventBuilder& b = root.builder();
  char tbuf[32];
  put(ev, k.module, "auditd");
  put(ev, k.ingested, format_time(tbuf, now_ms - now_ms % 1000, false));

  Obj service(root, k.service);
  put(service, k.type, "auditd");
  Obj ecs(root, k.ecs);
  put(ecs, k.version, manager ? "8.2.0" : "8.0.0");

  if (options.add_host_metadata && options.host && event.node.empty()) {
    b.set_shared(root.get(), k.host, local_host);  // the same for every local event: built once
  } else if (options.add_host_metadata && options.host) {
    emit_host(root, event.node);
  } else {
    Obj host(root, k.host);
    Obj os(host, k.os);
    put(os, k.type, "linux");
    if (!event.node.empty() || !options.host_name.empty()) {
      std::string_view name = !event.node.empty() ? event.node : std::string_view(options.host_name);
      put(host, k.name, name);
      put(host, k.hostname, name);
    }
  }

  if (manager) {
    put(ev, k.dataset, "auditd_manager.auditd");
    b.set_shared(root.get(), k.data_stream, data_stream);
  }
}

void EcsNormalizer::Impl::emit_host(Obj& root, std::string_view node) {
  const Keys& k = keys();
  EventBuilder& b = root.builder();
  const HostInfo& h = *options.host;
  {
    Obj host(root, k.host);
    std::string_view name = !node.empty() ? node
                            : !options.host_name.empty() ? std::string_view(options.host_name)
                                                         : std::string_view(h.name);
    put(host, k.name, name);
    put(host, k.hostname, name);
    put(host, k.id, h.id);
    put(host, k.architecture, h.architecture);
    if (!h.ip.empty()) {
      Node arr = b.array(host.get(), k.ip);
      for (const std::string& ip : h.ip) b.push_string(arr, valid(ip));
    }
    if (!h.mac.empty()) {
      Node arr = b.array(host.get(), k.mac);
      for (const std::string& mac : h.mac) b.push_string(arr, valid(mac));
    }
    b.set_bool(host.get(), k.containerized, h.containerized);
    Obj os(host, k.os);
    put(os, k.type, "linux");
    put(os, k.family, h.os_family);
    put(os, k.name, h.os_name);
    put(os, k.platform, h.os_platform);
    put(os, k.version, h.os_version);
    put(os, k.codename, h.os_codename);
    put(os, k.kernel, h.os_kernel);
  }
}

// The host and data_stream objects of events without a node= prefix, built once.
void EcsNormalizer::Impl::build_shared_objects() {
  const Keys& k = keys();
  EventBuilder b;
  Obj root(b, EventBuilder::kRoot);
  if (options.add_host_metadata && options.host) emit_host(root, {});
  {
    Obj ds(root, k.data_stream);
    put(ds, k.type, "logs");
    put(ds, k.dataset, "auditd_manager.auditd");
    put(ds, k.nspace, options.data_stream_namespace);
  }
  Event e = b.finish();
  if (const Value* host = e.root().member(k.host)) local_host = SharedValue(*host);
  data_stream = SharedValue(*e.root().member(k.data_stream));
}

void EcsNormalizer::Impl::emit_error(const audit::AuditEvent& event, EventBuilder& b, int64_t now_ms) {
  const Keys& k = keys();
  Obj root(b, EventBuilder::kRoot);
  Obj ev(root, k.event);
  Obj auditd(root, k.auditd);
  char tbuf[32];
  put(root, k.timestamp, format_time(tbuf, co.time_ms, true));
  put(ev, k.kind, "event");
  Obj error(root, k.error);
  put(error, k.message, co.error);
  // auditbeat attaches the raw lines so the failure can be debugged; audetect keeps them in both
  // profiles because an error document without them would lose the event's data.
  emit_original(event, ev, auditd, true);
  if (manager) {
    Node tags = b.array(root.get(), k.tags);
    if (options.preserve_original) b.push_string(tags, "preserve_original_event");
    b.push_string(tags, "auditd_manager-auditd");
  }
  emit_common(event, root, ev, now_ms);
}

void EcsNormalizer::Impl::emit_users(Obj& root, Obj& auditd) {
  const Keys& k = keys();
  EventBuilder& b = root.builder();
  UserBlock u;
  bool any_id = false;
  // addUser: ids (unset ones skipped) then names, into the entity each id field belongs to.
  auto slot_for = [&u](std::string_view key) -> IdName* {
    if (key == "uid") return &u.user;
    if (key == "gid") return &u.group;
    if (key == "euid") return &u.effective;
    if (key == "egid") return &u.effective_group;
    if (key == "suid") return &u.saved;
    if (key == "sgid") return &u.saved_group;
    if (key == "fsuid") return &u.fs;
    if (key == "fsgid") return &u.fs_group;
    if (key == "auid") return &u.audit;
    return nullptr;
  };
  for (const FlatMap::Entry& e : co.user_ids.items()) {
    if (is_unset_id(e.value)) continue;
    any_id = true;
    if (IdName* slot = slot_for(e.key)) slot->id = e.value;
  }
  for (const FlatMap::Entry& e : co.user_names.items()) {
    if (IdName* slot = slot_for(e.key)) slot->name = e.value;
  }

  // setECSEntity: mapped entities overwrite, and an unset id removes the field.
  related.clear();
  auto set_entity = [&](IdName& slot, const EcsEntity& ent, bool track) {
    if (ent.empty()) return;
    slot.id = ent.id == "unset" ? std::string_view{} : ent.id;
    slot.name = ent.name;
    if (track && options.resolve_ids && !ent.name.empty()) {
      bool seen = false;
      for (std::string_view r : related) seen = seen || r == ent.name;
      if (!seen) related.push_back(ent.name);
    }
  };
  set_entity(u.user, co.ecs_user, true);
  set_entity(u.effective, co.ecs_user_effective, true);
  set_entity(u.target, co.ecs_user_target, true);
  set_entity(u.changes, co.ecs_user_changes, true);
  set_entity(u.ecs_group, co.ecs_group, false);

  // removeRedundantEntity: user.effective goes when its id (or else name) equals user's.
  if ((!u.user.id.empty() && u.effective.id == u.user.id) ||
      (!u.user.name.empty() && u.effective.name == u.user.name)) {
    u.has_effective = false;
  }

  Obj user(root, k.user);
  Obj au_user(auditd, k.user);  // auditd_manager moves audit/saved/filesystem/selinux here
  auto put_idname = [&](Obj& obj, const IdName& v) {
    put(obj, k.id, v.id);
    put(obj, k.name, v.name);
  };
  put_idname(user, u.user);
  {
    Obj g(user, k.group);
    put_idname(g, u.group);
  }
  if (u.has_effective) {
    Obj eff(user, k.effective);
    put_idname(eff, u.effective);
    Obj g(eff, k.group);
    put_idname(g, u.effective_group);
  }
  {
    Obj saved(manager ? au_user : user, k.saved);
    put_idname(saved, u.saved);
    Obj g(saved, k.group);
    put_idname(g, u.saved_group);
  }
  {
    Obj fs(manager ? au_user : user, k.filesystem);
    put_idname(fs, u.fs);
    Obj g(fs, k.group);
    put_idname(g, u.fs_group);
  }
  {
    Obj audit(manager ? au_user : user, k.audit);
    put_idname(audit, u.audit);
  }
  {
    Obj target(user, k.target);
    put_idname(target, u.target);
    Obj changes(user, k.changes);
    put_idname(changes, u.changes);
    Obj group(root, k.group);
    put_idname(group, u.ecs_group);
  }
  // Other *uid / *gid keys: user.<key>.id / .name (auditd_manager moves new_auid/old_auid).
  for (const FlatMap::Entry& e : co.user_ids.items()) {
    std::string_view key = e.key;
    if (key == "uid" || key == "gid" || key == "euid" || key == "egid" || key == "suid" || key == "sgid" ||
        key == "fsuid" || key == "fsgid" || key == "auid") {
      continue;
    }
    std::string_view name = co.user_names.get(key);
    bool has_id = !is_unset_id(e.value);
    if (!has_id && name.empty()) continue;
    std::string_view okey = out_key(key);
    bool move = manager && (okey == "new_auid" || okey == "old_auid");
    Node parent = move ? au_user.get() : user.get();
    Node sub = b.append_object(parent, okey);
    if (has_id) b.set_string(sub, k.id, valid(e.value));
    if (!name.empty()) b.set_string(sub, k.name, valid(name));
  }
  if (any_id && !co.user_selinux.empty()) {
    Node sel = b.object(manager ? au_user.get() : user.get(), k.selinux);
    for (const FlatMap::Entry& e : co.user_selinux.items()) {
      if (manager && e.value.empty()) continue;
      b.append_string(sel, out_key(e.key), valid(e.value));
    }
  }
  if (!related.empty()) {
    // auditbeat collects these in a set (unordered); sorted output keeps documents reproducible.
    std::sort(related.begin(), related.end());
    Obj rel(root, k.related);
    Node arr = b.array(rel.get(), k.user);
    for (std::string_view r : related) b.push_string(arr, valid(r));
  }
}

void EcsNormalizer::Impl::normalize(const audit::AuditEvent& event, EventBuilder& b) {
  b.reset();
  const Keys& k = keys();
  const int64_t now_ms = options.clock_ms();
  if (options.resolve_ids) resolver.begin_event(now_ms);
  coalescer.coalesce(event, co);

  auto warnings = coalescer.warnings();
  warnings_count = warnings.size();
  if (warnings_copy.size() < warnings_count) warnings_copy.resize(warnings_count);
  for (size_t i = 0; i < warnings_count; ++i) warnings_copy[i].assign(warnings[i]);
  stats.events++;
  stats.warnings += warnings_count;

  if (!co.error.empty()) {
    stats.error_events++;
    emit_error(event, b, now_ms);
    return;
  }

  // auditd_manager's numeric conversions run in pipeline order (§12.4); the first failure stops
  // the pipeline (on_failure): everything after it stays unconverted and empty values are kept.
  // auditd.data.exit comes last, so a failed syscall ("EACCES") ends there.
  bool pipeline_failed = false;
  error_text.clear();
  // Which conversions succeed, decided up front in the pipeline's order: one pass over the data
  // collects the candidates, then they are tried in order until the first failure.
  std::string_view candidate[kConvertSteps];
  bool present[kConvertSteps] = {};
  bool converted[kConvertSteps] = {};
  if (manager) {
    for (const FlatMap::Entry& e : co.data.items()) {
      int step = convert_step(out_key(e.key));
      if (step >= 0) {
        candidate[step] = e.value;
        present[step] = true;
      }
    }
    if (co.destination.present && !co.destination.port.empty()) {
      candidate[kDestinationPortStep] = co.destination.port;
      present[kDestinationPortStep] = true;
    }
    if (co.source.present && !co.source.port.empty()) {
      candidate[kSourcePortStep] = co.source.port;
      present[kSourcePortStep] = true;
    }
    for (int step = 0; step < kConvertSteps && !pipeline_failed; ++step) {
      if (!present[step]) continue;
      int64_t ignored = 0;
      if (parse_long(candidate[step], &ignored)) {
        converted[step] = true;
      } else {
        pipeline_failed = true;
        error_text.assign("unable to convert [").append(candidate[step]).append("] to long");
      }
    }
  }
  const bool convert_dest_port = converted[kDestinationPortStep];
  const bool convert_source_port = converted[kSourcePortStep];
  auto is_converted = [&](std::string_view out_name) {
    int step = convert_step(out_name);
    return step >= 0 && converted[step];
  };
  const bool keep_empty = !manager || pipeline_failed;
  auto put_keep = [&](Obj& obj, KeyId key, std::string_view v) {
    if (v.empty() && !keep_empty) return;
    b.set_string(obj.get(), key, valid(v));
  };

  Obj root(b, EventBuilder::kRoot);
  Obj ev(root, k.event);
  Obj auditd(root, k.auditd);
  char tbuf[32];
  put(root, k.timestamp, format_time(tbuf, co.time_ms, true));

  // event.*
  put(ev, k.kind, "event");
  if (!co.ecs_category.empty()) {
    Node arr = b.array(ev.get(), k.category);
    for (std::string_view c : co.ecs_category) b.push_string(arr, c);
  } else {
    put(ev, k.category, co.category);
  }
  if (!co.ecs_type.empty()) {
    Node arr = b.array(ev.get(), k.type);
    for (std::string_view t : co.ecs_type) b.push_string(arr, t);
  }
  put_keep(ev, k.action, co.action);
  std::string_view outcome = co.result == "fail" ? std::string_view("failure") : co.result;
  if (!co.ecs_outcome.empty()) outcome = co.ecs_outcome;
  put_keep(ev, k.outcome, outcome);

  // auditd.*
  {
    char type_lower[64];
    std::string_view type_name = audit::record_type_name(co.record_type);
    size_t n = std::min(type_name.size(), sizeof type_lower);
    for (size_t i = 0; i < n; ++i) {
      char c = type_name[i];
      type_lower[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    put(auditd, k.message_type, std::string_view(type_lower, n));
  }
  if (manager) {
    b.set_int(ev.get(), k.sequence, co.sequence);
  } else {
    b.set_int(auditd.get(), k.sequence, co.sequence);
  }
  put_keep(auditd, k.result, co.result);
  if (co.session != "unset") put_keep(auditd, k.session, co.session);

  if (!co.data.empty()) {
    Obj data(auditd, k.data);
    Obj socket(data, k.socket);
    for (const FlatMap::Entry& e : co.data.items()) {
      if (e.value.empty() && !keep_empty) continue;
      bool is_socket = e.key.size() > 7 && e.key.substr(0, 7) == "socket_";
      std::string_view okey = out_key(e.key);
      if (manager && okey == "id") {  // auditd.data.id -> event.id
        b.set_string(ev.get(), k.id, valid(e.value));
        continue;
      }
      int64_t number = 0;
      bool as_number = manager && is_converted(okey) && parse_long(e.value, &number);
      Node parent = is_socket ? socket.get() : data.get();
      std::string_view name = is_socket ? okey.substr(7) : okey;
      if (as_number) {
        b.append_int(parent, name, number);
      } else {
        b.append_string(parent, name, valid(e.value));
      }
    }
  }
  if (!co.paths.empty()) {
    Node arr = b.array(auditd.get(), k.paths);
    for (const audit::AuditRecord* p : co.paths) {
      Node m = b.push_object(arr);
      // Last value wins for a repeated name, as in auparse's field map.
      path_fields.clear();
      for (const audit::AuditField& f : p->fields) path_fields.set(f.name, f.value);
      for (const FlatMap::Entry& e : path_fields.items()) b.append_string(m, e.key, valid(e.value));
    }
  }
  {
    Obj summary(auditd, k.summary);
    Obj actor(summary, k.actor);
    put(actor, k.primary, co.actor_primary);
    put(actor, k.secondary, co.actor_secondary);
    Obj object(summary, k.object);
    put(object, k.type, co.object_type);
    put(object, k.primary, co.object_primary);
    put(object, k.secondary, co.object_secondary);
    put(summary, k.how, co.how);
  }

  // tags: rule keys, then the integration's tags.
  if (!co.tags.empty() || manager) {
    Node arr = b.array(root.get(), k.tags);
    for (std::string_view t : co.tags) {
      if (t.empty() && !keep_empty) continue;
      b.push_string(arr, valid(t));
    }
    if (manager) {
      if (options.preserve_original) b.push_string(arr, "preserve_original_event");
      b.push_string(arr, "auditd_manager-auditd");
    }
  }

  emit_users(root, auditd);

  // process.*
  {
    Obj process(root, k.process);
    int64_t pid = 0;
    if (!co.pid.empty() && parse_int(co.pid, &pid)) b.set_int(process.get(), k.pid, pid);
    if (!co.ppid.empty() && parse_int(co.ppid, &pid)) {
      Obj parent(process, k.parent);
      b.set_int(parent.get(), k.pid, pid);
    }
    put(process, k.title, co.title);
    put(process, k.name, co.name);
    put(process, k.executable, co.exe);
    put(process, k.working_directory, co.cwd);
    if (!co.args.empty()) {
      Node arr = b.array(process.get(), k.args);
      for (std::string_view a : co.args) {
        if (a.empty() && !keep_empty) continue;
        b.push_string(arr, valid(a));
      }
    }
  }

  // file.*
  if (co.has_file) {
    Obj file(root, k.file);
    put(file, k.path, co.file_path);
    put(file, k.device, co.file_device);
    put(file, k.inode, co.file_inode);
    put(file, k.mode, co.file_mode);
    put(file, k.uid, co.file_uid);
    put(file, k.gid, co.file_gid);
    put(file, k.owner, co.file_owner);
    put(file, k.group, co.file_group);
    if (!co.file_selinux.empty()) {
      Obj au_file(auditd, k.file);
      Node sel = b.object(manager ? au_file.get() : file.get(), k.selinux);
      for (const FlatMap::Entry& e : co.file_selinux.items()) b.append_string(sel, out_key(e.key), valid(e.value));
    }
  }

  // source / destination / network
  auto emit_address = [&](const detail::Address& a, KeyId key, bool convert_port) {
    if (!a.present) return;
    Obj obj(root, key);
    put(obj, k.ip, a.ip);
    int64_t port = 0;
    if (convert_port && parse_long(a.port, &port)) {
      b.set_int(obj.get(), k.port, port);
    } else {
      put(obj, k.port, a.port);
    }
    put(obj, manager ? k.address : k.path, a.path);
  };
  emit_address(co.source, k.source, convert_source_port);
  emit_address(co.destination, k.destination, convert_dest_port);
  if (co.direction != detail::Direction::kNone) {
    Obj network(root, k.network);
    put(network, k.direction, co.direction == detail::Direction::kIngress ? "ingress" : "egress");
  }

  // Warnings (include_warnings) and the pipeline failure. The pipeline joins the warnings into
  // error.message (keeping the list in auditd.warnings); its on_failure handler then sets
  // error.message to the failure, replacing that.
  bool with_warnings = options.include_warnings && warnings_count > 0;
  if (with_warnings || pipeline_failed) {
    Obj error(root, k.error);
    if (manager) {
      joined.clear();
      if (with_warnings) {
        Node arr = b.array(auditd.get(), k.warnings);
        for (size_t i = 0; i < warnings_count; ++i) {
          b.push_string(arr, valid(warnings_copy[i]));
          if (i) joined.push_back('\n');
          joined.append(warnings_copy[i]);
        }
      }
      put(error, k.message, pipeline_failed ? std::string_view(error_text) : std::string_view(joined));
    } else {
      Node arr = b.array(error.get(), k.message);
      for (size_t i = 0; i < warnings_count; ++i) b.push_string(arr, valid(warnings_copy[i]));
    }
  }
  // event.original: preserve_original (§16.7), or auditbeat's include_warnings with warnings.
  emit_original(event, ev, auditd, !manager && with_warnings);

  emit_common(event, root, ev, now_ms);
}

EcsNormalizer::EcsNormalizer(NormalizerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
EcsNormalizer::~EcsNormalizer() = default;

void EcsNormalizer::normalize(const audit::AuditEvent& event, EventBuilder& builder) {
  impl_->normalize(event, builder);
}

std::span<const std::string> EcsNormalizer::last_warnings() const {
  return {impl_->warnings_copy.data(), impl_->warnings_count};
}

const NormalizerStats& EcsNormalizer::stats() const { return impl_->stats; }
const NormalizerOptions& EcsNormalizer::options() const { return impl_->options; }

}  // namespace audetect::ecs
