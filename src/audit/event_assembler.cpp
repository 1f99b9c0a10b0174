// Event assembly as go-libaudit's Reassembler does it (audit-to-ecs.md §5, §16.2), per node, in
// record time. Groups and their storage are pooled so a steady stream allocates nothing.
//
// Differences from go-libaudit: time only advances through expire() (the caller passes record time
// for files, the wall clock live); a released serial at or below the previous one (a late group) is
// not counted as ~2^32 lost events; one event is capped in records and bytes, and the number of
// node= streams is capped (the least recently used busy node is flushed), so hostile input cannot
// grow memory without bound.
#include <algorithm>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>

#include "audit/audit.h"

namespace audetect::audit {

namespace {

// Two serials further apart than this are taken to have wrapped around 2^32 (go-libaudit's
// maxSortRange): the larger one is then the older.
constexpr int64_t kMaxSortRange = (int64_t{1} << 24) - 1;

bool serial_less(uint32_t a, uint32_t b) {
  int64_t diff = std::llabs(static_cast<int64_t>(a) - static_cast<int64_t>(b));
  if (diff > kMaxSortRange) return a > b;
  return a < b;
}

// Record types that end an event by themselves (go-libaudit event.Add).
bool completes_event(uint32_t type) {
  return type == kProctitle || type <= 1299 || type >= 2100;
}

// Distinct node= names tracked at once; beyond that idle ones are forgotten, then the oldest busy
// one is flushed (hostile input could name a new node on every line).
constexpr size_t kMaxNodes = 256;

// Views that point into the record's own text are rebased onto the copy; everything else
// (decoded values, names the parser made up) is copied.
inline std::string_view rebase(std::string_view v, std::string_view from, std::string_view to, Arena& arena) {
  if (v.empty()) return {};
  if (v.data() >= from.data() && v.data() + v.size() <= from.data() + from.size()) {
    return to.substr(static_cast<size_t>(v.data() - from.data()), v.size());
  }
  return arena.copy(v);
}

// A record copied into `arena` (the parser's storage is reused for the next line); `node` is left to the
// caller.
void copy_record(const AuditRecord& in, AuditRecord& r, Arena& arena) {
  r.type = in.type;
  r.time_ms = in.time_ms;
  r.serial = in.serial;
  r.text = arena.copy(in.text);
  auto* fields = arena.allocate_array<AuditField>(in.fields.size());
  for (size_t i = 0; i < in.fields.size(); ++i) {
    fields[i].name = rebase(in.fields[i].name, in.text, r.text, arena);
    fields[i].value = rebase(in.fields[i].value, in.text, r.text, arena);
  }
  r.fields = {fields, in.fields.size()};
  auto* tags = arena.allocate_array<std::string_view>(in.tags.size());
  for (size_t i = 0; i < in.tags.size(); ++i) tags[i] = rebase(in.tags[i], in.text, r.text, arena);
  r.tags = {tags, in.tags.size()};
  r.error = arena.copy(in.error);
}

}  // namespace

struct EventAssembler::Impl {
  struct Group {
    uint32_t serial = 0;
    int64_t time_ms = 0;
    int64_t expire_at = 0;
    bool complete = false;
    size_t bytes = 0;
    std::vector<AuditRecord> records;
    Arena arena{16 * 1024};
  };
  struct Node {
    std::string name;
    std::vector<Group*> pending;  // sorted by serial_less
    uint32_t last_serial = 0;
    uint64_t last_used = 0;
  };

  Sink sink;
  AssemblerOptions options;
  AssemblerStats stats;
  int64_t now = std::numeric_limits<int64_t>::min();
  uint64_t tick = 0;
  std::vector<std::unique_ptr<Node>> nodes;
  std::vector<std::unique_ptr<Group>> all_groups;
  std::vector<Group*> free_groups;

  Node& node_for(std::string_view name) {
    for (auto& n : nodes) {
      if (n->name == name) {
        n->last_used = ++tick;
        return *n;
      }
    }
    if (nodes.size() >= kMaxNodes) evict_node();
    auto n = std::make_unique<Node>();
    n->name.assign(name);
    n->last_used = ++tick;
    nodes.push_back(std::move(n));
    return *nodes.back();
  }

  void evict_node() {
    std::erase_if(nodes, [](const std::unique_ptr<Node>& n) { return n->pending.empty(); });
    if (nodes.size() < kMaxNodes) return;
    auto oldest = std::min_element(nodes.begin(), nodes.end(), [](const auto& a, const auto& b) {
      return a->last_used < b->last_used;
    });
    release_all(**oldest);
    nodes.erase(oldest);
  }

