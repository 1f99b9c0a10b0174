#include "engine/windows.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <limits>

namespace audetect::engine {
namespace {

bool key_less(int64_t order_a, uint64_t seq_a, int64_t order_b, uint64_t seq_b) {
  return order_a != order_b ? order_a < order_b : seq_a < seq_b;
}

// Upper bound on how far rounding (now/d) can move a window bound down.
int64_t rounding_slack_ms(const rules::DateMath& m) {
  switch (m.round_unit) {
    case 0: return 0;
    case 's': return 1000;
    case 'm': return 60 * 1000;
    case 'h': case 'H': return 3600 * 1000;
    case 'd': return 86400 * 1000;
    case 'w': return 7 * int64_t{86400000};
    case 'M': return 31 * int64_t{86400000};
    default: return 366 * int64_t{86400000};
  }
}

}  // namespace

// --- AlertIdStore -----------------------------------------------------------------------------------

bool AlertIdStore::insert(const std::string& id, int64_t now_ms, int64_t needed_until_ms) {
  int64_t until = std::max(needed_until_ms, retention_ms_ > 0 ? now_ms + retention_ms_ : needed_until_ms);
  auto [it, inserted] = ids_.try_emplace(id, until);
  if (!inserted) it->second = std::max(it->second, until);
  return inserted;
}

void AlertIdStore::expire(int64_t now_ms) {
  // Sweeping is linear, so it runs only when the store has doubled since the last sweep.
  if (ids_.size() < 1024 || ids_.size() < 2 * size_at_last_sweep_) return;
  std::erase_if(ids_, [now_ms](const auto& kv) { return kv.second < now_ms; });
  size_at_last_sweep_ = ids_.size();
}

Status AlertIdStore::load(const std::string& path, int64_t now_ms) {
  std::ifstream in(path);
  if (!in) return Status::ok();  // first run: no state yet
  std::string line;
  uint64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    auto space = line.find(' ');
    bool ok = space == 64 && line.size() > 65;
    long long until = 0;
    if (ok) {
      for (size_t i = 0; i < 64 && ok; ++i) ok = std::isxdigit(static_cast<unsigned char>(line[i])) != 0;
      char* end = nullptr;
      until = std::strtoll(line.c_str() + 65, &end, 10);
      ok = ok && end && *end == '\0';
    }
    if (!ok) return Status::invalid(path + ":" + std::to_string(line_no) + ":1: not an alert-id state line");
    if (until >= now_ms) ids_[line.substr(0, 64)] = until;
  }
  return Status::ok();
}

Status AlertIdStore::save(const std::string& path) const {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return Status::io_error("cannot write " + tmp);
    std::vector<std::pair<std::string, int64_t>> sorted(ids_.begin(), ids_.end());
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [id, until] : sorted) out << id << ' ' << until << '\n';
    if (!out.flush()) return Status::io_error("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return Status::io_error("cannot replace " + path);
  return Status::ok();
}

// --- Schedule ---------------------------------------------------------------------------------------

Schedule Schedule::of(const rules::Rule& rule) {
  Schedule s;
  s.interval_ms = std::max<int64_t>(1000, rule.interval.count());
  s.from = rule.from;
  s.to = rule.to;
  s.max_signals = static_cast<uint32_t>(std::clamp<int64_t>(rule.max_signals, 1, 1000));
  return s;
}

// --- RuleWindows ------------------------------------------------------------------------------------

int64_t RuleWindows::align_up(int64_t t) const {
  const int64_t i = schedule_.interval_ms;
  int64_t r = t % i;
  if (r < 0) r += i;
  return r == 0 ? t : t - r + i;
}

void RuleWindows::start(int64_t first_time_ms) {
  if (!next_exec_) next_exec_ = align_up(first_time_ms);
}

int64_t RuleWindows::needed_until(int64_t window_ts) const {
  // The last execution whose window can still contain window_ts, plus one interval.
  return window_ts - schedule_.from.offset.count() + rounding_slack_ms(schedule_.from) + schedule_.interval_ms;
}

void RuleWindows::windows_for(int64_t w, int64_t span_ms, std::vector<Slot>& out) {
  // end(t) >= w needs t + to.offset >= w; start(t) <= w needs t + from.offset - slack <= w.
  int64_t lo = std::max(*next_exec_, align_up(w - schedule_.to.offset.count()));
  int64_t hi = w - schedule_.from.offset.count() + rounding_slack_ms(schedule_.from);
  for (int64_t t = lo; t <= hi; t += schedule_.interval_ms) {
    if (schedule_.from.resolve(t) <= w - span_ms && w <= schedule_.to.resolve(t)) {
      if (out.size() == kMaxWindowsPerMatch) {
        ++stats_.windows_truncated;
        break;
      }
      out.push_back({t, false});
    }
  }
}

