// Dropping capabilities after setup: done in a child process so the test runner keeps its own.
#include "io/privileges.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

namespace audetect::io {
namespace {

int in_child(bool keep_audit_control) {
  pid_t pid = ::fork();
  if (pid == 0) {
    auto r = drop_privileges({keep_audit_control});
    if (!r) ::_exit(10);
    auto caps = effective_capabilities();
    bool has_control = std::find(caps.begin(), caps.end(), "audit_control") != caps.end();
    if (keep_audit_control && (!has_control || caps.size() != 1)) ::_exit(11);
    if (!keep_audit_control && !caps.empty()) ::_exit(12);
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Privileges, DropsEverythingButAuditControlWhenAsked) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to have capabilities to drop";
  EXPECT_EQ(in_child(true), 0);
  EXPECT_EQ(in_child(false), 0);
}

}  // namespace
}  // namespace audetect::io
