#include "event/event.h"

#include "base/short_string.h"
#include "event/json.h"

#include <atomic>
#include <cstring>
#include <deque>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace audetect {

// ---------------------------------------------------------------------------------------------
// KeyTable

namespace {

// Only interning locks; reading a name does not (see KeyTable::entry()).
constexpr size_t kChunkBits = KeyTable::kChunkBits;
constexpr size_t kChunkSize = size_t{1} << kChunkBits;

struct KeyTableState {
  std::shared_mutex mu;
  // deque: element addresses never move. Each holds `"name":`; the name is the inside.
  std::deque<std::string> storage;
  std::unordered_map<std::string_view, KeyId> ids;
};

bool plain_json(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) return false;
  return true;
}

KeyTableState& key_table() {
  static KeyTableState* state = new KeyTableState;  // never destroyed: used from static dtors too
  return *state;
}

}  // namespace

KeyId KeyTable::find(std::string_view name) {
  auto& t = key_table();
  std::shared_lock lock(t.mu);
  auto it = t.ids.find(name);
  return it == t.ids.end() ? kNoKey : it->second;
}

KeyId KeyTable::intern(std::string_view name) {
  auto& t = key_table();
  {
    std::shared_lock lock(t.mu);
    auto it = t.ids.find(name);
    if (it != t.ids.end()) return it->second;
  }
  std::unique_lock lock(t.mu);
  auto it = t.ids.find(name);
  if (it != t.ids.end()) return it->second;
  size_t id = KeyTable::count_.load(std::memory_order_relaxed);
  if (id >= kMaxKeys) return kNoKey;
  auto& chunk = KeyTable::chunks_[id >> kChunkBits];
  auto* slots = const_cast<KeyTable::Entry*>(chunk.load(std::memory_order_relaxed));
  if (!slots) {
    slots = new KeyTable::Entry[kChunkSize];  // lives as long as the process, like the table
    chunk.store(slots, std::memory_order_release);
  }
  std::string& stored = t.storage.emplace_back();
  stored.reserve(name.size() + 3 + KeyTable::kJsonKeyPadding);  // on the heap, with readable slack
  stored.append(1, '"').append(name).append("\":");
  KeyTable::Entry& entry = slots[id & (kChunkSize - 1)];
  entry.name = std::string_view(stored).substr(1, name.size());
  entry.json_key = plain_json(name) ? std::string_view(stored) : std::string_view();
  t.ids.emplace(entry.name, static_cast<KeyId>(id));
  KeyTable::count_.store(id + 1, std::memory_order_release);
  return static_cast<KeyId>(id);
}

std::atomic<const KeyTable::Entry*> KeyTable::chunks_[KeyTable::kMaxKeys >> KeyTable::kChunkBits] = {};
std::atomic<size_t> KeyTable::count_{0};

size_t KeyTable::size() { return count_.load(std::memory_order_acquire); }

// ---------------------------------------------------------------------------------------------
// Value

Value Value::string_view_of(std::string_view s) {
  Value v;
  v.kind_ = ValueKind::kString;
  v.size_ = static_cast<uint32_t>(s.size());
  v.s_ = s.data();
  return v;
}

Value Value::array_of(const Value* items, uint32_t n) {
  Value v;
  v.kind_ = ValueKind::kArray;
  v.size_ = n;
  v.a_ = items;
  return v;
}

Value Value::object_of(const Member* members, uint32_t n) {
  Value v;
  v.kind_ = ValueKind::kObject;
  v.size_ = n;
  v.o_ = members;
  return v;
}

const Value* Value::member(KeyId key) const {
  if (kind_ != ValueKind::kObject) return nullptr;
  for (uint32_t i = 0; i < size_; ++i) {
    if (o_[i].key == key) return &o_[i].value;
  }
  return nullptr;
}

