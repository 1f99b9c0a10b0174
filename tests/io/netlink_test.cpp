// The audit netlink client against the real kernel: status, rule add/list/delete, unicast and
// multicast records. Every test holds the machine-wide kernel audit lock and restores the kernel's
// rules, enabled flag and pid, also on failure. Skips only where the kernel or privileges forbid audit.
#include "io/netlink.h"

#include <gtest/gtest.h>
#include <linux/audit.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>

#include "io/audit_rule.h"
#include "io/audit_status.h"
#include "io/watch.h"

namespace audetect::io {
namespace {

// Holds the lock and a snapshot; restores in the destructor (so also when an assertion fails).
class KernelAuditFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    // Other tests (the live soak) may hold the lock for a minute.
    auto lock = KernelAuditLock::acquire(KernelAuditLock::kDefaultPath, 600000);
    ASSERT_TRUE(lock) << lock.status().message();
    lock_.emplace(std::move(lock.value()));
    auto nl = AuditNetlink::open();
    if (!nl) GTEST_SKIP() << "no audit netlink socket here: " << nl.status().message();
    control_ = std::move(nl.value());
    auto snap = snapshot_kernel_audit_state(*control_);
    if (!snap) {
      GTEST_SKIP() << "kernel audit is not accessible (needs root/CAP_AUDIT_CONTROL in the initial "
                      "namespaces and a kernel with audit): "
                   << snap.status().message();
    }
    if (snap->status.enabled == 2) GTEST_SKIP() << "kernel audit configuration is locked (enabled=2)";
    saved_ = std::move(snap.value());
  }
  void TearDown() override {
    if (control_ && saved_) {
      Status s = restore_kernel_audit_state(*control_, *saved_);
      EXPECT_TRUE(s) << "restoring kernel audit state: " << s.message();
      auto after = snapshot_kernel_audit_state(*control_);
      ASSERT_TRUE(after);
      EXPECT_EQ(after->status.enabled, saved_->status.enabled);
      EXPECT_EQ(after->rules.size(), saved_->rules.size());
      if (saved_->status.pid == 0) {
        EXPECT_NE(after->status.pid, static_cast<uint32_t>(::getpid()));
      }
    }
  }

  std::optional<KernelAuditLock> lock_;
  std::unique_ptr<AuditNetlink> control_;
  std::optional<KernelAuditState> saved_;
};

AuditRuleData rule_of(std::string_view text) {
  auto cmd = parse_audit_command(text);
  EXPECT_TRUE(cmd) << cmd.status().message();
  return cmd ? cmd->rule : AuditRuleData{};
}

TEST_F(KernelAuditFixture, StatusRoundTrip) {
  auto st = control_->get_status();
  ASSERT_TRUE(st) << st.status().message();
  EXPECT_LE(st->enabled, 2u);
  EXPECT_GT(st->backlog_limit, 0u);
  std::printf("kernel audit status: %s\n", format_audit_status(*st).c_str());

  // Change the backlog limit and put it back.
  const uint32_t old_limit = st->backlog_limit;
  ASSERT_TRUE(control_->set_backlog_limit(old_limit + 1));
  auto changed = control_->get_status();
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->backlog_limit, old_limit + 1);
  ASSERT_TRUE(control_->set_backlog_limit(old_limit));
  auto restored = control_->get_status();
  ASSERT_TRUE(restored);
  EXPECT_EQ(restored->backlog_limit, old_limit);
}

TEST_F(KernelAuditFixture, AddListDeleteRule) {
  AuditRuleData rule = rule_of("-a always,exit -F arch=b64 -S acct -F auid!=unset -k audetect_nl_test");
  ASSERT_TRUE(control_->add_rule(rule));
  // Adding it again is refused by the kernel with a clear error.
  Status again = control_->add_rule(rule);
  EXPECT_FALSE(again);
  EXPECT_NE(again.message().find("already installed"), std::string::npos) << again.message();

  auto listed = control_->list_rules();
  ASSERT_TRUE(listed) << listed.status().message();
  bool found = false;
  for (const auto& r : *listed) {
    if (canonical_audit_rule(r) == canonical_audit_rule(rule)) {
      found = true;
      // The kernel's listing encodes exactly as we do.
      EXPECT_EQ(r.to_wire(), rule.to_wire());
      auto text = audit_rule_to_text(r);
      ASSERT_TRUE(text);
      EXPECT_EQ(*text, "-a always,exit -F arch=b64 -S acct -F auid!=unset -F key=audetect_nl_test");
    }
  }
  EXPECT_TRUE(found);
  ASSERT_TRUE(control_->delete_rule(rule));
  auto after = control_->list_rules();
  ASSERT_TRUE(after);
  for (const auto& r : *after) EXPECT_FALSE(canonical_audit_rule(r) == canonical_audit_rule(rule));
  EXPECT_FALSE(control_->delete_rule(rule));  // ENOENT now
}

TEST_F(KernelAuditFixture, DirectoryWatchRoundTripsThroughKernel) {
  AuditRuleParseOptions dir;
  dir.is_directory = [](const std::string&) { return true; };
  auto cmd = parse_audit_command("-w /proc/ -p r -k audetect_nl_watch", "t", 1, dir);
  ASSERT_TRUE(cmd);
  ASSERT_TRUE(control_->add_rule(cmd->rule));
  auto listed = control_->list_rules();
  ASSERT_TRUE(listed);
  bool found = false;
  for (const auto& r : *listed) {
    auto text = audit_rule_to_text(r);
    if (text && *text == "-w /proc -p r -k audetect_nl_watch") {
      found = true;
      EXPECT_EQ(r.to_wire(), cmd->rule.to_wire());
    }
  }
  EXPECT_TRUE(found);
  ASSERT_TRUE(control_->delete_rule(cmd->rule));
}

