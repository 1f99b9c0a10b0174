// For the live io tests: the machine-wide kernel audit lock, held for the whole test, and the kernel's
// audit state (rules, enabled flag, owning pid), snapshotted at the start and restored at the end, also
// when the test fails.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "io/audit_status.h"
#include "io/netlink.h"

namespace audetect::testing {

class KernelAuditGuard {
 public:
  // nullptr when the test cannot run here: `failure` is set when it should fail (the lock could not be
  // taken), else `skip` says why it is skipped (no audit netlink, locked configuration, or, with
  // `need_free_stream`, another audit daemon owning the stream).
  static std::unique_ptr<KernelAuditGuard> take(int lock_timeout_ms, bool need_free_stream, std::string* skip,
                                                std::string* failure) {
    auto lock = io::KernelAuditLock::acquire(io::KernelAuditLock::kDefaultPath, lock_timeout_ms);
    if (!lock) {
      *failure = lock.status().message();
      return nullptr;
    }
    auto control = io::AuditNetlink::open();
    if (!control) {
      *skip = "no audit netlink here: " + control.status().message();
      return nullptr;
    }
    auto saved = io::snapshot_kernel_audit_state(**control);
    if (!saved) {
      *skip = "kernel audit not accessible: " + saved.status().message();
      return nullptr;
    }
    if (saved->status.enabled == 2) {
      *skip = "kernel audit configuration is locked (enabled=2)";
      return nullptr;
    }
    if (need_free_stream && saved->status.pid != 0) {
      *skip = "another audit daemon (pid " + std::to_string(saved->status.pid) + ") owns the stream";
      return nullptr;
    }
    return std::unique_ptr<KernelAuditGuard>(
        new KernelAuditGuard(std::move(lock.value()), std::move(control.value()), std::move(saved.value())));
  }

  ~KernelAuditGuard() {
    Status s = io::restore_kernel_audit_state(*control_, saved_);
    if (!s) ADD_FAILURE() << "restoring kernel audit state: " << s.message();
  }

  io::AuditNetlink& control() { return *control_; }
  const io::KernelAuditState& saved() const { return saved_; }

 private:
  KernelAuditGuard(io::KernelAuditLock lock, std::unique_ptr<io::AuditNetlink> control, io::KernelAuditState saved)
      : lock_(std::move(lock)), control_(std::move(control)), saved_(std::move(saved)) {}

  io::KernelAuditLock lock_;  // released last, after the state is restored
  std::unique_ptr<io::AuditNetlink> control_;
  io::KernelAuditState saved_;
};

}  // namespace audetect::testing
