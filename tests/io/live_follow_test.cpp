// `audetect watch --file` end to end with the real binary: a labelled real capture is written to a log
// in pieces, rotated by rename while watch runs and again while it is stopped, with a restart from the
// checkpoint in between (the second run configured by a TOML file) and a SIGHUP with a broken rule
// folder (the old rules keep running). Across both runs every alert of `audetect scan` over the whole
// capture must appear exactly once: nothing processed twice, nothing skipped.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>

#include "live_process.h"
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

using audetect::testing::find_audetect_binary;
using audetect::testing::slurp;
using audetect::testing::spawn;
using audetect::testing::wait_exit;

std::vector<std::string> read_lines(const fs::path& p) {
  std::vector<std::string> out;
  std::ifstream in(p);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

void append(const fs::path& p, const std::vector<std::string>& lines, size_t from, size_t to) {
  std::ofstream out(p, std::ios::app | std::ios::binary);
  for (size_t i = from; i < to; ++i) out << lines[i] << '\n';
}

// The kernel serial of a record; 0 for auditd's own DAEMON_* records, which count separately.
uint64_t serial_of(const std::string& line) {
  if (line.starts_with("type=DAEMON_")) return 0;
  static const std::regex re(R"(audit\(\d+\.\d+:(\d+)\))");
  std::smatch m;
  return std::regex_search(line, m, re) ? std::stoull(m[1]) : 0;
}

// Event sequences (auditd serials) of the alerts in an NDJSON alert file, sorted.
std::vector<uint64_t> alert_sequences(const std::string& ndjson) {
  static const std::regex re(R"("event":\{[^{}]*?"sequence":(\d+))");
  std::vector<uint64_t> out;
  std::istringstream in(ndjson);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::smatch m;
    if (std::regex_search(line, m, re)) out.push_back(std::stoull(m[1]));
    else out.push_back(0);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool wait_for(const fs::path& file, const std::string& text, int seconds) {
  for (auto until = Clock::now() + std::chrono::seconds(seconds); Clock::now() < until;) {
    if (slurp(file).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// Waits until `file` stops growing for `quiet_ms` (watch has caught up).
void wait_quiet(const fs::path& file, int quiet_ms) {
  std::error_code ec;
  auto last = fs::file_size(file, ec);
  auto since = Clock::now();
  while (Clock::now() - since < std::chrono::milliseconds(quiet_ms)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto now = fs::file_size(file, ec);
    if (now != last) {
      last = now;
      since = Clock::now();
    }
  }
}

TEST(LiveFollow, RotationRestartAndReloadGiveEveryAlertExactlyOnce) {
  auto audetect = find_audetect_binary();
  if (!audetect) GTEST_SKIP() << "the audetect binary is not built next to the tests (build target 'audetect')";
  const fs::path source = fs::path(AUDETECT_SOURCE_DIR) / "tests/engine/testdata/real/seed-raw.log";
  const fs::path shipped_rule = fs::path(AUDETECT_SOURCE_DIR) / "rules/linux/discovery_kernel_module_enumeration_via_proc.toml";
  ASSERT_TRUE(fs::exists(source));
  ASSERT_TRUE(fs::exists(shipped_rule));

  char tmpl[] = "/tmp/audetect-follow-live-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const fs::path dir = tmpl;
  const fs::path rules = dir / "rules";
  fs::create_directories(rules);
  fs::copy_file(shipped_rule, rules / "seed.toml");
  const fs::path log = dir / "audit.log", cp = dir / "audit.checkpoint";
  const fs::path alerts1 = dir / "alerts1.ndjson", alerts2 = dir / "alerts2.ndjson";
  const fs::path err1 = dir / "watch1.err", err2 = dir / "watch2.err";

  // What scan finds in the whole capture.
  pid_t scan = spawn({audetect->string(), "scan", "--rules", rules.string(), source.string()}, dir / "scan.ndjson",
                     dir / "scan.err");
  ASSERT_EQ(wait_exit(scan), 0) << slurp(dir / "scan.err");
  const auto expected = alert_sequences(slurp(dir / "scan.ndjson"));
  ASSERT_GE(expected.size(), 10u);

  // Split points between events: every serial before the point is below every serial after it.
  const auto lines = read_lines(source);
  std::vector<uint64_t> suffix_min(lines.size() + 1, UINT64_MAX);
  for (size_t i = lines.size(); i-- > 0;) {
    uint64_t s = serial_of(lines[i]);
    suffix_min[i] = std::min(suffix_min[i + 1], s ? s : UINT64_MAX);
  }
  std::vector<size_t> cuts;
  uint64_t prefix_max = 0;
  size_t next_target = 1;
  for (size_t i = 0; i < lines.size() && cuts.size() < 4; ++i) {
    prefix_max = std::max(prefix_max, serial_of(lines[i]));
    if (i + 1 >= next_target * lines.size() / 5 && prefix_max < suffix_min[i + 1]) {
      cuts.push_back(i + 1);
      ++next_target;
    }
  }
  ASSERT_EQ(cuts.size(), 4u);
  cuts.push_back(lines.size());

  // Run 1: flags. Part 0 before start, part 1 appended, then rotation by rename while writing part 2.
  append(log, lines, 0, cuts[0]);
  pid_t w1 = spawn({audetect->string(), "watch", "--file", log.string(), "--checkpoint", cp.string(), "--rules",
                    rules.string(), "--no-resolve"},
                   alerts1, err1);
  ASSERT_TRUE(wait_for(err1, "audetect watch: ready", 30)) << slurp(err1);
  append(log, lines, cuts[0], cuts[1]);
  wait_quiet(alerts1, 1500);
  // A broken rule folder on SIGHUP: the old rules keep running.
  { std::ofstream bad(rules / "broken.toml"); bad << "[rule\nname = \n"; }
  ::kill(w1, SIGHUP);
  ASSERT_TRUE(wait_for(err1, "SIGHUP: rules not reloaded", 10)) << slurp(err1);
  fs::remove(rules / "broken.toml");
  fs::rename(log, dir / "audit.log.1");
  append(dir / "audit.log.1", lines, cuts[1], (cuts[1] + cuts[2]) / 2);  // the writer finishes the old file
  append(log, lines, (cuts[1] + cuts[2]) / 2, cuts[2]);
  wait_quiet(alerts1, 1500);
  ::kill(w1, SIGTERM);
  ASSERT_EQ(wait_exit(w1), 0) << slurp(err1);
  EXPECT_NE(slurp(err1).find("SIGTERM received"), std::string::npos);

  // While stopped: part 3 to the current file, rotate, part 4 to a new file.
  append(log, lines, cuts[2], cuts[3]);
  fs::rename(log, dir / "audit.log.2");
  append(log, lines, cuts[3], cuts[4]);

  // Run 2: a TOML configuration.
  const fs::path config = dir / "watch.toml";
  {
    std::ofstream c(config);
    c << "[watch]\nfile = \"" << log.string() << "\"\ncheckpoint = \"" << cp.string() << "\"\nrules = [\""
      << rules.string() << "\"]\nexit_after = 120\n";
  }
  pid_t w2 = spawn({audetect->string(), "watch", "--config", config.string(), "--no-resolve"}, alerts2, err2);
  ASSERT_TRUE(wait_for(err2, "audetect watch: ready", 30)) << slurp(err2);
  EXPECT_NE(slurp(err2).find("rotated to"), std::string::npos) << slurp(err2);
  wait_quiet(alerts2, 2000);
  ::kill(w2, SIGINT);
  ASSERT_EQ(wait_exit(w2), 0) << slurp(err2);

  auto got1 = alert_sequences(slurp(alerts1));
  auto got2 = alert_sequences(slurp(alerts2));
  std::vector<uint64_t> got = got1;
  got.insert(got.end(), got2.begin(), got2.end());
  std::sort(got.begin(), got.end());
  std::printf("scan: %zu alerts; watch: %zu in run 1 + %zu in run 2\n", expected.size(), got1.size(), got2.size());
  EXPECT_EQ(got, expected) << "run 1 stderr:\n" << slurp(err1) << "\nrun 2 stderr:\n" << slurp(err2);
  EXPECT_GT(got1.size(), 0u);
  EXPECT_GT(got2.size(), 0u);
  fs::remove_all(dir);
}

std::string http_get(uint16_t port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return {};
  }
  std::string req = "GET " + path + " HTTP/1.0\r\n\r\n";
  (void)!::send(fd, req.data(), req.size(), 0);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

TEST(LiveFollow, PrometheusEndpointServesCounters) {
  auto audetect = find_audetect_binary();
  if (!audetect) GTEST_SKIP() << "the audetect binary is not built next to the tests (build target 'audetect')";
  const fs::path source = fs::path(AUDETECT_SOURCE_DIR) / "tests/engine/testdata/real/seed-raw.log";
  char tmpl[] = "/tmp/audetect-prom-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const fs::path dir = tmpl;
  fs::copy_file(source, dir / "audit.log");
  pid_t w = spawn({audetect->string(), "watch", "--file", (dir / "audit.log").string(), "--rules",
                   (fs::path(AUDETECT_SOURCE_DIR) / "rules").string(), "--no-resolve", "--prometheus", "0",
                   "--exit-after", "30"},
                  dir / "alerts", dir / "err");
  ASSERT_TRUE(wait_for(dir / "err", "audetect watch: ready", 30)) << slurp(dir / "err");
  std::smatch m;
  std::string err = slurp(dir / "err");
  ASSERT_TRUE(std::regex_search(err, m, std::regex(R"(http://127\.0\.0\.1:(\d+)/metrics)"))) << err;
  const auto port = static_cast<uint16_t>(std::stoi(m[1]));
  std::string body;
  for (auto until = Clock::now() + std::chrono::seconds(20); Clock::now() < until;) {
    body = http_get(port, "/metrics");
    if (body.find("audetect_alerts_total 14") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_NE(body.find("HTTP/1.0 200 OK"), std::string::npos) << body;
  EXPECT_NE(body.find("audetect_alerts_total 14"), std::string::npos) << body;
  EXPECT_NE(body.find("audetect_events_total "), std::string::npos) << body;
  EXPECT_NE(http_get(port, "/other").find("404"), std::string::npos);
  ::kill(w, SIGTERM);
  EXPECT_EQ(wait_exit(w), 0) << slurp(dir / "err");
  fs::remove_all(dir);
}

TEST(LiveFollow, BadConfigNamesFileLineAndKey) {
  auto audetect = find_audetect_binary();
  if (!audetect) GTEST_SKIP() << "the audetect binary is not built next to the tests (build target 'audetect')";
  char tmpl[] = "/tmp/audetect-config-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const fs::path dir = tmpl;
  { std::ofstream c(dir / "bad.toml"); c << "[watch]\nbackpressure = \"sometimes\"\nsurprise = 1\n"; }
  pid_t w = spawn({audetect->string(), "watch", "--config", (dir / "bad.toml").string(), "--stdin"}, dir / "out",
                  dir / "err");
  EXPECT_EQ(wait_exit(w), 2);
  const std::string err = slurp(dir / "err");
  EXPECT_NE(err.find((dir / "bad.toml").string() + ":3:12: unknown key 'surprise'"), std::string::npos) << err;
  EXPECT_NE(err.find("'backpressure' must be block or drop"), std::string::npos) << err;
  fs::remove_all(dir);
}

}  // namespace