// Registers as the audit daemon, triggers a rule, and receives its records over unicast. The kernel
// never audits the registered daemon's own syscalls, so a child process triggers the rule.
TEST_F(KernelAuditFixture, UnicastReceivesRecords) {
  if (saved_->status.pid != 0) GTEST_SKIP() << "another audit daemon (pid " << saved_->status.pid << ") owns the stream";
  auto reader = AuditNetlink::open();
  ASSERT_TRUE(reader);
  ASSERT_TRUE((*reader)->register_as_daemon());
  ASSERT_TRUE(control_->set_enabled(1));
  AuditRuleData rule = rule_of("-a always,exit -F arch=b64 -S getppid -F ppid=" + std::to_string(::getpid()) +
                               " -k audetect_unicast");
  ASSERT_TRUE(control_->add_rule(rule));
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    for (int i = 0; i < 20; ++i) {
      ::syscall(SYS_getppid);
      ::usleep(50 * 1000);
    }
    ::_exit(0);
  }

  bool seen = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  AuditNetlinkMessage msg;
  while (!seen && std::chrono::steady_clock::now() < deadline) {
    auto r = (*reader)->receive(msg, 200);
    ASSERT_TRUE(r) << r.status().message();
    if (*r && msg.type == AUDIT_SYSCALL && msg.payload.find("audetect_unicast") != std::string_view::npos) {
      EXPECT_TRUE(msg.payload.starts_with("audit(")) << msg.payload;
      EXPECT_NE(msg.payload.find("syscall=110"), std::string_view::npos) << msg.payload;
      seen = true;
    }
  }
  ::waitpid(child, nullptr, 0);
  EXPECT_TRUE(seen) << "no SYSCALL record with our key within 3 s";
  EXPECT_TRUE(control_->delete_rule(rule));
  EXPECT_TRUE((*reader)->unregister_daemon());
  EXPECT_EQ((*reader)->counters().foreign_dropped, 0u);
}

TEST_F(KernelAuditFixture, MulticastReceivesRecords) {
  auto reader = AuditNetlink::open(AuditNetlink::Group::kReadLog);
  if (!reader) GTEST_SKIP() << "multicast audit group unavailable: " << reader.status().message();
  ASSERT_TRUE(control_->set_enabled(1));
  AuditRuleData rule = rule_of("-a always,exit -F arch=b64 -S getppid -F pid=" + std::to_string(::getpid()) +
                               " -k audetect_multicast");
  ASSERT_TRUE(control_->add_rule(rule));
  bool seen = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  AuditNetlinkMessage msg;
  while (!seen && std::chrono::steady_clock::now() < deadline) {
    ::syscall(SYS_getppid);
    auto r = (*reader)->receive(msg, 200);
    ASSERT_TRUE(r) << r.status().message();
    if (*r && msg.type == AUDIT_SYSCALL && msg.payload.find("audetect_multicast") != std::string_view::npos)
      seen = true;
  }
  EXPECT_TRUE(seen) << "no record with our key over multicast within 3 s";
  EXPECT_TRUE(control_->delete_rule(rule));
}

TEST(WatchUnit, SocketTypeFollowsAuditbeatsAutoRules) {
  AuditStatus st;
  std::string why;
  EXPECT_EQ(choose_socket_type(SocketType::kAuto, false, st, true, &why), SocketType::kMulticast);
  EXPECT_NE(why.find("no audit rules to manage"), std::string::npos);
  EXPECT_EQ(choose_socket_type(SocketType::kAuto, true, st, true, &why), SocketType::kUnicast);
  EXPECT_EQ(choose_socket_type(SocketType::kAuto, true, st, false, &why), SocketType::kUnicast);
  AuditStatus locked;
  locked.enabled = 2;
  EXPECT_EQ(choose_socket_type(SocketType::kAuto, true, locked, true, &why), SocketType::kMulticast);
  AuditStatus owned;
  owned.pid = 1;  // auditd (or anyone) owns the stream
  EXPECT_EQ(choose_socket_type(SocketType::kAuto, true, owned, true, &why), SocketType::kMulticast);
  EXPECT_NE(why.find("pid 1"), std::string::npos) << why;
  EXPECT_EQ(choose_socket_type(SocketType::kUnicast, false, owned, true, &why), SocketType::kUnicast);
}

TEST(WatchUnit, NetlinkRecordsBecomeLogLinesAndAreFilteredLikeAuditbeat) {
  std::string line;
  netlink_record_to_line(1300, "audit(1700000000.123:42): arch=c000003e syscall=2", line);
  EXPECT_EQ(line, "type=SYSCALL msg=audit(1700000000.123:42): arch=c000003e syscall=2");
  EXPECT_EQ(record_serial(line), 42u);
  EXPECT_EQ(record_serial("garbage"), 0u);
  EXPECT_TRUE(is_forwarded_record_type(1300));
  EXPECT_TRUE(is_forwarded_record_type(1006));   // LOGIN
  EXPECT_FALSE(is_forwarded_record_type(1329));  // REPLACE (liveness probe)
  EXPECT_FALSE(is_forwarded_record_type(1000));
  EXPECT_FALSE(is_forwarded_record_type(3000));
}

TEST(AuditNetlinkUnit, StatusFormatting) {
  AuditStatus s;
  s.enabled = 1;
  s.pid = 42;
  s.backlog_limit = 8192;
  std::string text = format_audit_status(s);
  EXPECT_NE(text.find("enabled=1"), std::string::npos);
  EXPECT_NE(text.find("pid=42"), std::string::npos);
  EXPECT_NE(text.find("backlog_limit=8192"), std::string::npos);
}

}  // namespace
}  // namespace audetect::io
