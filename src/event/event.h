// The one in-memory event model shared by the normalizer, the JSON reader and the query engine.
//
// An event is an immutable tree of typed values (null, bool, int, double, string, array, object).
// Object keys are interned once into KeyIds, and a FieldPath compiles a dotted name into KeyIds once,
// so looking a field up per event compares small integers and never hashes a string.
// Events are built with an EventBuilder whose storage is reused from event to event; an Event is a
// view into that storage, valid until the builder's next reset(). Event::clone() makes an owning copy
// for consumers that keep events (sequences, alert windows).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/arena.h"

namespace audetect {

using KeyId = uint32_t;
inline constexpr KeyId kNoKey = 0xFFFFFFFFu;

// Process-wide table of interned key segments ("process", "parent", "pid"). Thread-safe.
// Interning stops at a cap (hostile JSON could carry endless distinct keys); past the cap, intern()
// returns kNoKey and such members keep their name but can only be found by name.
class KeyTable {
 public:
  static KeyId intern(std::string_view name);
  static KeyId find(std::string_view name);  // kNoKey if never interned
  static std::string_view name(KeyId id) { return entry(id).name; }  // stable for the process
  // `"name":` ready for a JSON writer; empty when the name needs escaping (or id is unknown). At least
  // kJsonKeyPadding readable bytes follow it, so a writer may copy it in whole 16-byte blocks.
  static std::string_view json_key(KeyId id) { return entry(id).json_key; }
  static constexpr size_t kJsonKeyPadding = 16;
  static size_t size();
  static constexpr size_t kMaxKeys = 1u << 20;
  static constexpr size_t kChunkBits = 12;  // ids per storage chunk: 1 << kChunkBits

 private:
  struct Entry {
    std::string_view name;
    std::string_view json_key;
  };
  // Entries live in fixed-size chunks that never move; a chunk pointer is published (release)
  // before any id inside it, so reading a name takes no lock (it is on every field's path).
  static std::atomic<const Entry*> chunks_[kMaxKeys >> kChunkBits];
  static std::atomic<size_t> count_;
  static const Entry& entry(KeyId id) {
    static constexpr Entry kUnknown{};
    if (id >= count_.load(std::memory_order_acquire)) return kUnknown;
    return chunks_[id >> kChunkBits].load(std::memory_order_acquire)[id & ((size_t{1} << kChunkBits) - 1)];
  }
};

enum class ValueKind : uint8_t { kNull, kBool, kInt, kDouble, kString, kArray, kObject };

struct Member;

class Value {
 public:
  constexpr Value() : kind_(ValueKind::kNull), shared_(false), size_(0), i_(0) {}

  ValueKind kind() const { return kind_; }
  bool is_null() const { return kind_ == ValueKind::kNull; }
  bool is_bool() const { return kind_ == ValueKind::kBool; }
  bool is_int() const { return kind_ == ValueKind::kInt; }
  bool is_double() const { return kind_ == ValueKind::kDouble; }
  bool is_number() const { return is_int() || is_double(); }
  bool is_string() const { return kind_ == ValueKind::kString; }
  bool is_array() const { return kind_ == ValueKind::kArray; }
  bool is_object() const { return kind_ == ValueKind::kObject; }

  bool as_bool() const { return b_; }
  int64_t as_int() const { return i_; }
  double as_double() const { return d_; }
  double as_number() const { return is_int() ? static_cast<double>(i_) : d_; }
  std::string_view as_string() const { return {s_, size_}; }
  std::span<const Value> as_array() const { return {a_, size_}; }
  std::span<const Member> as_object() const;

  // The JSON rendered once for an object made by SharedValue; empty for every other value.
  std::string_view shared_json() const;

  // Direct member of an object (no path walk); nullptr when absent or not an object.
  const Value* member(KeyId key) const;
  const Value* member(std::string_view name) const;

  static constexpr Value null() { return {}; }
  static Value boolean(bool b) { Value v; v.kind_ = ValueKind::kBool; v.b_ = b; return v; }
  static Value integer(int64_t i) { Value v; v.kind_ = ValueKind::kInt; v.i_ = i; return v; }
  static Value number(double d) { Value v; v.kind_ = ValueKind::kDouble; v.d_ = d; return v; }
  // The view is not copied: the caller guarantees its lifetime (builder arena, static text).
  static Value string_view_of(std::string_view s);
  static Value array_of(const Value* items, uint32_t n);
  static Value object_of(const Member* members, uint32_t n);

 private:
  friend class SharedValue;
  ValueKind kind_;
  bool shared_;  // an object laid out by SharedValue, with its JSON stored before its members
  uint32_t size_;
  union {
    bool b_;
    int64_t i_;
    double d_;
    const char* s_;
    const Value* a_;
    const Member* o_;
  };
};

struct Member {
  KeyId key;              // kNoKey past the KeyTable cap
  std::string_view name;  // always set
  Value value;
};

inline std::span<const Member> Value::as_object() const { return {o_, size_}; }

// A dotted field name compiled once. Segments are split on '.'; use the segment constructor for
// names whose segments contain dots (EQL backquoted names).
class FieldPath {
 public:
  FieldPath() = default;
  explicit FieldPath(std::string_view dotted);
  explicit FieldPath(std::vector<std::string> segments);

  std::span<const KeyId> keys() const { return keys_; }
  const std::vector<std::string>& segments() const { return segments_; }
  const std::string& text() const { return text_; }  // dotted form
  bool empty() const { return keys_.empty(); }
  bool operator==(const FieldPath& o) const { return text_ == o.text_; }