  Group* new_group() {
    if (free_groups.empty()) {
      all_groups.push_back(std::make_unique<Group>());
      return all_groups.back().get();
    }
    Group* g = free_groups.back();
    free_groups.pop_back();
    return g;
  }

  Group* find(Node& node, uint32_t serial) {
    for (Group* g : node.pending) {
      if (g->serial == serial) return g;
    }
    return nullptr;
  }

  void insert_sorted(Node& node, Group* g) {
    auto pos = std::find_if(node.pending.begin(), node.pending.end(),
                            [&](const Group* other) { return serial_less(g->serial, other->serial); });
    node.pending.insert(pos, g);
  }

  void store(Group& g, const Node& node, const AuditRecord& in) {
    AuditRecord& r = g.records.emplace_back();
    copy_record(in, r, g.arena);
    r.node = node.name;
  }

  static size_t record_bytes(const AuditRecord& r) {
    size_t n = r.text.size() + r.error.size() + 64;
    for (const AuditField& f : r.fields) n += f.name.size() + f.value.size() + sizeof(AuditField);
    for (std::string_view t : r.tags) n += t.size() + sizeof(t);
    return n;
  }

  void release(Node& node, Group* g) {
    if (node.last_serial > 0) {
      // go-libaudit adds (serial - last - 1) as uint32 arithmetic; a late group (serial at or
      // below the last one) would then count ~4 billion losses. Such wrapped gaps are not counted.
      uint32_t gap = g->serial - node.last_serial - 1;
      if (gap < kMaxSortRange) stats.lost += gap;
    }
    node.last_serial = g->serial;
    AuditEvent event;
    event.serial = g->serial;
    event.time_ms = g->time_ms;
    event.node = node.name;
    event.records = g->records;
    event.complete = g->complete;
    event.storage = &g->arena;
    ++stats.events;
    if (!g->complete) ++stats.incomplete;
    if (sink) sink(event);
    g->records.clear();
    g->arena.reset();
    g->bytes = 0;
    g->complete = false;
    free_groups.push_back(g);
  }

  void clean_up(Node& node) {
    while (!node.pending.empty()) {
      Group* head = node.pending.front();
      if (head->complete || node.pending.size() > options.max_in_flight || now > head->expire_at) {
        node.pending.erase(node.pending.begin());
        release(node, head);
        continue;
      }
      break;
    }
  }

  void release_all(Node& node) {
    while (!node.pending.empty()) {
      Group* head = node.pending.front();
      node.pending.erase(node.pending.begin());
      release(node, head);
    }
  }
};

EventAssembler::EventAssembler(Sink sink, AssemblerOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->sink = std::move(sink);
  impl_->options = options;
  if (impl_->options.max_in_flight == 0) impl_->options.max_in_flight = 1;
}

EventAssembler::~EventAssembler() = default;

void EventAssembler::add(const AuditRecord& record) {
  Impl& im = *impl_;
  ++im.stats.records;
  Impl::Node& node = im.node_for(record.node);
  Impl::Group* g = im.find(node, record.serial);
  if (record.type == kEoe) {
    // EOE marks its group complete and is not stored; an EOE without a group is ignored.
    if (g) g->complete = true;
    im.clean_up(node);
    return;
  }
  if (!g) {
    g = im.new_group();
    g->serial = record.serial;
    g->time_ms = record.time_ms;
    // The group's clock starts at the current time: the last expire() time, or the record's own
    // time if that is later (file replay drives expire() with record time, live input with the
    // wall clock, which the kernel's record time follows).
    int64_t start = std::max(im.now, record.time_ms);
    g->expire_at = start > std::numeric_limits<int64_t>::max() - im.options.timeout_ms
                       ? std::numeric_limits<int64_t>::max()
                       : start + im.options.timeout_ms;
    g->complete = false;
    im.insert_sorted(node, g);
  }
  size_t bytes = Impl::record_bytes(record);
  if (g->records.size() >= im.options.max_records_per_event ||
      g->bytes + bytes > im.options.max_bytes_per_event) {
    ++im.stats.dropped_records;
  } else {
    g->bytes += bytes;
    im.store(*g, node, record);
    if (completes_event(record.type)) g->complete = true;
  }
  im.clean_up(node);
}

void EventAssembler::expire(int64_t now_ms) {
  Impl& im = *impl_;
  im.now = std::max(im.now, now_ms);
  for (auto& node : im.nodes) im.clean_up(*node);
}

void EventAssembler::flush() {
  Impl& im = *impl_;
  for (auto& node : im.nodes) im.release_all(*node);
}

const AssemblerStats& EventAssembler::stats() const { return impl_->stats; }

}  // namespace audetect::audit
