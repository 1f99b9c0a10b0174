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