const Value* Value::member(std::string_view name) const {
  if (kind_ != ValueKind::kObject) return nullptr;
  for (uint32_t i = 0; i < size_; ++i) {
    if (o_[i].name == name) return &o_[i].value;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// FieldPath

FieldPath::FieldPath(std::string_view dotted) : text_(dotted) {
  size_t start = 0;
  while (true) {
    size_t dot = dotted.find('.', start);
    std::string_view seg = dotted.substr(start, dot == std::string_view::npos ? dotted.npos : dot - start);
    segments_.emplace_back(seg);
    keys_.push_back(KeyTable::intern(seg));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
}

FieldPath::FieldPath(std::vector<std::string> segments) : segments_(std::move(segments)) {
  for (size_t i = 0; i < segments_.size(); ++i) {
    if (i) text_ += '.';
    text_ += segments_[i];
    keys_.push_back(KeyTable::intern(segments_[i]));
  }
}

// ---------------------------------------------------------------------------------------------
// Event

const Value* Event::get(const FieldPath& path) const {
  if (!root_) return nullptr;
  const Value* v = root_;
  auto keys = path.keys();
  for (size_t i = 0; i < keys.size(); ++i) {
    v = keys[i] != kNoKey ? v->member(keys[i]) : v->member(path.segments()[i]);
    if (!v) return nullptr;
  }
  return v;
}

namespace {

size_t clone_size(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kString: return v.as_string().size();
    case ValueKind::kArray: {
      size_t n = v.as_array().size() * sizeof(Value) + alignof(Value);
      for (const Value& e : v.as_array()) n += clone_size(e);
      return n;
    }
    case ValueKind::kObject: {
      size_t n = v.as_object().size() * sizeof(Member) + alignof(Member);
      for (const Member& m : v.as_object()) {
        n += clone_size(m.value);
        if (m.key == kNoKey) n += m.name.size();
      }
      return n;
    }
    default: return 0;
  }
}

Value clone_into(const Value& v, Arena& arena) {
  switch (v.kind()) {
    case ValueKind::kString: return Value::string_view_of(arena.copy(v.as_string()));
    case ValueKind::kArray: {
      auto items = v.as_array();
      Value* out = arena.allocate_array<Value>(items.size());
      for (size_t i = 0; i < items.size(); ++i) out[i] = clone_into(items[i], arena);
      return Value::array_of(out, static_cast<uint32_t>(items.size()));
    }
    case ValueKind::kObject: {
      auto members = v.as_object();
      Member* out = arena.allocate_array<Member>(members.size());
      for (size_t i = 0; i < members.size(); ++i) {
        const Member& m = members[i];
        new (&out[i]) Member{m.key, m.key == kNoKey ? arena.copy(m.name) : m.name,
                             clone_into(m.value, arena)};
      }
      return Value::object_of(out, static_cast<uint32_t>(members.size()));
    }
    default: return v;
  }
}

}  // namespace

namespace {
// Stored just before the members of a shared object.
struct SharedHeader {
  const char* json;
  size_t size;
};
static_assert(alignof(SharedHeader) <= alignof(Member) && sizeof(SharedHeader) % alignof(Member) == 0);
}  // namespace

std::string_view Value::shared_json() const {
  if (!shared_ || kind_ != ValueKind::kObject) return {};
  const auto* h = reinterpret_cast<const SharedHeader*>(o_) - 1;
  return {h->json, h->size};
}

SharedValue::SharedValue(const Value& object) {
  if (!object.is_object()) return;
  std::string json;
  JsonWriter(json).value(object);
  auto arena = std::make_shared<Arena>(clone_size(object) + json.size() + sizeof(SharedHeader) + 256);
  auto members = object.as_object();
  void* block = arena->allocate(sizeof(SharedHeader) + members.size() * sizeof(Member), alignof(Member));
  auto* header = static_cast<SharedHeader*>(block);
  auto* out = reinterpret_cast<Member*>(header + 1);
  for (size_t i = 0; i < members.size(); ++i) {
    const Member& m = members[i];
    new (&out[i]) Member{m.key, m.key == kNoKey ? arena->copy(m.name) : m.name, clone_into(m.value, *arena)};
  }
  std::string_view stored = arena->copy(json);
  new (header) SharedHeader{stored.data(), stored.size()};
  value_ = Value::object_of(out, static_cast<uint32_t>(members.size()));
  value_.shared_ = true;
  storage_ = std::move(arena);
}

Event Event::clone() const {
  if (!root_) return {};
  size_t size = clone_size(*root_) + sizeof(Value) + 64;
  auto arena = std::make_shared<Arena>(size);
  Value* root = arena->allocate_array<Value>(1);
  *root = clone_into(*root_, *arena);
  return Event(root, std::move(arena));
}

// ---------------------------------------------------------------------------------------------
// EventBuilder

namespace {
constexpr uint32_t kNone = 0xFFFFFFFFu;
}

namespace {
constexpr size_t kInternCacheSize = 512;  // a power of two; ECS documents use ~150 distinct keys

inline uint64_t key_bit(KeyId key) { return uint64_t{1} << (key & 63); }

// FNV-1a: names are short, so a simple byte loop is as fast as anything here.
inline uint32_t name_hash(std::string_view name) {
  uint32_t h = 2166136261u;
  for (unsigned char c : name) h = (h ^ c) * 16777619u;
  return h;
}
}  // namespace

EventBuilder::EventBuilder() : intern_cache_(kInternCacheSize), arena_(64 * 1024) { reset(); }

void EventBuilder::reset() {
  containers_.clear();
  slots_.clear();
  arena_.reset();
  new_container(false);  // the root object
}

EventBuilder::Node EventBuilder::new_container(bool is_array) {
  Container& c = containers_.emplace_back();  // in place, as in add_slot
  c.is_array = is_array;
  c.first = kNone;
  c.last = kNone;
  return static_cast<Node>(containers_.size() - 1);
}

EventBuilder::Slot& EventBuilder::add_slot(Node container, KeyId key, std::string_view name,
                                           bool replace) {
  if (replace && (containers_[container].key_bits & key_bit(key))) {
    for (uint32_t i = containers_[container].first; i != kNone; i = slots_[i].next) {
      if (slots_[i].key == key && (key != kNoKey || slots_[i].name == name)) {
        slots_[i].child = kNone;
        return slots_[i];
      }
    }
  }
  auto idx = static_cast<uint32_t>(slots_.size());
  // Constructed in place, member by member: a Slot temporary copied in made the compiler reload
  // freshly written narrow stores as 16-byte vectors (a store-forwarding stall on every member).
  Slot& slot = slots_.emplace_back();
  slot.key = key;
  slot.name = name;
  slot.child = kNone;
  slot.next = kNone;
  Container& c = containers_[container];
  if (c.last == kNone) c.first = idx;
  else slots_[c.last].next = idx;
  c.last = idx;
  ++c.count;
  c.key_bits |= key_bit(key);
  return slot;
}

EventBuilder::Node EventBuilder::object(Node parent, KeyId key) {
  if (key != kNoKey && (containers_[parent].key_bits & key_bit(key))) {
    for (uint32_t i = containers_[parent].first; i != kNone; i = slots_[i].next) {
      if (slots_[i].key == key) {
        if (slots_[i].child != kNone && !containers_[slots_[i].child].is_array) return slots_[i].child;
        Node n = new_container(false);
        slots_[i].child = n;
        return n;
      }
    }
  }
  Node n = new_container(false);
  add_slot(parent, key, KeyTable::name(key), false).child = n;
  return n;
}

EventBuilder::Node EventBuilder::object(Node parent, const FieldPath& path) {
  Node n = parent;
  for (KeyId k : path.keys()) n = object(n, k);
  return n;
}

EventBuilder::Node EventBuilder::array(Node parent, KeyId key) {
  Node n = new_container(true);
  add_slot(parent, key, KeyTable::name(key), true).child = n;
  return n;
}

void EventBuilder::set_string(Node obj, KeyId key, std::string_view v) {
  add_slot(obj, key, KeyTable::name(key), true).value = Value::string_view_of(arena_.copy(v));
}
void EventBuilder::set_int(Node obj, KeyId key, int64_t v) {
  add_slot(obj, key, KeyTable::name(key), true).value = Value::integer(v);
}
void EventBuilder::set_double(Node obj, KeyId key, double v) {
  add_slot(obj, key, KeyTable::name(key), true).value = Value::number(v);
}
void EventBuilder::set_bool(Node obj, KeyId key, bool v) {
  add_slot(obj, key, KeyTable::name(key), true).value = Value::boolean(v);
}
void EventBuilder::set_null(Node obj, KeyId key) {
  add_slot(obj, key, KeyTable::name(key), true).value = Value::null();
}

void EventBuilder::set_shared(Node obj, KeyId key, const SharedValue& v) {
  add_slot(obj, key, KeyTable::name(key), true).value = v.value();
}

bool EventBuilder::remove(Node obj, KeyId key) {
  Container& c = containers_[obj];
  uint32_t prev = kNone;
  for (uint32_t i = c.first; i != kNone; prev = i, i = slots_[i].next) {
    if (slots_[i].key != key) continue;
    if (prev == kNone) c.first = slots_[i].next;
    else slots_[prev].next = slots_[i].next;
    if (c.last == i) c.last = prev;
    --c.count;
    return true;
  }
  return false;
}

bool EventBuilder::has(Node obj, KeyId key) const {
  if (!(containers_[obj].key_bits & key_bit(key))) return false;
  for (uint32_t i = containers_[obj].first; i != kNone; i = slots_[i].next) {
    if (slots_[i].key == key) return true;
  }
  return false;
}

size_t EventBuilder::member_count(Node n) const { return containers_[n].count; }

void EventBuilder::set_string(const FieldPath& path, std::string_view v) {
  auto keys = path.keys();
  if (keys.empty()) return;
  Node n = kRoot;
  for (size_t i = 0; i + 1 < keys.size(); ++i) n = object(n, keys[i]);
  set_string(n, keys.back(), v);
}

void EventBuilder::set_int(const FieldPath& path, int64_t v) {
  auto keys = path.keys();
  if (keys.empty()) return;
  Node n = kRoot;
  for (size_t i = 0; i + 1 < keys.size(); ++i) n = object(n, keys[i]);
  set_int(n, keys.back(), v);
}

// Interned key and a stable name for it; past the KeyTable cap the name lives in the arena.
std::pair<KeyId, std::string_view> EventBuilder::key_for(std::string_view name) {
  InternEntry& e = intern_cache_[name_hash(name) & (kInternCacheSize - 1)];
  if (e.name && equal_short({e.name, e.size}, name)) {
    return {e.key, {e.name, e.size}};
  }
  KeyId k = KeyTable::intern(name);
  if (k == kNoKey) return {k, arena_.copy(name)};
  std::string_view stored = KeyTable::name(k);
  e = InternEntry{stored.data(), static_cast<uint32_t>(stored.size()), k};
  return {k, stored};
}

EventBuilder::Node EventBuilder::append_object(Node obj, std::string_view name) {
  auto [k, stored] = key_for(name);
  if (k != kNoKey) return object(obj, k);
  Node n = new_container(false);
  add_slot(obj, k, stored, false).child = n;
  return n;
}

EventBuilder::Node EventBuilder::append_array(Node obj, std::string_view name) {
  auto [k, stored] = key_for(name);
  Node n = new_container(true);
  add_slot(obj, k, stored, false).child = n;
  return n;
}

void EventBuilder::append_string(Node obj, std::string_view name, std::string_view v) {
  auto [k, stored] = key_for(name);
  add_slot(obj, k, stored, false).value = Value::string_view_of(arena_.copy(v));
}
void EventBuilder::append_int(Node obj, std::string_view name, int64_t v) {
  auto [k, stored] = key_for(name);
  add_slot(obj, k, stored, false).value = Value::integer(v);
}
void EventBuilder::append_double(Node obj, std::string_view name, double v) {
  auto [k, stored] = key_for(name);
  add_slot(obj, k, stored, false).value = Value::number(v);
}
void EventBuilder::append_bool(Node obj, std::string_view name, bool v) {
  auto [k, stored] = key_for(name);
  add_slot(obj, k, stored, false).value = Value::boolean(v);
}
void EventBuilder::append_null(Node obj, std::string_view name) {
  auto [k, stored] = key_for(name);
  add_slot(obj, k, stored, false).value = Value::null();
}

void EventBuilder::push_string(Node arr, std::string_view v) {
  add_slot(arr, kNoKey, {}, false).value = Value::string_view_of(arena_.copy(v));
}
void EventBuilder::push_int(Node arr, int64_t v) { add_slot(arr, kNoKey, {}, false).value = Value::integer(v); }
void EventBuilder::push_double(Node arr, double v) { add_slot(arr, kNoKey, {}, false).value = Value::number(v); }
void EventBuilder::push_bool(Node arr, bool v) { add_slot(arr, kNoKey, {}, false).value = Value::boolean(v); }
void EventBuilder::push_null(Node arr) { add_slot(arr, kNoKey, {}, false).value = Value::null(); }
EventBuilder::Node EventBuilder::push_object(Node arr) {
  Node n = new_container(false);
  add_slot(arr, kNoKey, {}, false).child = n;
  return n;
}
EventBuilder::Node EventBuilder::push_array(Node arr) {
  Node n = new_container(true);
  add_slot(arr, kNoKey, {}, false).child = n;
  return n;
}

Value EventBuilder::lay_out(Node n) {
  const Container& c = containers_[n];
  if (c.is_array) {
    Value* items = arena_.allocate_array<Value>(c.count);
    uint32_t k = 0;
    for (uint32_t i = c.first; i != kNone; i = slots_[i].next, ++k) {
      items[k] = slots_[i].child != kNone ? lay_out(slots_[i].child) : slots_[i].value;
    }
    return Value::array_of(items, c.count);
  }
  Member* members = arena_.allocate_array<Member>(c.count);
  uint32_t k = 0;
  for (uint32_t i = c.first; i != kNone; i = slots_[i].next, ++k) {
    const Slot& s = slots_[i];
    new (&members[k]) Member{s.key, s.name, s.child != kNone ? lay_out(s.child) : s.value};
  }
  return Value::object_of(members, c.count);
}

Event EventBuilder::finish() {
  Value* root = arena_.allocate_array<Value>(1);
  *root = lay_out(kRoot);
  return Event(root);
}

}  // namespace audetect
