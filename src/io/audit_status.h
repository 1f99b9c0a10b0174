// The kernel's audit state (struct audit_status), saving and restoring it, and the machine-wide lock
// that everything changing kernel audit configuration holds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "io/audit_rule.h"

namespace audetect::io {

class AuditNetlink;

// struct audit_status, all u32 in kernel order.
struct AuditStatus {
  uint32_t mask = 0;
  uint32_t enabled = 0;  // 0 off, 1 on, 2 locked until reboot
  uint32_t failure = 0;
  uint32_t pid = 0;
  uint32_t rate_limit = 0;
  uint32_t backlog_limit = 0;
  uint32_t lost = 0;
  uint32_t backlog = 0;
  uint32_t feature_bitmap = 0;
  uint32_t backlog_wait_time = 0;
  uint32_t backlog_wait_time_actual = 0;

  static constexpr uint32_t kMaskEnabled = 0x1;
  static constexpr uint32_t kMaskFailure = 0x2;
  static constexpr uint32_t kMaskPid = 0x4;
  static constexpr uint32_t kMaskRateLimit = 0x8;
  static constexpr uint32_t kMaskBacklogLimit = 0x10;
  static constexpr uint32_t kMaskBacklogWaitTime = 0x20;
  static constexpr uint32_t kMaskLost = 0x40;
  static constexpr size_t kWireBytes = 11 * 4;
};

// One line, for logs: "enabled=1 failure=1 pid=123 rate_limit=0 backlog_limit=8192 lost=0 backlog=0
// backlog_wait_time=0".
std::string format_audit_status(const AuditStatus& status);

// What audetect may change and must put back: the rule list (in order), the enabled flag and the
// owning pid. Restoring never touches a locked configuration (enabled == 2).
struct KernelAuditState {
  AuditStatus status;
  std::vector<AuditRuleData> rules;
};
Result<KernelAuditState> snapshot_kernel_audit_state(AuditNetlink& control);
// Puts back the rules (deleting ones added since, re-adding ones removed, keeping order), the enabled
// flag, and the pid when it was 0 (another daemon's registration cannot be re-created, and is only
// released by us if we hold it).
Status restore_kernel_audit_state(AuditNetlink& control, const KernelAuditState& saved);

// Which of the audit rules some detection rules need are already in the kernel.
struct AuditRulePlanEntry {
  std::string text;    // as written (auditctl syntax)
  AuditRuleData rule;  // encoded
  bool installed = false;
};
struct AuditRulePlan {
  std::vector<AuditRulePlanEntry> entries;  // deduplicated, in order
  std::vector<std::string> errors;          // texts that do not parse: "<source>:<n>:<col>: reason"
  size_t missing() const;
};
// Only rule commands (-a/-A/-w) are accepted; anything else (-D, -e, ...) is an error here because a
// detection rule must never reset or reconfigure the kernel's audit setup.
AuditRulePlan plan_audit_rules(const std::vector<std::string>& texts, const std::vector<AuditRuleData>& kernel_rules,
                               std::string_view source = "<audit rules>", const AuditRuleParseOptions& options = {});
// Adds the plan's missing rules; returns what was added (for removal at exit). Stops at the first
// failure, reporting it, but still returns what was added before it in `added`.
Status install_missing_audit_rules(AuditNetlink& control, AuditRulePlan& plan, std::vector<AuditRuleData>& added);
// Deletes exactly these rules (those we added), continuing past failures; returns the first failure.
Status remove_audit_rules(AuditNetlink& control, const std::vector<AuditRuleData>& rules);

// flock(2) on a lock file shared by every process on the machine that changes kernel audit state.
class KernelAuditLock {
 public:
  static constexpr const char* kDefaultPath = "/tmp/audetect-kernel-audit.lock";
  KernelAuditLock() = default;
  KernelAuditLock(const KernelAuditLock&) = delete;
  KernelAuditLock& operator=(const KernelAuditLock&) = delete;
  KernelAuditLock(KernelAuditLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  ~KernelAuditLock();

  // Waits up to `timeout_ms` for the lock.
  static Result<KernelAuditLock> acquire(std::string_view path = kDefaultPath, int timeout_ms = 60000);
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace audetect::io
