// The shipped rule file, as loaded and compiled the way `audetect scan` does, over events built here:
// every clause of its query (issue 4, "Tests").
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "event/event.h"
#include "event/json.h"
#include "rules/query_check.h"
#include "rules/rules.h"

namespace fs = std::filesystem;
using namespace audetect;
using namespace audetect::rules;

namespace {

// An opened-file ECS document as the normalizer emits for `cat /proc/modules` from a shell.
struct OpenEvent {
  std::string os_type = "linux";
  std::string action = "opened-file";
  std::string path = "/proc/modules";
  std::string name = "cat";
  std::string title = "cat /proc/modules";
  int parent_pid = 2150;
  std::string outcome = "success";
  std::string category = "file";

  std::string json() const {
    return R"({"@timestamp":"2023-11-14T22:13:20.000Z","event":{"category":[")" + category + R"("],"action":")" +
           action + R"(","outcome":")" + outcome + R"(","type":["info"]},"host":{"name":"h","os":{"type":")" +
           os_type + R"("}},"file":{"path":")" + path + R"("},"process":{"pid":2151,"name":")" + name +
           R"(","title":")" + title + R"(","parent":{"pid":)" + std::to_string(parent_pid) +
           R"(}},"user":{"name":"root","id":"0"}})";
  }
};

class ShippedRule : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = bundled_rules_dir();
    ASSERT_TRUE(dir.has_value());
    auto rule = load_rule_file(*dir / "linux/discovery_kernel_module_enumeration_via_proc.toml");
    ASSERT_TRUE(rule.is_ok()) << rule.status().message();
    rule_ = std::move(*rule);
    std::vector<Diagnostic> diagnostics;
    query_ = compile_rule_query(rule_, &diagnostics);
    for (const auto& d : diagnostics) ADD_FAILURE() << to_string(d);  // every field is in the schema
    ASSERT_NE(query_, nullptr);
  }

  bool alerts(const OpenEvent& e) {
    JsonEventReader reader;
    EventBuilder builder;
    JsonError error;
    EXPECT_EQ(reader.parse(e.json(), builder, &error), JsonEventReader::Outcome::kEvent) << error.reason;
    return query_->matches(builder.finish());
  }

  Rule rule_;
  std::shared_ptr<const eql::CompiledQuery> query_;
};

TEST_F(ShippedRule, IsAnEventQuery) { EXPECT_EQ(query_->kind(), eql::QueryKind::kEvent); }

TEST_F(ShippedRule, CatFromAShellAlerts) { EXPECT_TRUE(alerts({})); }

TEST_F(ShippedRule, EachExcludedNameIsExcluded) {
  for (const char* name : {"auditbeat", "kmod", "modprobe", "lsmod", "insmod", "modinfo", "rmmod", "SchedulerRunner",
                           "grep"}) {
    OpenEvent e;
    e.name = name;
    e.title = std::string(name) == "grep" ? "grep x" : name;
    EXPECT_FALSE(alerts(e)) << name;
  }
}

TEST_F(ShippedRule, NameListIsCaseSensitive) {
  OpenEvent e;
  e.name = "GREP";
  e.title = "GREP";  // the title wildcard is case-insensitive, so keep grep out of it
  EXPECT_FALSE(alerts(e));
  e.title = "/usr/bin/GREP_ALIKE";
  EXPECT_FALSE(alerts(e));
  e.title = "reader";
  EXPECT_TRUE(alerts(e)) << "GREP is not in the case-sensitive name list";
  e.name = "Lsmod";
  EXPECT_TRUE(alerts(e));
}

TEST_F(ShippedRule, ParentPidOneIsExcluded) {
  OpenEvent e;
  e.parent_pid = 1;
  EXPECT_FALSE(alerts(e));
  e.parent_pid = 10;
  EXPECT_TRUE(alerts(e));
}

TEST_F(ShippedRule, TitleWildcardIsCaseInsensitive) {
  OpenEvent e;
  e.title = "sh -c cat /proc/modules | GREP ext4";
  EXPECT_FALSE(alerts(e));
  e.title = "egrep ext4 /proc/modules";
  EXPECT_FALSE(alerts(e));
  e.title = "cat /proc/modules | g-r-e-p";
  EXPECT_TRUE(alerts(e));
}

TEST_F(ShippedRule, OtherFilesActionsAndHostsDoNotAlert) {
  for (const char* path : {"/proc/modules2", "/proc/self/modules", "/PROC/MODULES", "/proc/kallsyms", ""}) {
    OpenEvent e;
    e.path = path;
    EXPECT_FALSE(alerts(e)) << path;
  }
  for (const char* action : {"read-file", "executed", "Opened-File", "opened-files"}) {
    OpenEvent e;
    e.action = action;
    EXPECT_FALSE(alerts(e)) << action;
  }
  for (const char* os : {"windows", "macos", "Linux", ""}) {
    OpenEvent e;
    e.os_type = os;
    EXPECT_FALSE(alerts(e)) << os;
  }
  OpenEvent e;
  e.category = "process";
  EXPECT_FALSE(alerts(e));
}

TEST_F(ShippedRule, FailedOpensAlert) {
  OpenEvent e;
  e.outcome = "failure";
  EXPECT_TRUE(alerts(e)) << "the query does not test event.outcome";
}

}  // namespace
