#include "io/netlink.h"

#include <linux/audit.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace audetect::io {
namespace {

constexpr size_t kReceiveBufferBytes = 64 * 1024;  // >= NLMSG_HDRLEN + kMaxAuditMessageLength, batches
constexpr size_t kSocketBufferBytes = 8 * 1024 * 1024;
constexpr size_t kMaxPendingRecords = 16384;
constexpr int kReplyTimeoutMs = 5000;

std::string errno_text(int e) { return fmt::format("{} ({})", std::strerror(e), e); }

Status errno_status(int e, std::string_view what) {
  std::string m = fmt::format("{}: {}", what, errno_text(e));
  if (e == EPERM || e == EACCES) return {StatusCode::kPermissionDenied, std::move(m)};
  return Status::io_error(std::move(m));
}

bool is_record_type(uint16_t type) {
  if (type == NLMSG_ERROR || type == NLMSG_DONE || type == NLMSG_NOOP || type == NLMSG_OVERRUN) return false;
  if (type >= AUDIT_FIRST_USER_MSG) return true;
  return type == AUDIT_LOGIN;  // the one kernel record below 1100
}

std::string_view trim_payload(const uint8_t* data, size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);
  while (!s.empty() && (s.back() == '\0' || s.back() == '\n' || s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

Result<std::unique_ptr<AuditNetlink>> AuditNetlink::open(Group group) {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
  if (fd < 0) return errno_status(errno, "socket(AF_NETLINK, NETLINK_AUDIT)");
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = group == Group::kReadLog ? (1u << (AUDIT_NLGRP_READLOG - 1)) : 0u;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int e = errno;
    ::close(fd);
    return errno_status(e, group == Group::kReadLog
                               ? "bind to the audit multicast group (needs CAP_AUDIT_READ, kernel >= 3.16)"
                               : "bind(NETLINK_AUDIT)");
  }
  // A large receive buffer absorbs bursts; SO_RCVBUFFORCE needs CAP_NET_ADMIN, else the capped one.
  int size = static_cast<int>(kSocketBufferBytes);
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  std::unique_ptr<AuditNetlink> nl(new AuditNetlink(fd));
  nl->buffer_.resize(kReceiveBufferBytes);
  return nl;
}

AuditNetlink::~AuditNetlink() {
  if (fd_ >= 0) ::close(fd_);
}

Status AuditNetlink::send_request(uint16_t type, const void* payload, size_t size, uint32_t& seq) {
  std::vector<uint8_t> msg(NLMSG_SPACE(size), 0);
  auto* hdr = reinterpret_cast<nlmsghdr*>(msg.data());
  hdr->nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(size));
  hdr->nlmsg_type = type;
  hdr->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  seq = next_seq_++;
  if (next_seq_ == 0) next_seq_ = 1;
  hdr->nlmsg_seq = seq;
  hdr->nlmsg_pid = 0;
  if (size) std::memcpy(NLMSG_DATA(hdr), payload, size);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  while (true) {
    ssize_t n = ::sendto(fd_, msg.data(), hdr->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
    if (n >= 0) return Status::ok();
    if (errno == EINTR) continue;
    return errno_status(errno, fmt::format("sending audit request {}", type));
  }
}

Result<bool> AuditNetlink::read_datagram(int timeout_ms) {
  buffer_used_ = buffer_pos_ = 0;
  pollfd p{fd_, POLLIN, 0};
  int r = ::poll(&p, 1, timeout_ms);
  if (r < 0) {
    if (errno == EINTR) return false;
    return errno_status(errno, "poll(netlink)");
  }
  if (r == 0) return false;
  sockaddr_nl from{};
  iovec iov{buffer_.data(), buffer_.size()};
  msghdr mh{};
  mh.msg_name = &from;
  mh.msg_namelen = sizeof from;
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  ssize_t n = ::recvmsg(fd_, &mh, MSG_DONTWAIT);
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) return false;
    if (errno == ENOBUFS) {  // the kernel could not queue records for us: they are lost
      ++counters_.overruns;
      return false;
    }
    return errno_status(errno, "recvmsg(netlink)");
  }
  if (mh.msg_flags & MSG_TRUNC) ++counters_.truncated;
  if (from.nl_pid != 0) {  // not the kernel: anyone can send to our port id
    ++counters_.foreign_dropped;
    return false;
  }
  buffer_used_ = static_cast<size_t>(n);
  return true;
}

