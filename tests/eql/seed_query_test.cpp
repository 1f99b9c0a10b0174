// The seed rule (docs/eql.md §13, issue 4 "Tests"): every clause with events built here, against
// the built-in schema the rules engine uses.
#include <gtest/gtest.h>

#include <string>

#include "eql_test_util.h"

namespace audetect::eql {
namespace {

constexpr const char* kSeed = R"(file where host.os.type == "linux" and event.action == "opened-file" and file.path == "/proc/modules"
and not (process.name in ("auditbeat","kmod","modprobe","lsmod","insmod","modinfo","rmmod",
         "SchedulerRunner","grep") or process.parent.pid == 1 or process.title : "*grep*"))";

struct SeedEvent {
  std::string category = R"(["file"])";
  std::string os = R"("linux")";
  std::string action = R"("opened-file")";
  std::string path = R"("/proc/modules")";
  std::string name = R"("cat")";
  std::string ppid = "2150";
  std::string title = R"("cat /proc/modules")";
  std::string outcome = R"("success")";

  std::string json() const {
    std::string j = "{";
    auto add = [&](const std::string& text) {
      if (j.size() > 1) j += ",";
      j += text;
    };
    if (!category.empty()) add(R"("event":{"category":)" + category + R"(,"action":)" + action + R"(,"outcome":)" + outcome + "}");
    if (!os.empty()) add(R"("host":{"os":{"type":)" + os + "}}");
    if (!path.empty()) add(R"("file":{"path":)" + path + "}");
    std::string proc = R"("process":{"name":)" + name + R"(,"parent":{"pid":)" + ppid + "}";
    if (!title.empty()) proc += R"(,"title":)" + title;
    add(proc + "}");
    return j + "}";
  }
};

class SeedQuery : public ::testing::Test {
 protected:
  void SetUp() override {
    CompileResult r = compile(kSeed, Schema::builtin());
    ASSERT_TRUE(r.ok()) << r.diagnostics.render(kSeed);
    EXPECT_TRUE(r.diagnostics.empty()) << r.diagnostics.render(kSeed);  // every field is known
    query_ = r.query;
  }
  bool alerts(const SeedEvent& e) { return query_->matches(testing::event_from_json(e.json())); }
  std::shared_ptr<const CompiledQuery> query_;
};

TEST_F(SeedQuery, CatFromAShellAlerts) { EXPECT_TRUE(alerts(SeedEvent{})); }

TEST_F(SeedQuery, EachExcludedNameIsExcluded) {
  for (const char* name : {"auditbeat", "kmod", "modprobe", "lsmod", "insmod", "modinfo", "rmmod", "SchedulerRunner", "grep"}) {
    SeedEvent e;
    e.name = std::string("\"") + name + "\"";
    e.title = std::string("\"") + name + " x\"";
    if (std::string(name) == "grep") e.title = R"("grep")";
    EXPECT_FALSE(alerts(e)) << name;
  }
}

TEST_F(SeedQuery, NameListIsCaseSensitive) {
  SeedEvent e;
  e.name = R"("Lsmod")";
  e.title = R"("Lsmod")";
  EXPECT_TRUE(alerts(e));
  e.name = R"("GREP")";
  e.title = R"("x /proc/modules")";
  EXPECT_TRUE(alerts(e));  // GREP is not in the (case-sensitive) list
}

TEST_F(SeedQuery, ParentPidOneIsExcluded) {
  SeedEvent e;
  e.ppid = "1";
  EXPECT_FALSE(alerts(e));
  e.ppid = "11";
  EXPECT_TRUE(alerts(e));
}

TEST_F(SeedQuery, TitleWildcardIsCaseInsensitive) {
  SeedEvent e;
  e.name = R"("ugrep")";
  e.title = R"("ugrep -i kvm /proc/modules")";
  EXPECT_FALSE(alerts(e));
  e.name = R"("GrepLite")";
  e.title = R"("/opt/t/GrepLite /proc/modules")";
  EXPECT_FALSE(alerts(e));
  e.title = R"("/opt/t/GREP /proc/modules")";
  EXPECT_FALSE(alerts(e));
  e.title = R"("/opt/t/gr-ep /proc/modules")";
  EXPECT_TRUE(alerts(e));
}

TEST_F(SeedQuery, MissingTitleAlerts) {
  SeedEvent e;
  e.title.clear();
  EXPECT_TRUE(alerts(e));  // missing -> `:` false -> not true
}

TEST_F(SeedQuery, OtherProcFilesDoNotAlert) {
  SeedEvent e;
  e.path = R"("/proc/meminfo")";
  EXPECT_FALSE(alerts(e));
  e.path = R"("modules")";  // relative open from /proc
  EXPECT_FALSE(alerts(e));
  e.path = R"("/PROC/MODULES")";
  EXPECT_FALSE(alerts(e));
}

TEST_F(SeedQuery, OtherActionsDoNotAlert) {
  SeedEvent e;
  e.action = R"("read-file")";
  EXPECT_FALSE(alerts(e));
  e.action = R"("Opened-File")";
  EXPECT_FALSE(alerts(e));
}

TEST_F(SeedQuery, NonLinuxOrMissingOsDoesNotAlert) {
  SeedEvent e;
  e.os = R"("windows")";
  EXPECT_FALSE(alerts(e));
  e.os.clear();
  EXPECT_FALSE(alerts(e));
}

TEST_F(SeedQuery, OtherCategoriesDoNotAlert) {
  SeedEvent e;
  e.category = R"(["process"])";
  EXPECT_FALSE(alerts(e));
  e.category = R"(["process","file"])";
  EXPECT_TRUE(alerts(e));
  e.category = R"("file")";
  EXPECT_TRUE(alerts(e));
}

TEST_F(SeedQuery, FailedOpensStillAlert) {
  SeedEvent e;
  e.outcome = R"("failure")";
  EXPECT_TRUE(alerts(e));  // the query ignores the outcome
}

TEST_F(SeedQuery, ParentPidAsStringStillCompares) {
  SeedEvent e;
  e.ppid = R"("1")";
  EXPECT_FALSE(alerts(e));
}

}  // namespace
}  // namespace audetect::eql