bool RuleWindows::would_keep(const Window* w, int64_t order_ts, uint64_t seq) const {
  if (!w || w->kept.size() < schedule_.max_signals) return true;
  const Candidate& last = *w->kept.back();
  return key_less(order_ts, seq, last.order_ts, last.seq);
}

void RuleWindows::place(const std::vector<Slot>& slots, const CandidatePtr& c, int64_t now_ms, const Emit* eager) {
  bool kept_somewhere = false;
  for (const Slot& s : slots) {
    auto [it, created] = windows_.try_emplace(s.exec_time);
    Window& w = it->second;
    if (created) {
      w.start = schedule_.from.resolve(s.exec_time);
      w.end = schedule_.to.resolve(s.exec_time);
    }
    ++w.hits;
    if (!s.keeps || !c) continue;
    auto pos = std::upper_bound(w.kept.begin(), w.kept.end(), c, [](const CandidatePtr& a, const CandidatePtr& b) {
      return key_less(a->order_ts, a->seq, b->order_ts, b->seq);
    });
    w.kept.insert(pos, c);
    if (w.kept.size() > schedule_.max_signals) w.kept.pop_back();
    kept_somewhere = true;
  }
  if (eager && kept_somewhere && !store_.contains(c->dedup_id)) {
    store_.insert(c->dedup_id, now_ms, needed_until(c->window_ts));
    ++stats_.alerts;
    (*eager)(*c, now_ms);
  }
}

void RuleWindows::execute(int64_t exec_time, Window& w, const Emit& emit) {
  for (const CandidatePtr& c : w.kept) {
    if (!store_.insert(c->dedup_id, exec_time, needed_until(c->window_ts))) {
      ++stats_.duplicates;
      continue;
    }
    ++stats_.alerts;
    emit(*c, exec_time);
  }
  if (w.hits >= schedule_.max_signals) {
    ++stats_.capped_executions;
    stats_.capped_hits_not_alerted += w.hits - w.kept.size();
  }
}

void RuleWindows::count_executions_until(int64_t exclusive_end) {
  if (!next_exec_ || *next_exec_ >= exclusive_end) return;
  const int64_t n = (exclusive_end - *next_exec_ + schedule_.interval_ms - 1) / schedule_.interval_ms;
  stats_.executions += static_cast<uint64_t>(n);
  const int64_t gap = schedule_.interval_ms - schedule_.width_ms();
  if (gap > 0) {
    stats_.gap_executions += static_cast<uint64_t>(n);
    stats_.gap_ms += gap * n;
  }
  *next_exec_ += n * schedule_.interval_ms;
}

void RuleWindows::run_until(int64_t now_ms, const Emit& emit) {
  if (!next_exec_) return;
  while (!windows_.empty() && windows_.begin()->first < now_ms) {
    auto node = windows_.extract(windows_.begin());
    execute(node.key(), node.mapped(), emit);
  }
  count_executions_until(now_ms);
  store_.expire(now_ms);
}

std::optional<int64_t> RuleWindows::next_search(int64_t now_ms, std::optional<int64_t> oldest_kept_ms) const {
  if (!next_exec_ || !oldest_kept_ms) return std::nullopt;
  const int64_t t = std::max(*next_exec_, align_up(*oldest_kept_ms - schedule_.to.offset.count()));
  if (t >= now_ms) return std::nullopt;
  return t;
}

void RuleWindows::execute_search(int64_t exec_time, uint64_t found, std::vector<CandidatePtr> kept,
                                 const Emit& emit) {
  count_executions_until(exec_time + 1);
  Window w;
  w.start = schedule_.from.resolve(exec_time);
  w.end = schedule_.to.resolve(exec_time);
  w.hits = found;
  w.kept = std::move(kept);
  stats_.matches += found;
  execute(exec_time, w, emit);
}

void RuleWindows::emit_early(const std::vector<CandidatePtr>& found, int64_t now_ms, const Emit& emit) {
  for (const CandidatePtr& c : found) {
    if (!store_.insert(c->dedup_id, now_ms, needed_until(c->window_ts))) continue;
    ++stats_.alerts;
    emit(*c, now_ms);
  }
}

int64_t RuleWindows::oldest_window_start() const {
  return next_exec_ ? schedule_.from.resolve(*next_exec_) : INT64_MIN;
}

void RuleWindows::finish(const Emit& emit) {
  if (windows_.empty()) return;
  run_until(windows_.rbegin()->first + 1, emit);
}

size_t RuleWindows::kept_candidates() const {
  size_t n = 0;
  for (const auto& [t, w] : windows_) n += w.kept.size();
  return n;
}

}  // namespace audetect::engine
