// audetect watch: live detection. Records come from the kernel (netlink unicast or multicast, chosen
// like auditbeat), a followed audit log (tail -F with a checkpoint) or standard input; each event is
// evaluated as soon as it is assembled and alerts are written at once (flushed per alert).
//
// Threads: for netlink and stdin one reader thread moves records into a bounded queue (backpressure
// block|drop) and the main thread assembles, normalizes, detects and writes; a followed file is polled
// by the main thread itself so that its checkpoint always names the last line processed.
// Signals are taken synchronously (sigtimedwait) by the main thread: SIGTERM/SIGINT flush and exit 0,
// SIGHUP reloads the rules (a bad rule set keeps the old one running).
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <toml++/toml.h>

#include "cli/command.h"
#include "cli/files.h"
#include "cli/input_options.h"
#include "engine/engine.h"
#include "engine/sink.h"
#include "io/audit_status.h"
#include "io/follow.h"
#include "io/netlink.h"
#include "io/pipeline.h"
#include "io/privileges.h"
#include "io/source.h"
#include "io/watch.h"
#include "rules/query_check.h"
#include "rules/rules.h"

namespace audetect::cli {
namespace {

namespace fs = std::filesystem;

struct WatchArgs {
  std::vector<std::string> rule_paths;
  InputFlags input;
  std::string config_file;
  std::string socket_type = "auto";
  std::string file;
  std::string checkpoint;
  bool start_at_end = false;
  bool use_stdin = false;
  bool install_audit_rules = false;
  std::string backpressure = "block";
  size_t queue_size = 16384;
  std::string output;
  std::string format = "ndjson";
  double metrics_seconds = 0;
  double status_seconds = 60;
  double exit_after_seconds = 0;
  int64_t idle_flush_ms = 250;
  int prometheus_port = -1;
  std::string kernel_lock = io::KernelAuditLock::kDefaultPath;
  bool no_drop_privileges = false;
  std::string space = "default";
  CLI::App* cmd = nullptr;
};

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void log(const std::string& text) { std::fprintf(stderr, "audetect watch: %s\n", text.c_str()); }

// Options from a TOML file ([watch] table or top level); a flag given on the command line wins.
int apply_config(WatchArgs& a) {
  toml::table root;
  try {
    root = toml::parse_file(a.config_file);
  } catch (const toml::parse_error& e) {
    std::fprintf(stderr, "audetect: error: %s:%u:%u: %s\n", a.config_file.c_str(), e.source().begin.line,
                 e.source().begin.column, std::string(e.description()).c_str());
    return kExitUsage;
  }
  const toml::table* t = root["watch"].as_table() ? root["watch"].as_table() : &root;
  auto given = [&](const char* flag) { return a.cmd->count(flag) > 0; };
  int rc = kExitOk;
  auto bad = [&](std::string_view key, std::string_view want) {
    auto node = t->get(key);
    auto pos = node ? node->source().begin : toml::source_position{};
    std::fprintf(stderr, "audetect: error: %s:%u:%u: '%.*s' must be %.*s\n", a.config_file.c_str(), pos.line,
                 pos.column, static_cast<int>(key.size()), key.data(), static_cast<int>(want.size()), want.data());
    rc = kExitUsage;
  };
  // A key's value, unless its command-line flag was given (the flag wins); a value of the wrong type is
  // reported with what was expected.
  auto setting = [&]<class T>(const char* key, const char* flag, T& out, std::string_view want) {
    if (auto n = t->get(key)) {
      if (auto v = n->template value<T>()) {
        if (!given(flag)) out = *v;
      } else {
        bad(key, want);
      }
    }
  };
  auto str = [&](const char* key, const char* flag, std::string& out) { setting(key, flag, out, "a string"); };
  auto boolean = [&](const char* key, const char* flag, bool& out) { setting(key, flag, out, "true or false"); };
  auto number = [&](const char* key, const char* flag, double& out) { setting(key, flag, out, "a number"); };
  static const char* known[] = {"rules", "socket_type", "file", "checkpoint", "start_at_end", "stdin",
                                "install_audit_rules", "backpressure", "queue_size", "output", "format",
                                "metrics", "status_interval", "kernel_lock", "drop_privileges", "space",
                                "exit_after", "prometheus"};
  for (const auto& [k, v] : *t) {
    if (v.is_table() && k.str() != "watch") continue;
    bool ok = false;
    for (const char* name : known) ok = ok || k.str() == name;
    if (!ok) {
      std::fprintf(stderr, "audetect: error: %s:%u:%u: unknown key '%s'\n", a.config_file.c_str(),
                   v.source().begin.line, v.source().begin.column, std::string(k.str()).c_str());
      rc = kExitUsage;
    }
  }
  if (auto n = t->get("rules"); n && !given("--rules")) {
    if (auto arr = n->as_array()) {
      for (const auto& e : *arr) {
        if (auto s = e.value<std::string>()) a.rule_paths.push_back(*s);
        else bad("rules", "a list of paths");
      }
    } else if (auto s = n->value<std::string>()) {
      a.rule_paths.push_back(*s);
    } else {
      bad("rules", "a path or a list of paths");
    }
  }
  str("socket_type", "--socket-type", a.socket_type);
  str("file", "--file", a.file);
  str("checkpoint", "--checkpoint", a.checkpoint);
  boolean("start_at_end", "--start-at-end", a.start_at_end);
  boolean("stdin", "--stdin", a.use_stdin);
  boolean("install_audit_rules", "--install-audit-rules", a.install_audit_rules);
  str("backpressure", "--backpressure", a.backpressure);
  if (auto n = t->get("queue_size")) {
    if (auto v = n->value<int64_t>(); v && *v > 0) {
      if (!given("--queue-size")) a.queue_size = static_cast<size_t>(*v);
    } else {
      bad("queue_size", "a positive integer");
    }
  }
  str("output", "--output", a.output);
  str("format", "--format", a.format);
  number("metrics", "--metrics", a.metrics_seconds);
  number("status_interval", "--status-interval", a.status_seconds);
  number("exit_after", "--exit-after", a.exit_after_seconds);
  str("kernel_lock", "--kernel-lock", a.kernel_lock);
  str("space", "--space", a.space);
  if (auto n = t->get("prometheus")) {
    if (auto v = n->value<int64_t>(); v && *v >= 0 && *v <= 65535) {
      if (!given("--prometheus")) a.prometheus_port = static_cast<int>(*v);
    } else {
      bad("prometheus", "a port number");
    }
  }
  if (auto n = t->get("drop_privileges")) {
    if (auto v = n->value<bool>()) {
      if (!given("--no-drop-privileges")) a.no_drop_privileges = !*v;
    } else {
      bad("drop_privileges", "true or false");
    }
  }
  if (a.socket_type != "auto" && a.socket_type != "multicast" && a.socket_type != "unicast")
    bad("socket_type", "auto, multicast or unicast");
  if (a.backpressure != "block" && a.backpressure != "drop") bad("backpressure", "block or drop");
  return rc;
}

struct LoadedRules {
  std::vector<engine::EngineRule> prepared;
  std::vector<std::string> audit_rules;
  size_t runnable = 0;
};

// Loads and compiles the rule set; an error (any rule file failing) keeps the caller's current set.
Result<LoadedRules> load(const std::vector<fs::path>& paths) {
  for (const auto& p : paths) {
    std::error_code ec;
    if (!fs::exists(p, ec)) return Status::invalid(fmt::format("--rules {}: no such file or directory", p.string()));
  }
  rules::RuleSet set = rules::load_rules(paths);
  rules::check_queries(set);
  std::string errors;
  for (const auto& d : set.diagnostics)
    if (d.level == rules::Diagnostic::Level::kError) errors += (errors.empty() ? "" : "\n") + rules::to_string(d);
  if (!errors.empty()) return Status::invalid(errors);
  if (set.rules.empty()) return Status::invalid("no rule could be loaded from the given paths");
  LoadedRules out;
  out.audit_rules = set.required_audit_rules();
  out.prepared = engine::DetectionEngine::prepare(std::move(set.rules));
  for (const auto& r : out.prepared) out.runnable += r.matcher ? 1 : 0;
  return out;
}

int run_watch(WatchArgs& a) {
  if (!a.config_file.empty())
    if (int rc = apply_config(a); rc != kExitOk) return rc;
  io::PipelineOptions pipeline_options;
  if (int rc = a.input.apply(pipeline_options); rc != kExitOk) return rc;
  pipeline_options.progress = false;
  // Live, an event that never completes (no EOE: e.g. the CONFIG_CHANGE of the daemon's own rule
  // request, whose syscall the kernel does not audit) holds every later event back until it expires,
  // and the pipeline expires groups by record time. The kernel stamps all records of one event with
  // one time, so a short timeout splits nothing and keeps alert latency low.
  if (a.cmd->count("--reassembly-timeout") == 0) pipeline_options.assembler.timeout_ms = 100;
  io::SocketType socket_type;
  io::Backpressure backpressure;
  engine::AlertFormat format;
  if (!io::parse_socket_type(a.socket_type, &socket_type) || !io::parse_backpressure(a.backpressure, &backpressure) ||
      !engine::parse_alert_format(a.format, &format)) {
    std::fprintf(stderr, "audetect: error: bad --socket-type, --backpressure or --format value\n");
    return kExitUsage;
  }
  if (!a.file.empty() && a.use_stdin) {
    std::fprintf(stderr, "audetect: error: --file and --stdin exclude each other\n");
    return kExitUsage;
  }
  if (a.install_audit_rules && (!a.file.empty() || a.use_stdin))
    log("note: --install-audit-rules with a file or stdin source installs the rules for whatever writes that log");

  auto rule_paths = rule_paths_or_bundled(a.rule_paths);
  if (!rule_paths) return kExitUsage;
  const std::vector<fs::path>& paths = *rule_paths;
  auto loaded = load(paths);
  if (!loaded) {
    std::fprintf(stderr, "%s\naudetect: error: rules not loaded\n", loaded.status().message().c_str());
    return kExitUsage;
  }
  log(fmt::format("{} rule(s) loaded, {} runnable", loaded->prepared.size(), loaded->runnable));

  OwnedFile owned(nullptr, &std::fclose);
  FILE* out = open_output(a.output, owned);
  if (!out) return kExitFailure;
  auto sink = engine::make_stream_sink(format, out, true, a.space);

  // Signals are handled synchronously by the main thread; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Source setup.
  std::unique_ptr<io::KernelSession> session;
  std::unique_ptr<io::FileFollower> follower;
  std::unique_ptr<io::LineSource> stdin_source;
  std::string source_name;
  std::vector<std::string> notes;
  if (!a.file.empty()) {
    io::FollowOptions fo{a.file, a.checkpoint, a.start_at_end};
    follower = std::make_unique<io::FileFollower>(fo);
    Status st = follower->open(&notes);
    for (const auto& n : notes) log(n);
    notes.clear();
    if (!st) {
      std::fprintf(stderr, "audetect: error: %s\n", st.message().c_str());
      return kExitFailure;
    }
    source_name = a.file;
  } else if (a.use_stdin) {
    auto src = io::LineSource::open("-");
    if (!src) {
      std::fprintf(stderr, "audetect: error: %s\n", src.status().message().c_str());
      return kExitFailure;
    }
    stdin_source = std::move(src.value());
    source_name = "<stdin>";
  } else {
    io::KernelSessionOptions ko;
    ko.socket_type = socket_type;
    ko.install_rules = a.install_audit_rules;
    ko.audit_rules = loaded->audit_rules;
    ko.lock_path = a.kernel_lock;
    ko.backpressure = backpressure;
    auto s = io::KernelSession::start(ko, notes);
    for (const auto& n : notes) log(n);
    notes.clear();
    if (!s) {
      std::fprintf(stderr, "audetect: error: %s\n", s.status().message().c_str());
      return kExitFailure;
    }
    session = std::move(s.value());
    source_name = "<netlink>";
  }
  if (a.install_audit_rules && !session) {
    // File/stdin sources: still install (and later remove) what the rules need, if asked.
    io::KernelSessionOptions ko;
    ko.socket_type = io::SocketType::kMulticast;
    ko.install_rules = true;
    ko.audit_rules = loaded->audit_rules;
    ko.lock_path = a.kernel_lock;
    auto s = io::KernelSession::start(ko, notes);
    for (const auto& n : notes) log(n);
    notes.clear();
    if (!s) {
      std::fprintf(stderr, "audetect: error: %s\n", s.status().message().c_str());
      return kExitFailure;
    }
    session = std::move(s.value());
  }

  std::unique_ptr<io::MetricsServer> prometheus;
  if (a.prometheus_port >= 0) {
    auto m = io::MetricsServer::start(static_cast<uint16_t>(a.prometheus_port));
    if (!m) {
      std::fprintf(stderr, "audetect: error: %s\n", m.status().message().c_str());
      return kExitFailure;
    }
    prometheus = std::move(m.value());
    log(fmt::format("prometheus metrics on http://127.0.0.1:{}/metrics", prometheus->port()));
  }

  if (!a.no_drop_privileges && ::geteuid() == 0) {
    io::PrivilegeOptions po;
    // CAP_AUDIT_CONTROL stays for the kernel status reports (AUDIT_GET needs it) and for undoing our
    // changes at exit; nothing else is kept.
    po.keep_audit_control = session != nullptr;
    auto dropped = io::drop_privileges(po);
    log(dropped ? *dropped : "could not drop privileges: " + dropped.status().message());
  }

  engine::EngineOptions eo;
  eo.clock = engine::EngineOptions::Clock::kWallClock;
  eo.eager = true;
  eo.space = a.space;
  auto detection = std::make_unique<engine::DetectionEngine>(std::move(loaded->prepared), *sink, eo);
  io::EventPipeline pipeline(pipeline_options, [&](const Event& e) { detection->process(e); });

  // Reader thread (netlink, stdin).
  io::RecordQueue queue(a.queue_size, backpressure);
  std::atomic<bool> stop_reader{false};
  std::atomic<bool> reader_failed{false};
  std::atomic<uint64_t> socket_overruns{0};  // the reader's counter, published for --metrics
  std::atomic<bool> reader_done{false};
  std::string reader_error;
  std::thread reader;
  if (session && a.file.empty() && !a.use_stdin) {
    reader = std::thread([&] {
      std::string line;
      io::AuditNetlinkMessage msg;
      while (!stop_reader.load(std::memory_order_relaxed)) {
        auto got = session->reader().receive(msg, 200);
        socket_overruns.store(session->reader().counters().overruns, std::memory_order_relaxed);
        if (!got) {
          reader_error = got.status().message();
          reader_failed = true;
          break;
        }
        if (!*got || !io::is_forwarded_record_type(msg.type)) continue;
        io::netlink_record_to_line(msg.type, msg.payload, line);
        if (!queue.push(line)) break;
      }
      reader_done = true;
      queue.close();
    });
  } else if (stdin_source) {
    reader = std::thread([&] {
      io::LineSource::Line line;
      while (!stop_reader.load(std::memory_order_relaxed) && stdin_source->next(line))
        if (!queue.push(line.text)) break;
      if (!stdin_source->status().is_ok()) {
        reader_error = stdin_source->status().message();
        reader_failed = true;
      }
      queue.close();
    });
  }
  log("ready");

  const int64_t started = now_ms();
  int64_t last_metrics = started, last_status = started, last_tick = started, last_input = started,
          last_checkpoint = started, last_prometheus = started - 1000;
  uint64_t last_events = 0;
  uint64_t kernel_lost_at_start = 0;
  if (session) {
    if (auto st = session->control().get_status()) kernel_lost_at_start = st->lost;
  }
  uint64_t line_no = 0;
  bool pending_since_input = false;
  std::string line;
  int rc = kExitOk;
  bool stopping = false;
  uint64_t reloads = 0, failed_reloads = 0;

  auto feed = [&](std::string_view text) {
    pipeline.feed_line(text, source_name, ++line_no);
    pending_since_input = true;
  };

  while (!stopping) {
    timespec zero{0, 0};
    int sig = sigtimedwait(&signals, nullptr, &zero);
    if (sig == SIGTERM || sig == SIGINT) {
      log(fmt::format("{} received: flushing and exiting", sig == SIGTERM ? "SIGTERM" : "SIGINT"));
      break;
    }
    if (sig == SIGHUP) {
      auto fresh = load(paths);
      if (!fresh) {
        ++failed_reloads;
        log("SIGHUP: rules not reloaded, the previous rules keep running:\n" + fresh.status().message());
      } else {
        detection->finish();
        if (session && a.install_audit_rules) {
          Status st = session->install_more(fresh->audit_rules, notes);
          for (const auto& n : notes) log(n);
          notes.clear();
          if (!st) log("SIGHUP: installing audit rules: " + st.message());
        }
        size_t count = fresh->prepared.size(), runnable = fresh->runnable;
        detection = std::make_unique<engine::DetectionEngine>(std::move(fresh->prepared), *sink, eo);
        ++reloads;
        log(fmt::format("SIGHUP: {} rule(s) reloaded, {} runnable", count, runnable));
      }
    }

    size_t got = 0;
    if (follower) {
      auto n = follower->poll([&](std::string_view l) { feed(l); }, 4096);
      if (!n) {
        log("reading " + a.file + ": " + n.status().message());
        rc = kExitFailure;
        break;
      }
      got = *n;
      if (got == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } else if (reader.joinable()) {
      if (queue.pop(line, 100)) {
        feed(line);
        ++got;
        while (got < 4096 && queue.pop(line, 0)) {
          feed(line);
          ++got;
        }
      } else if (queue.closed_and_empty()) {
        if (reader_failed) {
          log("input failed: " + reader_error);
          rc = kExitFailure;
        }
        break;  // stdin at its end, or the socket broke
      }
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }

    const int64_t now = now_ms();
    if (got) last_input = now;
    // Events are released in serial order, so one whose EOE never comes (e.g. a CONFIG_CHANGE from the
    // audit daemon's own request, whose syscall the kernel does not audit) would hold back every later
    // event until the record-time timeout. The kernel writes an event's records back to back, so a
    // quiet input means nothing pending is still growing: release it all.
    if (pending_since_input && now - last_input >= std::min<int64_t>(a.idle_flush_ms, pipeline_options.assembler.timeout_ms)) {
      pipeline.flush();
      pending_since_input = false;
    }
    if (now - last_tick >= 1000) {
      detection->tick(now);
      last_tick = now;
    }
    if (follower && !a.checkpoint.empty() && now - last_checkpoint >= 5000) {
      if (Status st = follower->save_checkpoint(); !st) log("checkpoint: " + st.message());
      last_checkpoint = now;
    }
    if (a.metrics_seconds > 0 && now - last_metrics >= static_cast<int64_t>(a.metrics_seconds * 1000)) {
      const auto qc = queue.counters();
      const auto& ps = pipeline.stats();
      uint64_t events = detection->events_processed();
      double rate = static_cast<double>(ps.audit_events + ps.json_events - last_events) * 1000.0 /
                    static_cast<double>(std::max<int64_t>(1, now - last_metrics));
      last_events = ps.audit_events + ps.json_events;
      uint64_t kernel_lost = 0;
      if (session)
        if (auto st = session->control().get_status()) kernel_lost = st->lost - kernel_lost_at_start;
      std::fprintf(stderr,
                   "audetect watch metrics: events/s=%.1f events=%llu alerts=%llu lost=%llu (kernel %llu, serial gaps "
                   "%llu, socket overruns %llu) dropped=%llu (events %llu) queue=%zu/%zu high=%zu\n",
                   rate, static_cast<unsigned long long>(events),
                   static_cast<unsigned long long>(sink->written()),
                   static_cast<unsigned long long>(kernel_lost + ps.lost + socket_overruns.load()),
                   static_cast<unsigned long long>(kernel_lost), static_cast<unsigned long long>(ps.lost),
                   static_cast<unsigned long long>(socket_overruns.load()),
                   static_cast<unsigned long long>(qc.dropped_records),
                   static_cast<unsigned long long>(qc.dropped_events), qc.depth, a.queue_size, qc.high_water);
      last_metrics = now;
    }
    if (prometheus && now - last_prometheus >= 1000) {
      const auto qc = queue.counters();
      const auto& ps = pipeline.stats();
      uint64_t kernel_lost = 0;
      if (session)
        if (auto st = session->control().get_status()) kernel_lost = st->lost - kernel_lost_at_start;
      prometheus->publish(fmt::format(
          "# HELP audetect_events_total Events assembled and evaluated.\n# TYPE audetect_events_total counter\n"
          "audetect_events_total {}\n"
          "# HELP audetect_alerts_total Alerts written.\n# TYPE audetect_alerts_total counter\n"
          "audetect_alerts_total {}\n"
          "# HELP audetect_lost_total Records or events lost before audetect saw them.\n"
          "# TYPE audetect_lost_total counter\n"
          "audetect_lost_total{{source=\"kernel\"}} {}\naudetect_lost_total{{source=\"serial_gap\"}} {}\n"
          "audetect_lost_total{{source=\"socket\"}} {}\n"
          "# HELP audetect_dropped_events_total Events dropped by --backpressure drop.\n"
          "# TYPE audetect_dropped_events_total counter\naudetect_dropped_events_total {}\n"
          "# HELP audetect_queue_depth Records waiting between reader and detection.\n"
          "# TYPE audetect_queue_depth gauge\naudetect_queue_depth {}\n"
          "# TYPE audetect_queue_capacity gauge\naudetect_queue_capacity {}\n",
          detection->events_processed(), sink->written(), kernel_lost, ps.lost, socket_overruns.load(),
          qc.dropped_events, qc.depth, a.queue_size));
      last_prometheus = now;
    }
    if (session && a.status_seconds > 0 && now - last_status >= static_cast<int64_t>(a.status_seconds * 1000)) {
      if (auto st = session->control().get_status()) log("kernel audit status: " + io::format_audit_status(*st));
      last_status = now;
    }
    if (a.exit_after_seconds > 0 && now - started >= static_cast<int64_t>(a.exit_after_seconds * 1000)) {
      log("--exit-after reached: flushing and exiting");
      stopping = true;
    }
  }

  // Shutdown: stop reading, process what was read, flush, restore the kernel.
  stop_reader = true;
  if (reader.joinable()) {
    if (stdin_source) {
      queue.close();
      reader.detach();  // may sit in read(2) on a quiet pipe; it holds nothing that needs releasing
    } else {
      // The reader may be waiting for room (block): keep consuming until it has seen the stop flag,
      // so that what it already took from the kernel is processed, then join.
      while (!reader_done.load()) {
        if (queue.pop(line, 50)) feed(line);
      }
      reader.join();
    }
  }
  while (queue.pop(line, 0)) feed(line);
  pipeline.flush();
  detection->finish();
  if (follower && !a.checkpoint.empty())
    if (Status st = follower->save_checkpoint(); !st) log("checkpoint: " + st.message());
  const auto qc = queue.counters();
  if (session) {
    Status st = session->finish(notes);
    for (const auto& n : notes) log(n);
    if (!st) rc = kExitFailure;
  }
  if (!sink->status().is_ok()) {
    log("writing alerts: " + sink->status().message());
    rc = kExitFailure;
  }
  log(pipeline.summary());
  if (qc.dropped_records || qc.blocked_waits)
    log(fmt::format("backpressure: {} record(s) of {} event(s) dropped ({} of them partly processed, incomplete), "
                    "reader waited {} time(s)",
                    qc.dropped_records, qc.dropped_events, qc.partial_events, qc.blocked_waits));
  if (session) {
    const auto& nc = session->reader().counters();
    log(fmt::format("netlink: {} record(s) received, {} socket overrun(s), {} foreign message(s) dropped",
                    nc.received, nc.overruns, nc.foreign_dropped));
  }
  if (reloads || failed_reloads) log(fmt::format("reloads: {} ok, {} failed", reloads, failed_reloads));
  std::fputs(detection->summary(detection->events_processed()).c_str(), stderr);
  std::fflush(out);
  return rc;
}

}  // namespace

Registration register_watch(CLI::App& app) {
  auto a = std::make_shared<WatchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "watch", "Live detection on the kernel's audit stream (netlink), a followed audit log, or stdin; alerts as "
               "they happen");
  a->cmd = cmd;
  cmd->add_option("--config", a->config_file, "TOML file with these options ([watch] table); flags win");
  cmd->add_option("--rules", a->rule_paths, "Rule file or folder (repeatable); default: the bundled rules/");
  a->input.add_to(*cmd);
  cmd->add_option("--socket-type", a->socket_type,
                  "auto (auditbeat's choice: multicast unless audetect manages rules), multicast or unicast")
      ->check(CLI::IsMember({"auto", "multicast", "unicast"}));
  cmd->add_option("--file", a->file, "Follow this audit log like tail -F instead of netlink");
  cmd->add_option("--checkpoint", a->checkpoint, "With --file: resume from / save the position here");
  cmd->add_flag("--start-at-end", a->start_at_end, "With --file and no checkpoint: skip what the file holds");
  cmd->add_flag("--stdin", a->use_stdin, "Read records (raw audit or ECS NDJSON) from standard input");
  cmd->add_flag("--install-audit-rules", a->install_audit_rules,
                "Install the audit rules the loaded rules need at start; remove exactly those at exit");
  cmd->add_option("--backpressure", a->backpressure, "When detection falls behind: block (default) or drop")
      ->check(CLI::IsMember({"block", "drop"}));
  cmd->add_option("--queue-size", a->queue_size, "Records buffered between reader and detection")
      ->check(CLI::Range(size_t{1}, size_t{1} << 24));
  cmd->add_option("-o,--output", a->output, "Append alerts to FILE (flushed per alert) instead of stdout");
  cmd->add_option("--format", a->format, "ndjson, table or bulk")->check(CLI::IsMember({"ndjson", "json", "table", "bulk"}));
  cmd->add_option("--metrics", a->metrics_seconds, "Print counters on stderr every N seconds (0: off)");
  cmd->add_option("--prometheus", a->prometheus_port,
                  "Serve Prometheus metrics on http://127.0.0.1:PORT/metrics (0: any free port; default off)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--status-interval", a->status_seconds, "Report the kernel audit status every N seconds (0: off)");
  cmd->add_option("--exit-after", a->exit_after_seconds, "Flush and exit after N seconds (0: run until a signal)");
  cmd->add_option("--idle-flush-ms", a->idle_flush_ms,
                  "Release events still being assembled once input has been quiet this long (alert latency)")
      ->check(CLI::Range(int64_t{1}, int64_t{3600000}));
  cmd->add_option("--kernel-lock", a->kernel_lock, "Lock file held while audetect has kernel audit state changed "
                                                   "('' for none)");
  cmd->add_flag("--no-drop-privileges", a->no_drop_privileges, "Keep every capability after setup");
  cmd->add_option("--space", a->space, "Kibana space id for alert ids");
  return {cmd, [a] { return run_watch(*a); }};
}

}  // namespace audetect::cli
