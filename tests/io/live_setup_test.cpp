// `audetect setup` against the real kernel: print, --check (exit 1 while something is missing), --apply
// (adds only what is missing, says what it did), idempotence, and a bad audit rule in a setup guide
// reported with its rule file, then --remove. Holds the kernel audit lock and restores the kernel's rules
// afterwards.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "io/audit_rule.h"
#include "io/audit_status.h"
#include "io/netlink.h"
#include "kernel_audit_guard.h"
#include "live_process.h"

namespace audetect::io {
namespace {

namespace fs = std::filesystem;

using audetect::testing::find_audetect_binary;
using audetect::testing::slurp;

struct CommandRun {
  int rc = -1;
  std::string out, err;
};

CommandRun run(const std::vector<std::string>& argv, const fs::path& dir) {
  const fs::path out = dir / "out", err = dir / "err";
  std::ofstream(err, std::ios::trunc).flush();  // spawn() appends to the stderr file
  int rc = audetect::testing::wait_exit(audetect::testing::spawn(argv, out, err));
  return {rc, slurp(out), slurp(err)};
}

void write_rule(const fs::path& file, const std::string& rule_id, const std::string& setup_lines) {
  std::ofstream r(file);
  r << "[metadata]\ncreation_date = \"2026/11/27\"\nmaturity = \"production\"\nupdated_date = \"2026/11/27\"\n\n"
       "[rule]\nauthor = [\"audetect tests\"]\ndescription = \"Setup test.\"\nfrom = \"now-9m\"\n"
       "index = [\"logs-auditd_manager.auditd-*\"]\nlanguage = \"eql\"\nlicense = \"Elastic License v2\"\n"
       "name = \"Setup test " << rule_id << "\"\nrisk_score = 21\nrule_id = \"" << rule_id << "\"\nseverity = \"low\"\n"
       "setup = \"\"\"\n```\n" << setup_lines << "```\n\"\"\"\ntype = \"eql\"\n"
       "query = '''\nfile where file.path == \"/nonexistent\"\n'''\n";
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(LiveSetup, PrintCheckApplyAgainstTheKernel) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (kernel audit control)";
  auto audetect = find_audetect_binary();
  if (!audetect) GTEST_SKIP() << "the audetect binary is not built next to the tests (build target 'audetect')";
  // Holds the kernel audit lock and restores the kernel's audit state whatever happens below.
  std::string skip, failure;
  auto guard = audetect::testing::KernelAuditGuard::take(600000, /*need_free_stream=*/false, &skip, &failure);
  ASSERT_TRUE(failure.empty()) << failure;
  if (!guard) GTEST_SKIP() << skip;
  AuditNetlink& control = guard->control();

  char tmpl[] = "/tmp/audetect-setup-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const fs::path dir = tmpl;
  fs::create_directories(dir / "watched");
  fs::create_directories(dir / "rules");
  const std::string watch = "-w " + (dir / "watched").string() + "/ -p r -k audetect_setup_test";
  const std::string syscall = "-a always,exit -F arch=b64 -S acct -k audetect_setup_test";
  write_rule(dir / "rules/a.toml", "00000000-0000-4000-8000-00000000a001", watch + "\n" + syscall + "\n");
  write_rule(dir / "rules/b.toml", "00000000-0000-4000-8000-00000000a002", watch + "\n");  // shared: once
  const std::string bin = audetect->string(), rules = (dir / "rules").string();

  CommandRun print = run({bin, "setup", "--rules", rules}, dir);
  EXPECT_EQ(print.rc, 0) << print.err;
  EXPECT_EQ(count(print.out, watch), 1u) << print.out;
  EXPECT_EQ(count(print.out, syscall), 1u) << print.out;

  CommandRun check = run({bin, "setup", "--rules", rules, "--check"}, dir);
  EXPECT_EQ(check.rc, 1) << check.out << check.err;
  EXPECT_EQ(count(check.out, "MISSING"), 2u) << check.out;

  CommandRun apply = run({bin, "setup", "--rules", rules, "--apply", "--lock", ""}, dir);
  EXPECT_EQ(apply.rc, 0) << apply.out << apply.err;
  EXPECT_EQ(count(apply.out, "added: "), 2u) << apply.out;
  EXPECT_NE(apply.out.find("2 audit rule(s) added, 0 already present"), std::string::npos) << apply.out;
  auto listed = control.list_rules();
  ASSERT_TRUE(listed);
  size_t ours = 0;
  for (const auto& r : *listed) {
    auto text = audit_rule_to_text(r);
    if (text && text->find("audetect_setup_test") != std::string::npos) ++ours;
  }
  EXPECT_EQ(ours, 2u);

  CommandRun recheck = run({bin, "setup", "--rules", rules, "--check"}, dir);
  EXPECT_EQ(recheck.rc, 0) << recheck.out << recheck.err;
  EXPECT_NE(recheck.out.find("2 of 2 audit rule(s) present, 0 missing"), std::string::npos) << recheck.out;

  CommandRun again = run({bin, "setup", "--rules", rules, "--apply", "--lock", ""}, dir);
  EXPECT_EQ(again.rc, 0);
  EXPECT_NE(again.out.find("0 audit rule(s) added, 2 already present"), std::string::npos) << again.out;

  // --remove deletes exactly the rules the detection rules need, and says so; a second run finds none.
  const std::string unrelated = "-a always,exit -F arch=b64 -S acct -k audetect_setup_unrelated";
  {
    auto cmd = parse_audit_command(unrelated);
    ASSERT_TRUE(cmd) << cmd.status().message();
    ASSERT_TRUE(control.add_rule(cmd->rule));
  }
  CommandRun remove = run({bin, "setup", "--rules", rules, "--remove", "--lock", ""}, dir);
  EXPECT_EQ(remove.rc, 0) << remove.out << remove.err;
  EXPECT_EQ(count(remove.out, "removed: "), 2u) << remove.out;
  EXPECT_NE(remove.out.find("2 audit rule(s) removed, 0 not present"), std::string::npos) << remove.out;
  listed = control.list_rules();
  ASSERT_TRUE(listed);
  size_t left = 0, unrelated_left = 0;
  for (const auto& r : *listed) {
    auto text = audit_rule_to_text(r);
    if (text && text->find("audetect_setup_test") != std::string::npos) ++left;
    if (text && text->find("audetect_setup_unrelated") != std::string::npos) ++unrelated_left;
  }
  EXPECT_EQ(left, 0u);
  EXPECT_EQ(unrelated_left, 1u);  // not needed by the detection rules: left alone
  CommandRun remove_again = run({bin, "setup", "--rules", rules, "--remove", "--lock", ""}, dir);
  EXPECT_EQ(remove_again.rc, 0) << remove_again.out << remove_again.err;
  EXPECT_NE(remove_again.out.find("0 audit rule(s) removed, 2 not present"), std::string::npos) << remove_again.out;

  // A setup guide with an audit rule the kernel cannot take: named with its rule file, exit 2.
  write_rule(dir / "rules/c.toml", "00000000-0000-4000-8000-00000000a003",
             "-a always,exit -F arch=b64 -S nosuchsyscall -k x\n");
  CommandRun bad = run({bin, "setup", "--rules", rules}, dir);
  EXPECT_EQ(bad.rc, 2) << bad.out << bad.err;
  EXPECT_NE(bad.err.find("c.toml"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("unknown syscall 'nosuchsyscall'"), std::string::npos) << bad.err;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace audetect::io
