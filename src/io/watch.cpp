#include "io/watch.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "audit/audit.h"

namespace audetect::io {

bool parse_backpressure(std::string_view name, Backpressure* out) {
  if (name == "block") *out = Backpressure::kBlock;
  else if (name == "drop") *out = Backpressure::kDrop;
  else return false;
  return true;
}

bool parse_socket_type(std::string_view name, SocketType* out) {
  if (name == "auto") *out = SocketType::kAuto;
  else if (name == "multicast") *out = SocketType::kMulticast;
  else if (name == "unicast") *out = SocketType::kUnicast;
  else return false;
  return true;
}

std::string_view to_string(SocketType type) {
  switch (type) {
    case SocketType::kAuto: return "auto";
    case SocketType::kMulticast: return "multicast";
    case SocketType::kUnicast: return "unicast";
  }
  return "?";
}

SocketType choose_socket_type(SocketType requested, bool manage_rules, const AuditStatus& status,
                              bool multicast_available, std::string* why) {
  auto say = [&](std::string text) {
    if (why) *why = std::move(text);
  };
  if (requested != SocketType::kAuto) {
    say(fmt::format("{} (requested)", to_string(requested)));
    return requested;
  }
  if (!multicast_available) {
    say("unicast (the kernel has no audit multicast group)");
    return SocketType::kUnicast;
  }
  if (status.enabled == 2) {
    say("multicast (the audit configuration is locked)");
    return SocketType::kMulticast;
  }
  if (status.pid != 0 && status.pid != static_cast<uint32_t>(::getpid())) {
    say(fmt::format("multicast (pid {} already owns the audit stream)", status.pid));
    return SocketType::kMulticast;
  }
  if (manage_rules) {
    say("unicast (audetect manages audit rules)");
    return SocketType::kUnicast;
  }
  say("multicast (no audit rules to manage)");
  return SocketType::kMulticast;
}

bool is_forwarded_record_type(uint32_t type) {
  if (type == AUDIT_LOGIN) return true;
  return type >= 1100 && type <= 2999 && type != 1329;
}

void netlink_record_to_line(uint16_t type, std::string_view payload, std::string& out) {
  out.assign("type=");
  std::string_view name = audit::record_type_name(type);
  if (name.empty()) out += fmt::format("UNKNOWN[{}]", type);
  else out.append(name);
  out.append(" msg=");
  out.append(payload);
}

uint64_t record_serial(std::string_view line) {
  std::string_view head = line.substr(0, 256);
  size_t at = head.find("audit(");
  if (at == std::string_view::npos) return 0;
  size_t colon = head.find(':', at);
  if (colon == std::string_view::npos) return 0;
  uint64_t serial = 0;
  size_t digits = 0;
  for (size_t i = colon + 1; i < head.size() && head[i] >= '0' && head[i] <= '9' && digits < 19; ++i, ++digits)
    serial = serial * 10 + static_cast<uint64_t>(head[i] - '0');
  return digits ? serial : 0;
}

RecordQueue::RecordQueue(size_t capacity, Backpressure mode)
    : capacity_(capacity ? capacity : 1), mode_(mode), slots_(capacity_) {}

bool RecordQueue::push(std::string_view line) {
  std::unique_lock lock(mu_);
  if (closed_) return false;
  if (size_ == capacity_) {
    if (mode_ == Backpressure::kDrop) {
      uint64_t serial = record_serial(line);
      ++counters_.dropped_records;
      if (serial == 0 || serial != last_dropped_serial_) {
        ++counters_.dropped_events;
        if (serial != 0 && serial == last_pushed_serial_) ++counters_.partial_events;
      }
      last_dropped_serial_ = serial;
      return true;
    }
    ++counters_.blocked_waits;
    not_full_.wait(lock, [&] { return size_ < capacity_ || closed_; });
    if (closed_) return false;
  } else if (mode_ == Backpressure::kDrop && last_dropped_serial_ != 0 && record_serial(line) == last_dropped_serial_) {
    // The rest of an event whose first records were dropped: drop it too, never half an event.
    ++counters_.dropped_records;
    return true;
  }
  if (mode_ == Backpressure::kDrop) last_pushed_serial_ = record_serial(line);
  slots_[(head_ + size_) % capacity_].assign(line);
  ++size_;
  ++counters_.pushed;
  counters_.high_water = std::max(counters_.high_water, size_);
  lock.unlock();
  not_empty_.notify_one();
  return true;
}

void RecordQueue::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  not_empty_.notify_all();
  not_full_.notify_all();
}

