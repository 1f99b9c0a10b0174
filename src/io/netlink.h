// An audit netlink client (NETLINK_AUDIT): status get/set, rule list/add/delete with ACK handling, and
// receiving audit records as the registered audit daemon (unicast) or as a read-only multicast
// listener (AUDIT_NLGRP_READLOG). Messages whose sender port id is not 0 (not the kernel) are dropped.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "io/audit_rule.h"
#include "io/audit_status.h"

namespace audetect::io {

// The longest record text the kernel sends (MAX_AUDIT_MESSAGE_LENGTH).
inline constexpr size_t kMaxAuditMessageLength = 8970;

struct AuditNetlinkMessage {
  uint16_t type = 0;         // record type (1300 SYSCALL, ...)
  std::string_view payload;  // "audit(1700000000.123:42): ..." trimmed of trailing NUL/blanks;
                             // valid until the next receive()
};

struct AuditNetlinkCounters {
  uint64_t received = 0;        // records handed out
  uint64_t foreign_dropped = 0; // messages not sent by the kernel
  uint64_t overruns = 0;        // ENOBUFS: the socket buffer overflowed, records were lost there
  uint64_t truncated = 0;       // datagrams longer than the buffer
  uint64_t malformed = 0;       // headers with impossible lengths
};

class AuditNetlink {
 public:
  enum class Group { kNone, kReadLog };

  // Opens and binds a NETLINK_AUDIT socket. kReadLog joins the multicast group (needs CAP_AUDIT_READ);
  // kNone gives a socket for control requests and, after register_as_daemon(), unicast records.
  static Result<std::unique_ptr<AuditNetlink>> open(Group group = Group::kNone);
  ~AuditNetlink();
  AuditNetlink(const AuditNetlink&) = delete;
  AuditNetlink& operator=(const AuditNetlink&) = delete;

  int fd() const { return fd_; }

  Result<AuditStatus> get_status();
  // Applies the fields selected by `status.mask`.
  Status set_status(const AuditStatus& status);
  Status set_enabled(uint32_t enabled);
  Status set_failure(uint32_t failure);
  Status set_rate_limit(uint32_t per_second);
  Status set_backlog_limit(uint32_t limit);
  Status set_backlog_wait_time(uint32_t jiffies);
  // AUDIT_SET pid = this process, sent from this socket: the kernel then unicasts every record here.
  // EEXIST-style failures (another daemon is registered) come back as an error naming the pid.
  Status register_as_daemon();
  // AUDIT_SET pid = 0, only if we are the registered daemon.
  Status unregister_daemon();

  Result<std::vector<AuditRuleData>> list_rules();
  Status add_rule(const AuditRuleData& rule);
  Status delete_rule(const AuditRuleData& rule);

  // Next audit record (types 1000..2999 outside the control replies). Returns true with `out` set,
  // false on timeout (timeout_ms < 0 waits forever, 0 polls). Errors only for a broken socket.
  Result<bool> receive(AuditNetlinkMessage& out, int timeout_ms);

  const AuditNetlinkCounters& counters() const { return counters_; }

 private:
  explicit AuditNetlink(int fd) : fd_(fd) {}
  Status send_request(uint16_t type, const void* payload, size_t size, uint32_t& seq);
  // Reads replies to `seq` until the ACK (or DONE for dumps), calling on_reply for data replies.
  template <class OnReply>
  Status await_reply(uint32_t seq, uint16_t request_type, OnReply&& on_reply);
  // Reads one datagram into buffer_; false on timeout.
  Result<bool> read_datagram(int timeout_ms);
  Status request_ack(uint16_t type, const void* payload, size_t size);

  int fd_ = -1;
  uint32_t next_seq_ = 1;
  std::vector<uint8_t> buffer_;
  size_t buffer_used_ = 0;  // bytes of the current datagram
  size_t buffer_pos_ = 0;   // next message offset within it
  // Records that arrived while waiting for a control reply, handed out by receive() first.
  std::deque<std::pair<uint16_t, std::string>> pending_;
  std::string current_;  // storage of the record handed out from pending_
  AuditNetlinkCounters counters_;
};

}  // namespace audetect::io