 private:
  std::vector<KeyId> keys_;
  std::vector<std::string> segments_;
  std::string text_;
};

class Event {
 public:
  Event() = default;
  explicit Event(const Value* root, std::shared_ptr<const void> owner = nullptr)
      : root_(root), owner_(std::move(owner)) {}

  bool valid() const { return root_ != nullptr; }
  const Value& root() const { return *root_; }

  // The value at `path` following objects only (an array on the way ends the walk: nullptr).
  const Value* get(const FieldPath& path) const;

  // Elasticsearch's view of a field: every non-null leaf value at `path`, arrays flattened at any
  // depth (arrays of objects contribute each element's member). Returns how many values were seen.
  template <class Fn>
  size_t for_each_value(const FieldPath& path, Fn&& fn) const {
    if (!root_) return 0;
    return visit(*root_, path.keys(), path.segments(), 0, fn);
  }

  // An owning deep copy in one allocation, independent of the builder that made this event.
  Event clone() const;

 private:
  template <class Fn>
  static size_t visit(const Value& v, std::span<const KeyId> keys,
                      const std::vector<std::string>& segs, size_t depth, Fn& fn);

  const Value* root_ = nullptr;
  std::shared_ptr<const void> owner_;
};

template <class Fn>
size_t Event::visit(const Value& v, std::span<const KeyId> keys, const std::vector<std::string>& segs,
                    size_t depth, Fn& fn) {
  if (v.is_array()) {
    size_t n = 0;
    for (const Value& e : v.as_array()) n += visit(e, keys, segs, depth, fn);
    return n;
  }
  if (depth == keys.size()) {
    if (v.is_null() || v.is_object()) return 0;
    fn(v);
    return 1;
  }
  if (!v.is_object()) return 0;
  const Value* m = keys[depth] != kNoKey ? v.member(keys[depth]) : v.member(segs[depth]);
  return m ? visit(*m, keys, segs, depth + 1, fn) : 0;
}

// An object built once and put into many events (the host metadata of every document): laid out
// once and rendered to JSON once, so adding it to an event costs one member and writing it one copy.
class SharedValue {
 public:
  SharedValue() = default;
  // Deep-copies `object` (which must be an object) and renders its JSON.
  explicit SharedValue(const Value& object);
  bool valid() const { return storage_ != nullptr; }
  const Value& value() const { return value_; }

 private:
  std::shared_ptr<const Arena> storage_;
  Value value_;
};

// Builds one event at a time. Objects may be reopened and fields set in any order; finish() lays
// the tree out compactly. All storage is reused after reset().
class EventBuilder {
 public:
  using Node = uint32_t;  // an object or array under construction
  static constexpr Node kRoot = 0;

  EventBuilder();
  void reset();  // invalidates the Event previously returned by finish()

  // Object members. set_* replaces an existing member with the same key; append_* does not look
  // (faster, for input that is known to have distinct keys).
  Node object(Node parent, KeyId key);             // get-or-create child object
  Node object(Node parent, const FieldPath& path);  // get-or-create along a path
  Node array(Node parent, KeyId key);              // creates (or clears) an array member
  void set_string(Node obj, KeyId key, std::string_view v);  // copies v
  void set_int(Node obj, KeyId key, int64_t v);
  void set_double(Node obj, KeyId key, double v);
  void set_bool(Node obj, KeyId key, bool v);
  void set_null(Node obj, KeyId key);
  // Puts a value whose storage outlives the event (a SharedValue's); nothing is copied.
  void set_shared(Node obj, KeyId key, const SharedValue& v);
  bool remove(Node obj, KeyId key);
  bool has(Node obj, KeyId key) const;

  // Path conveniences: intermediate objects are created as needed.
  void set_string(const FieldPath& path, std::string_view v);
  void set_int(const FieldPath& path, int64_t v);

  // Members by name (for input whose keys are not known in advance). The key is interned.
  Node append_object(Node obj, std::string_view name);
  Node append_array(Node obj, std::string_view name);
  void append_string(Node obj, std::string_view name, std::string_view v);
  void append_int(Node obj, std::string_view name, int64_t v);
  void append_double(Node obj, std::string_view name, double v);
  void append_bool(Node obj, std::string_view name, bool v);
  void append_null(Node obj, std::string_view name);

  // Array elements.
  void push_string(Node arr, std::string_view v);
  void push_int(Node arr, int64_t v);
  void push_double(Node arr, double v);
  void push_bool(Node arr, bool v);
  void push_null(Node arr);
  Node push_object(Node arr);
  Node push_array(Node arr);

  size_t member_count(Node n) const;

  // Lays out the tree; the Event is valid until reset().
  Event finish();

 private:
  struct Slot {  // one member or element under construction
    KeyId key;
    std::string_view name;
    Value value;
    uint32_t child;  // container index when the slot holds an object/array under construction
    uint32_t next;   // next slot of the same container
  };
  struct Container {
    bool is_array;
    uint32_t first;
    uint32_t last;
    uint32_t count;
    // One bit per key (key % 64) of the members added so far: a clear bit proves a key absent,
    // so most set_*/object() calls skip the walk over the members.
    uint64_t key_bits;
  };
  // A small direct-mapped cache in front of KeyTable::intern for append_* (no lock, no std::hash).
  struct InternEntry {
    const char* name = nullptr;  // KeyTable's stable copy
    uint32_t size = 0;
    KeyId key = kNoKey;
  };
  Slot& add_slot(Node container, KeyId key, std::string_view name, bool replace);
  Node new_container(bool is_array);
  Value lay_out(Node n);
  std::pair<KeyId, std::string_view> key_for(std::string_view name);

  std::vector<Container> containers_;
  std::vector<Slot> slots_;
  std::vector<InternEntry> intern_cache_;
  Arena arena_;
};

}  // namespace audetect