bool RecordQueue::pop(std::string& out, int timeout_ms) {
  std::unique_lock lock(mu_);
  if (size_ == 0) {
    if (closed_) return false;
    not_empty_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return size_ > 0 || closed_; });
    if (size_ == 0) return false;
  }
  out.swap(slots_[head_]);
  head_ = (head_ + 1) % capacity_;
  --size_;
  lock.unlock();
  not_full_.notify_one();
  return true;
}

bool RecordQueue::closed_and_empty() const {
  std::lock_guard lock(mu_);
  return closed_ && size_ == 0;
}

QueueCounters RecordQueue::counters() const {
  std::lock_guard lock(mu_);
  QueueCounters c = counters_;
  c.depth = size_;
  return c;
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(uint16_t port) {
  std::unique_ptr<MetricsServer> m(new MetricsServer());
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::io_error(fmt::format("metrics socket: {}", std::strerror(errno)));
  m->listen_fd_ = fd;
  int one = 1;
  (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0)
    return Status::io_error(fmt::format("metrics endpoint 127.0.0.1:{}: {}", port, std::strerror(errno)));
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  m->port_ = ntohs(addr.sin_port);
  if (::pipe2(m->wake_fd_, O_CLOEXEC) != 0) return Status::io_error("metrics pipe");
  MetricsServer* raw = m.get();
  m->thread_ = std::thread([raw] { raw->serve(); });
  return m;
}

MetricsServer::~MetricsServer() {
  if (thread_.joinable()) {
    char c = 0;
    (void)!::write(wake_fd_[1], &c, 1);
    thread_.join();
  }
  for (int fd : {listen_fd_, wake_fd_[0], wake_fd_[1]})
    if (fd >= 0) ::close(fd);
}

void MetricsServer::publish(std::string text) {
  std::lock_guard lock(mu_);
  text_ = std::move(text);
}

void MetricsServer::serve() {
  while (true) {
    pollfd p[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_[0], POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[1].revents) return;
    if (!(p[0].revents & POLLIN)) continue;
    int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    // Read the request head: at most 4 KiB, at most 1 s.
    std::string request;
    char buf[1024];
    while (request.size() < 4096 && request.find("\r\n\r\n") == std::string::npos) {
      pollfd cp{c, POLLIN, 0};
      if (::poll(&cp, 1, 1000) <= 0) break;
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      request.append(buf, static_cast<size_t>(n));
    }
    std::string body, status = "200 OK";
    if (request.starts_with("GET /metrics ") || request.starts_with("GET / ")) {
      std::lock_guard lock(mu_);
      body = text_;
    } else {
      status = "404 Not Found";
      body = "GET /metrics\n";
    }
    std::string response = fmt::format(
        "HTTP/1.0 {}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        status, body.size(), body);
    size_t sent = 0;
    while (sent < response.size()) {
      ssize_t n = ::send(c, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    ::close(c);
  }
}

Result<std::unique_ptr<KernelSession>> KernelSession::start(const KernelSessionOptions& options,
                                                            std::vector<std::string>& notes) {
  std::unique_ptr<KernelSession> s(new KernelSession());
  s->rule_options_ = options.rule_options;
  auto control = AuditNetlink::open();
  if (!control) return control.status();
  s->control_ = std::move(control.value());
  auto status = s->control_->get_status();
  if (!status) {
    return Status(status.status().code(),
                  "reading the kernel audit status (needs root or CAP_AUDIT_CONTROL, and a kernel with audit): " +
                      status.status().message());
  }
  s->before_ = *status;
  notes.push_back("kernel audit status at start: " + format_audit_status(*status));

  auto multicast = AuditNetlink::open(AuditNetlink::Group::kReadLog);
  std::string why;
  s->type_ = choose_socket_type(options.socket_type, options.install_rules, *status, multicast.is_ok(), &why);
  notes.push_back("socket type: " + why);

  const bool changes_kernel = s->type_ == SocketType::kUnicast || options.install_rules;
  if (changes_kernel && !options.lock_path.empty()) {
    auto lock = KernelAuditLock::acquire(options.lock_path);
    if (!lock) return lock.status();
    s->lock_.emplace(std::move(lock.value()));
    // Re-read under the lock: what we restore at exit must be the state we start from.
    auto again = s->control_->get_status();
    if (!again) return again.status();
    s->before_ = *again;
  }
  if (changes_kernel && s->before_.enabled == 2)
    return Status::unsupported("the kernel's audit configuration is locked (enabled=2): cannot register or add rules");

  if (s->type_ == SocketType::kMulticast) {
    if (!multicast) return multicast.status();
    s->reader_ = std::move(multicast.value());
  } else {
    auto reader = AuditNetlink::open();
    if (!reader) return reader.status();
    s->reader_ = std::move(reader.value());
    if (Status st = s->reader_->register_as_daemon(); !st) return st;
    s->registered_ = true;
    AuditStatus set;
    set.mask = AuditStatus::kMaskBacklogLimit | AuditStatus::kMaskBacklogWaitTime;
    set.backlog_limit = options.backlog_limit;
    // drop: audited processes never wait for us; block: they wait at most the kernel's finite
    // backlog_wait_time (a zero one stays zero: the administrator chose never to wait).
    set.backlog_wait_time = options.backpressure == Backpressure::kDrop ? 0 : s->before_.backlog_wait_time;
    if (Status st = s->control_->set_status(set); !st) {
      notes.push_back("could not set backlog_limit/backlog_wait_time: " + st.message());
    } else {
      s->backlog_changed_ = true;
    }
    notes.push_back(fmt::format("registered as the audit daemon (pid {}); backlog_limit {} backlog_wait_time {}",
                                ::getpid(), options.backlog_limit, set.backlog_wait_time));
  }

  if (options.install_rules) {
    std::vector<std::string> more_notes;
    if (Status st = s->install_more(options.audit_rules, notes); !st) {
      std::vector<std::string> ignored;
      (void)s->finish(ignored);
      return st;
    }
  }
  if (changes_kernel && s->before_.enabled == 0) {
    if (Status st = s->control_->set_enabled(1); !st) {
      std::vector<std::string> ignored;
      (void)s->finish(ignored);
      return st;
    }
    s->enabled_changed_ = true;
    notes.push_back("enabled kernel auditing (was 0; restored at exit)");
  } else if (s->before_.enabled == 0) {
    notes.push_back("warning: kernel auditing is disabled (enabled=0): no records will arrive until it is enabled");
  }
  return s;
}

Status KernelSession::install_more(const std::vector<std::string>& audit_rules, std::vector<std::string>& notes) {
  auto kernel_rules = control_->list_rules();
  if (!kernel_rules) return kernel_rules.status();
  AuditRulePlan plan = plan_audit_rules(audit_rules, *kernel_rules, "<rules' audit_rules>", rule_options_);
  for (const auto& e : plan.errors) notes.push_back("audit rule not usable: " + e);
  for (const auto& e : plan.entries)
    if (e.installed) notes.push_back("audit rule already present (left alone at exit): " + e.text);
  std::vector<AuditRuleData> added;
  Status st = install_missing_audit_rules(*control_, plan, added);
  for (const auto& r : added) {
    auto text = audit_rule_to_text(r);
    notes.push_back("installed audit rule (removed at exit): " + (text ? *text : std::string("?")));
    added_.push_back(r);
  }
  return st;
}

Status KernelSession::finish(std::vector<std::string>& notes) {
  if (finished_) return Status::ok();
  finished_ = true;
  Status first;
  auto note = [&](Status st, std::string_view what) {
    if (!st) {
      notes.push_back(fmt::format("{}: {}", what, st.message()));
      if (first.is_ok()) first = std::move(st);
    }
  };
  if (control_) {
    if (auto st = control_->get_status()) notes.push_back("kernel audit status at exit: " + format_audit_status(*st));
    // Exactly the rules we added, in reverse order.
    for (auto it = added_.rbegin(); it != added_.rend(); ++it) {
      auto text = audit_rule_to_text(*it);
      Status st = control_->delete_rule(*it);
      if (st) notes.push_back("removed audit rule: " + (text ? *text : std::string("?")));
      note(std::move(st), "removing audit rule " + (text ? *text : std::string("?")));
    }
    added_.clear();
    if (enabled_changed_) note(control_->set_enabled(before_.enabled), "restoring the enabled flag");
    if (backlog_changed_) {
      AuditStatus set;
      set.mask = AuditStatus::kMaskBacklogLimit | AuditStatus::kMaskBacklogWaitTime;
      set.backlog_limit = before_.backlog_limit;
      set.backlog_wait_time = before_.backlog_wait_time;
      note(control_->set_status(set), "restoring backlog settings");
    }
  }
  if (registered_ && reader_) note(reader_->unregister_daemon(), "unregistering as the audit daemon");
  registered_ = false;
  lock_.reset();
  return first;
}

KernelSession::~KernelSession() {
  std::vector<std::string> ignored;
  (void)finish(ignored);
}

}  // namespace audetect::io