template <class OnReply>
Status AuditNetlink::await_reply(uint32_t seq, uint16_t request_type, OnReply&& on_reply) {
  const bool dump = request_type == AUDIT_LIST_RULES;
  const bool wants_data = request_type == AUDIT_GET;
  bool acked = false, done = false, got_data = false;
  int waited_ms = 0;
  while (!(acked && (!dump || done) && (!wants_data || got_data))) {
    if (buffer_pos_ + NLMSG_HDRLEN > buffer_used_) {  // datagram consumed (or only a stub left)
      auto r = read_datagram(100);
      if (!r) return r.status();
      if (!*r) {
        waited_ms += 100;
        if (waited_ms >= kReplyTimeoutMs)
          return Status::io_error(fmt::format("no reply from the kernel to audit request {}", request_type));
        continue;
      }
    }
    while (buffer_pos_ + NLMSG_HDRLEN <= buffer_used_) {
      auto* hdr = reinterpret_cast<const nlmsghdr*>(buffer_.data() + buffer_pos_);
      size_t remaining = buffer_used_ - buffer_pos_;
      if (is_record_type(hdr->nlmsg_type) && hdr->nlmsg_seq != seq) {
        // A record (one per datagram, nlmsg_len not to be trusted: see receive()).
        if (pending_.size() < kMaxPendingRecords) {
          std::string_view text = trim_payload(buffer_.data() + buffer_pos_ + NLMSG_HDRLEN, remaining - NLMSG_HDRLEN);
          pending_.emplace_back(hdr->nlmsg_type, std::string(text));
        } else {
          ++counters_.overruns;
        }
        buffer_pos_ = buffer_used_;
        break;
      }
      if (hdr->nlmsg_len < NLMSG_HDRLEN || hdr->nlmsg_len > remaining) {
        ++counters_.malformed;
        buffer_pos_ = buffer_used_;
        break;
      }
      buffer_pos_ += std::min<size_t>(NLMSG_ALIGN(hdr->nlmsg_len), remaining);
      const uint8_t* data = reinterpret_cast<const uint8_t*>(NLMSG_DATA(hdr));
      size_t size = hdr->nlmsg_len - NLMSG_HDRLEN;
      if (hdr->nlmsg_seq == seq && hdr->nlmsg_type == NLMSG_ERROR) {
        if (size < sizeof(nlmsgerr)) return Status::io_error("short netlink error message");
        nlmsgerr err;
        std::memcpy(&err, data, sizeof err);
        if (err.error != 0) return errno_status(-err.error, fmt::format("audit request {}", request_type));
        acked = true;
      } else if (hdr->nlmsg_seq == seq && hdr->nlmsg_type == NLMSG_DONE) {
        done = true;
      } else if (hdr->nlmsg_seq == seq && hdr->nlmsg_type == request_type) {
        got_data = true;
        if (Status s = on_reply(data, size); !s) return s;
      }
    }
  }
  return Status::ok();
}

Status AuditNetlink::request_ack(uint16_t type, const void* payload, size_t size) {
  uint32_t seq = 0;
  if (Status s = send_request(type, payload, size, seq); !s) return s;
  return await_reply(seq, type, [](const uint8_t*, size_t) { return Status::ok(); });
}

Result<AuditStatus> AuditNetlink::get_status() {
  uint32_t seq = 0;
  if (Status s = send_request(AUDIT_GET, nullptr, 0, seq); !s) return s;
  AuditStatus st;
  Status s = await_reply(seq, AUDIT_GET, [&](const uint8_t* data, size_t size) {
    // Older kernels send a shorter struct; missing fields stay 0.
    std::memcpy(&st, data, std::min(size, AuditStatus::kWireBytes));
    return Status::ok();
  });
  if (!s) return s;
  return st;
}

Status AuditNetlink::set_status(const AuditStatus& status) {
  static_assert(sizeof(AuditStatus) == AuditStatus::kWireBytes);
  return request_ack(AUDIT_SET, &status, sizeof status);
}

