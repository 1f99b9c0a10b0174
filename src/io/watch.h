// The live side of `audetect watch`: where records come from (kernel netlink, a followed log file,
// standard input) and the bounded hand-off between the thread that reads them and the thread that
// assembles, normalizes and detects. Engine-agnostic: the command wires the consumer.
//
// Backpressure: with `block` the reader waits for room, the kernel's backlog absorbs the burst and,
// when that is full, audited processes wait at most the kernel's backlog_wait_time (finite) before the
// kernel counts the record lost; with `drop` whole events are dropped at the queue and counted, and as
// the audit daemon audetect sets backlog_wait_time 0 so that audited processes never wait. Either way
// the kernel is never blocked indefinitely (auditbeat's history: a stalled reader stalls the host).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/status.h"
#include "io/audit_status.h"
#include "io/follow.h"
#include "io/netlink.h"

namespace audetect::io {

enum class Backpressure : uint8_t { kBlock, kDrop };
enum class SocketType : uint8_t { kAuto, kMulticast, kUnicast };
bool parse_backpressure(std::string_view name, Backpressure* out);
bool parse_socket_type(std::string_view name, SocketType* out);
std::string_view to_string(SocketType type);

// auditbeat's auto choice: multicast when the kernel has the read-log group and audetect is not asked
// to manage rules (or the configuration is locked, or another daemon owns the stream); unicast
// otherwise.
SocketType choose_socket_type(SocketType requested, bool manage_rules, const AuditStatus& status,
                              bool multicast_available, std::string* why);

// Record types auditbeat passes on: 1100..2999 except AUDIT_REPLACE (1329, a liveness probe), plus
// LOGIN (1006).
bool is_forwarded_record_type(uint32_t type);

// "type=SYSCALL msg=audit(...): ..." from a netlink record, into `out` (reused).
void netlink_record_to_line(uint16_t type, std::string_view payload, std::string& out);

// The serial of an "audit(sec.ms:serial)" header anywhere in the first bytes of a line; 0 if none.
uint64_t record_serial(std::string_view line);

struct QueueCounters {
  uint64_t pushed = 0;
  uint64_t dropped_records = 0;
  uint64_t dropped_events = 0;  // distinct serials with at least one dropped record
  uint64_t partial_events = 0;  // of those, events whose first records had already been queued
  uint64_t blocked_waits = 0;   // times the reader waited for room
  size_t depth = 0;
  size_t high_water = 0;
};

// A bounded queue of lines between one reader and one consumer. Slots keep their string capacity,
// so steady state allocates nothing.
class RecordQueue {
 public:
  RecordQueue(size_t capacity, Backpressure mode);

  // Reader side. Returns false only when the queue was closed.
  bool push(std::string_view line);
  void close();  // no more pushes; pop() drains what is left

  // Consumer side: swaps the oldest line into `out`. Waits up to timeout_ms; false when nothing
  // arrived (or the queue is closed and empty).
  bool pop(std::string& out, int timeout_ms);
  bool closed_and_empty() const;

  QueueCounters counters() const;

 private:
  const size_t capacity_;
  const Backpressure mode_;
  mutable std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::vector<std::string> slots_;
  size_t head_ = 0, size_ = 0;
  bool closed_ = false;
  uint64_t last_dropped_serial_ = 0;
  uint64_t last_pushed_serial_ = 0;
  QueueCounters counters_;
};

// A Prometheus text endpoint on 127.0.0.1: GET /metrics returns the last published snapshot. One
// thread; requests are read with a size cap and a timeout (a port is reachable by every local user).
class MetricsServer {
 public:
  // Port 0 picks a free one (see port()).
  static Result<std::unique_ptr<MetricsServer>> start(uint16_t port);
  ~MetricsServer();
  void publish(std::string text);
  uint16_t port() const { return port_; }

 private:
  MetricsServer() = default;
  void serve();
  int listen_fd_ = -1;
  int wake_fd_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::mutex mu_;
  std::string text_;
  std::thread thread_;
};

// What the kernel looked like before audetect changed it, and what it changed, so that exit restores
// exactly that: rules added (only those), the enabled flag, the pid, backlog settings.
struct KernelSessionOptions {
  SocketType socket_type = SocketType::kAuto;
  std::vector<std::string> audit_rules;  // to install (already deduplicated); empty: none
  bool install_rules = false;
  uint32_t backlog_limit = 8192;  // auditbeat's default, applied as the unicast daemon
  // Backpressure at the kernel, as the unicast daemon. With `block` the kernel's own backlog_wait_time
  // (finite: audited processes wait at most that long for room, then the record is counted lost) is
  // kept, so a reader that keeps up on average loses nothing; with `drop` it is set to 0 so audited
  // processes never wait and overflow is dropped (and counted) at once.
  Backpressure backpressure = Backpressure::kBlock;
  std::string lock_path = KernelAuditLock::kDefaultPath;  // "" = no lock
  AuditRuleParseOptions rule_options;
};

class KernelSession {
 public:
  // Opens the sockets, picks the socket type, registers/installs/enables as needed. `notes` gets
  // human-readable lines about what was done.
  static Result<std::unique_ptr<KernelSession>> start(const KernelSessionOptions& options,
                                                      std::vector<std::string>& notes);
  ~KernelSession();  // restores (best effort) if finish() was not called

  AuditNetlink& reader() { return *reader_; }
  AuditNetlink& control() { return *control_; }
  SocketType socket_type() const { return type_; }
  const std::vector<AuditRuleData>& added_rules() const { return added_; }
  // Installs rules needed after a reload; only missing ones; remembered for removal.
  Status install_more(const std::vector<std::string>& audit_rules, std::vector<std::string>& notes);
  // Puts the kernel back: removes the rules we added, unregisters, restores enabled/backlog settings.
  Status finish(std::vector<std::string>& notes);

 private:
  KernelSession() = default;
  std::unique_ptr<AuditNetlink> reader_, control_;
  std::optional<KernelAuditLock> lock_;
  SocketType type_ = SocketType::kMulticast;
  AuditStatus before_;
  bool registered_ = false, enabled_changed_ = false, backlog_changed_ = false, finished_ = false;
  std::vector<AuditRuleData> added_;
  AuditRuleParseOptions rule_options_;
};

}  // namespace audetect::io
