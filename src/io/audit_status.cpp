#include "io/audit_status.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "io/netlink.h"

namespace audetect::io {

std::string format_audit_status(const AuditStatus& s) {
  return fmt::format(
      "enabled={} failure={} pid={} rate_limit={} backlog_limit={} lost={} backlog={} "
      "backlog_wait_time={} backlog_wait_time_actual={}",
      s.enabled, s.failure, s.pid, s.rate_limit, s.backlog_limit, s.lost, s.backlog,
      s.backlog_wait_time, s.backlog_wait_time_actual);
}

Result<KernelAuditState> snapshot_kernel_audit_state(AuditNetlink& control) {
  KernelAuditState state;
  auto status = control.get_status();
  if (!status) return status.status();
  state.status = *status;
  auto rules = control.list_rules();
  if (!rules) return rules.status();
  state.rules = std::move(rules.value());
  return state;
}

Status restore_kernel_audit_state(AuditNetlink& control, const KernelAuditState& saved) {
  auto now = control.get_status();
  if (!now) return now.status();
  if (now->enabled == 2) return Status::unsupported("audit configuration is locked (enabled=2); nothing restored");
  Status first_error;
  auto note = [&](Status s) {
    if (!s && first_error.is_ok()) first_error = std::move(s);
  };

  auto current = control.list_rules();
  if (!current) return current.status();
  // Same list already (the common case): leave it alone. Otherwise rebuild it in the saved order,
  // since rules can only be appended or prepended.
  bool same = current->size() == saved.rules.size();
  for (size_t i = 0; same && i < saved.rules.size(); ++i)
    same = canonical_audit_rule((*current)[i]) == canonical_audit_rule(saved.rules[i]);
  if (!same) {
    for (const auto& r : *current) note(control.delete_rule(r));
    for (const auto& r : saved.rules) {
      AuditRuleData add = r;
      add.flags &= ~uint32_t(0x10);  // append in order
      note(control.add_rule(add));
    }
  }
  if (now->enabled != saved.status.enabled) note(control.set_enabled(saved.status.enabled));
  if (saved.status.pid == 0 && now->pid == static_cast<uint32_t>(::getpid())) note(control.unregister_daemon());
  return first_error;
}

size_t AuditRulePlan::missing() const {
  size_t n = 0;
  for (const auto& e : entries) n += e.installed ? 0 : 1;
  return n;
}

AuditRulePlan plan_audit_rules(const std::vector<std::string>& texts, const std::vector<AuditRuleData>& kernel_rules,
                               std::string_view source, const AuditRuleParseOptions& options) {
  AuditRulePlan plan;
  std::vector<AuditRuleData> kernel_keys;
  kernel_keys.reserve(kernel_rules.size());
  for (const auto& r : kernel_rules) kernel_keys.push_back(canonical_audit_rule(r));
  uint64_t n = 0;
  for (const auto& text : texts) {
    ++n;
    auto cmd = parse_audit_command(text, source, n, options);
    if (!cmd) {
      plan.errors.push_back(cmd.status().message());
      continue;
    }
    if (cmd->kind != AuditCommandKind::kAddRule) {
      plan.errors.push_back(fmt::format("{}:{}:1: only rules (-a, -A, -w) can be required, not '{}'", source, n, text));
      continue;
    }
    AuditRuleData key = canonical_audit_rule(cmd->rule);
    bool duplicate = false;
    for (const auto& e : plan.entries) duplicate = duplicate || canonical_audit_rule(e.rule) == key;
    if (duplicate) continue;
    AuditRulePlanEntry entry;
    entry.text = text;
    entry.rule = cmd->rule;
    for (const auto& k : kernel_keys) entry.installed = entry.installed || k == key;
    plan.entries.push_back(std::move(entry));
  }
  return plan;
}

Status install_missing_audit_rules(AuditNetlink& control, AuditRulePlan& plan, std::vector<AuditRuleData>& added) {
  for (auto& e : plan.entries) {
    if (e.installed) continue;
    if (Status s = control.add_rule(e.rule); !s)
      return Status(s.code(), fmt::format("adding audit rule '{}': {}", e.text, s.message()));
    e.installed = true;
    added.push_back(e.rule);
  }
  return Status::ok();
}

Status remove_audit_rules(AuditNetlink& control, const std::vector<AuditRuleData>& rules) {
  Status first;
  for (const auto& r : rules) {
    Status s = control.delete_rule(r);
    if (!s && first.is_ok()) {
      auto text = audit_rule_to_text(r);
      first = Status(s.code(), fmt::format("removing audit rule '{}': {}", text ? *text : "?", s.message()));
    }
  }
  return first;
}

KernelAuditLock::~KernelAuditLock() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
}

Result<KernelAuditLock> KernelAuditLock::acquire(std::string_view path, int timeout_ms) {
  std::string p(path);
  int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return Status::io_error(fmt::format("{}: {}", p, std::strerror(errno)));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      int e = errno;
      ::close(fd);
      return Status::io_error(fmt::format("flock {}: {}", p, std::strerror(e)));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::close(fd);
      return Status::io_error(fmt::format("timed out after {} ms waiting for the kernel audit lock {}",
                                          timeout_ms, p));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  KernelAuditLock lock;
  lock.fd_ = fd;
  return lock;
}

}  // namespace audetect::io