Status AuditNetlink::set_enabled(uint32_t enabled) {
  AuditStatus s;
  s.mask = AuditStatus::kMaskEnabled;
  s.enabled = enabled;
  return set_status(s);
}
Status AuditNetlink::set_failure(uint32_t failure) {
  AuditStatus s;
  s.mask = AuditStatus::kMaskFailure;
  s.failure = failure;
  return set_status(s);
}
Status AuditNetlink::set_rate_limit(uint32_t per_second) {
  AuditStatus s;
  s.mask = AuditStatus::kMaskRateLimit;
  s.rate_limit = per_second;
  return set_status(s);
}
Status AuditNetlink::set_backlog_limit(uint32_t limit) {
  AuditStatus s;
  s.mask = AuditStatus::kMaskBacklogLimit;
  s.backlog_limit = limit;
  return set_status(s);
}
Status AuditNetlink::set_backlog_wait_time(uint32_t jiffies) {
  AuditStatus s;
  s.mask = AuditStatus::kMaskBacklogWaitTime;
  s.backlog_wait_time = jiffies;
  return set_status(s);
}

Status AuditNetlink::register_as_daemon() {
  AuditStatus s;
  s.mask = AuditStatus::kMaskPid;
  s.pid = static_cast<uint32_t>(::getpid());
  Status r = set_status(s);
  if (r) return r;
  auto current = get_status();
  if (current && current->pid != 0 && current->pid != s.pid)
    return Status(r.code(), fmt::format("{} (the audit stream is owned by pid {}, e.g. auditd; use "
                                        "--socket-type multicast)", r.message(), current->pid));
  return r;
}

Status AuditNetlink::unregister_daemon() {
  auto current = get_status();
  if (!current) return current.status();
  if (current->pid != static_cast<uint32_t>(::getpid())) return Status::ok();
  AuditStatus s;
  s.mask = AuditStatus::kMaskPid;
  s.pid = 0;
  return set_status(s);
}

Result<std::vector<AuditRuleData>> AuditNetlink::list_rules() {
  uint32_t seq = 0;
  if (Status s = send_request(AUDIT_LIST_RULES, nullptr, 0, seq); !s) return s;
  std::vector<AuditRuleData> rules;
  Status s = await_reply(seq, AUDIT_LIST_RULES, [&](const uint8_t* data, size_t size) -> Status {
    auto rule = AuditRuleData::from_wire({data, size});
    if (!rule) return Status::io_error("kernel rule list: " + rule.status().message());
    rules.push_back(std::move(rule.value()));
    return Status::ok();
  });
  if (!s) return s;
  return rules;
}

Status AuditNetlink::add_rule(const AuditRuleData& rule) {
  auto wire = rule.to_wire();
  Status s = request_ack(AUDIT_ADD_RULE, wire.data(), wire.size());
  if (!s && s.message().find("File exists") != std::string::npos)
    return Status(s.code(), "the rule is already installed: " + s.message());
  return s;
}

Status AuditNetlink::delete_rule(const AuditRuleData& rule) {
  auto wire = rule.to_wire();
  return request_ack(AUDIT_DEL_RULE, wire.data(), wire.size());
}

Result<bool> AuditNetlink::receive(AuditNetlinkMessage& out, int timeout_ms) {
  if (!pending_.empty()) {
    out.type = pending_.front().first;
    current_ = std::move(pending_.front().second);
    pending_.pop_front();
    out.payload = current_;
    ++counters_.received;
    return true;
  }
  while (true) {
    while (buffer_pos_ + NLMSG_HDRLEN <= buffer_used_) {
      auto* hdr = reinterpret_cast<const nlmsghdr*>(buffer_.data() + buffer_pos_);
      size_t remaining = buffer_used_ - buffer_pos_;
      if (hdr->nlmsg_len < NLMSG_HDRLEN || hdr->nlmsg_len > remaining) {
        ++counters_.malformed;
        buffer_pos_ = buffer_used_;
        break;
      }
      if (is_record_type(hdr->nlmsg_type)) {
        // The kernel sends one record per datagram and sets nlmsg_len to the payload length only
        // (without the header), so the datagram's size, not nlmsg_len, bounds the record.
        out.type = hdr->nlmsg_type;
        out.payload = trim_payload(buffer_.data() + buffer_pos_ + NLMSG_HDRLEN, remaining - NLMSG_HDRLEN);
        buffer_pos_ = buffer_used_;
        ++counters_.received;
        return true;
      }
      buffer_pos_ += std::min<size_t>(NLMSG_ALIGN(hdr->nlmsg_len), remaining);
    }
    auto r = read_datagram(timeout_ms);
    if (!r) return r.status();
    if (!*r) return false;
  }
}

}  // namespace audetect::io
