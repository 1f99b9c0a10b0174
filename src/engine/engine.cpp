#include "engine/engine.h"

#include "engine/dispatch.h"

#include <algorithm>
#include <chrono>
#include <map>

#include <fmt/format.h>

#include "engine/timestamp.h"

namespace audetect::engine {
namespace {

int64_t system_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

bool glob_match(std::string_view text, std::string_view pattern) {
  size_t t = 0, p = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p, ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string duration_text(int64_t ms) {
  if (ms % 60000 == 0) return fmt::format("{}m", ms / 60000);
  if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}ms", ms);
}

// What the alert builder needs from a match, kept alive by the windows holding it.
struct MatchPayload {
  std::vector<Event> events;
  std::vector<SourceIdentity> identities;
  std::vector<SourceRewrite> rewrites;
  bool sequence = false;
};

const FieldPath& timestamp_path() {
  static const FieldPath p("@timestamp");
  return p;
}

}  // namespace

bool index_matches(std::string_view index, const std::vector<std::string>& patterns) {
  if (patterns.empty()) return true;  // a data view: every index
  bool included = false;
  for (const std::string& p : patterns) {
    if (!p.empty() && p[0] == '-') {
      if (glob_match(index, std::string_view(p).substr(1))) return false;
    } else if (!included) {
      included = glob_match(index, p);
    }
  }
  return included;
}

struct DetectionEngine::RuleState {
  rules::Rule rule;
  std::string uuid;
  std::unique_ptr<RuleMatcher> matcher;
  std::string not_runnable_reason;
  std::unique_ptr<RuleAlertTemplate> alert_template;
  std::unique_ptr<RuleWindows> windows;
  RuleWindows::Emit emit;
  FieldPath override_path;  // empty: @timestamp
  bool override_is_ingested = false;
  FieldPath order_path;  // empty: @timestamp
  std::string last_index;
  bool last_index_matched = false;
  bool index_known = false;
  uint64_t without_timestamp = 0;
  uint64_t late_events = 0;  // sequence and sample rules: candidates older than every window to execute
  std::optional<int64_t> last_early_search_ms;  // live mode: when the next window was last searched early
};

DetectionEngine::DetectionEngine(std::vector<EngineRule> rules, AlertSink& sink, EngineOptions options)
    : sink_(sink), options_(std::move(options)), ids_(options_.alert_id_retention_ms) {
  if (!options_.wall_clock_ms) options_.wall_clock_ms = system_now_ms;
  const int64_t loaded = options_.loaded_at_ms >= 0 ? options_.loaded_at_ms : options_.wall_clock_ms();
  for (EngineRule& er : rules) {
    auto st = std::make_unique<RuleState>();
    st->rule = std::move(er.rule);
    st->uuid = er.uuid.empty() ? st->rule.rule_id : er.uuid;
    st->matcher = std::move(er.matcher);
    st->not_runnable_reason = std::move(er.not_runnable_reason);
    if (!st->matcher && st->not_runnable_reason.empty()) st->not_runnable_reason = "no matcher";
    RuleAlertTemplate::Options to;
    to.uuid = st->uuid;
    to.space = options_.space;
    to.kibana_version = options_.kibana_version;
    to.loaded_at_ms = loaded;
    to.immutable = options_.immutable_rules;
    st->alert_template = std::make_unique<RuleAlertTemplate>(st->rule, to);
    st->windows = std::make_unique<RuleWindows>(Schedule::of(st->rule), ids_);
    if (!st->rule.timestamp_override.empty()) {
      st->override_path = FieldPath(st->rule.timestamp_override);
      st->override_is_ingested = st->rule.timestamp_override == "event.ingested";
    }
    if (!st->rule.timestamp_field.empty() && st->rule.timestamp_field != "@timestamp")
      st->order_path = FieldPath(st->rule.timestamp_field);
    RuleState* raw = st.get();
    st->emit = [this, raw](const Candidate& c, int64_t detection_ms) { emit(*raw, c, detection_ms); };
    rules_.push_back(std::move(st));
  }
  if (options_.dispatch) {
    std::vector<std::vector<std::vector<RuleMatcher::Requirement>>> requirements(rules_.size());
    for (size_t i = 0; i < rules_.size(); ++i)
      if (rules_[i]->matcher) requirements[i] = rules_[i]->matcher->requirements();
    dispatch_ = std::make_unique<RuleDispatch>(requirements);
  }
}

DetectionEngine::~DetectionEngine() = default;

std::vector<EngineRule> DetectionEngine::prepare(std::vector<rules::Rule> rules) {
  std::vector<EngineRule> out;
  out.reserve(rules.size());
  for (rules::Rule& r : rules) {
    EngineRule er;
    if (r.type != rules::RuleType::kEql) {
      er.not_runnable_reason =
          r.not_runnable_reason.empty() ? fmt::format("rule type {} is not runnable yet", rules::to_string(r.type))
                                        : r.not_runnable_reason;
    } else if (!r.runnable && !r.not_runnable_reason.empty()) {
      er.not_runnable_reason = r.not_runnable_reason;
    } else if (r.filter_count > 0) {
      // Kibana ANDs the filters (Elasticsearch DSL) into every search; running without them would alert on
      // events the rule excludes.
      er.not_runnable_reason = fmt::format("{} Kibana filter(s) in `filters` are not supported yet", r.filter_count);
    } else {
      auto m = compile_eql_matcher(r);
      if (m.is_ok()) er.matcher = std::move(m.value());
      else er.not_runnable_reason = m.status().message();
    }
    er.rule = std::move(r);
    out.push_back(std::move(er));
  }
  return out;
}

void DetectionEngine::advance_clock(int64_t now_ms) {
  if (now_ms <= clock_ms_) return;
  clock_ms_ = now_ms;
  if (now_ms <= next_due_) return;  // nothing scheduled before now: skip the per-rule loop
  int64_t next = INT64_MAX;
  for (auto& r : rules_) {
    if (!r->matcher) continue;
    if (!r->windows->started()) r->windows->start(now_ms);
    if (r->matcher->is_sequence()) run_searches(*r, now_ms);
    r->windows->run_until(now_ms, r->emit);
    next = std::min(next, *r->windows->next_execution());
  }
  next_due_ = next == INT64_MAX ? INT64_MIN : next;
}

void DetectionEngine::tick(int64_t now_ms) {
  if (options_.clock != EngineOptions::Clock::kWallClock) return;
  advance_clock(now_ms);
  if (options_.eager)
    for (auto& r : rules_)
      if (r->matcher && r->matcher->is_sequence()) search_early(*r, now_ms);
}

// @timestamp of consecutive events mostly shares the whole second: the date and time up to the seconds are
// parsed once and reused, only the fraction and zone are looked at per event.
std::optional<int64_t> DetectionEngine::event_timestamp(const Event& event) {
  static const KeyId kTimestamp = KeyTable::intern("@timestamp");
  const Value* v = event.valid() ? event.root().member(kTimestamp) : nullptr;
  if (!v) return std::nullopt;
  if (!v->is_string()) return date_value_ms(*v);
  std::string_view s = v->as_string();
  if (s.size() >= 20 && s.size() <= 40 && s[19] == '.' && s.back() == 'Z' && last_second_text_ == s.substr(0, 19)) {
    int64_t frac = 0;
    size_t i = 20, n = 0;
    for (; i + 1 < s.size(); ++i, ++n) {
      if (s[i] < '0' || s[i] > '9') return parse_iso8601_ms(s);
      if (n < 3) frac = frac * 10 + (s[i] - '0');
    }
    if (n == 0) return std::nullopt;
    for (; n < 3; ++n) frac *= 10;
    return last_second_ms_ + frac;
  }
  std::optional<int64_t> ms = parse_iso8601_ms(s);
  if (ms && s.size() >= 20 && s[19] == '.' && s.back() == 'Z') {
    last_second_text_.assign(s.substr(0, 19));
    std::string whole(s.substr(0, 19));
    whole.push_back('Z');
    last_second_ms_ = parse_iso8601_ms(whole).value_or(0);
  }
  return ms;
}

void DetectionEngine::process(const Event& event) {
  ++events_;
  const std::optional<int64_t> ts = event_timestamp(event);
  if (!ts) ++events_without_timestamp_;
  if (options_.clock == EngineOptions::Clock::kEventTime) {
    // One event far ahead of the stream (a corrupt or hostile timestamp) must not run every execution up to
    // its time and turn all later events into "late": a jump of more than a day is taken only when the
    // next event confirms it.
    if (ts) {
      if (clock_ms_ != INT64_MIN && *ts > clock_ms_ + kMaxClockJumpMs) {
        if (jump_pending_) advance_clock(std::min(*ts, *jump_pending_));
        jump_pending_ = *ts;
      } else {
        jump_pending_.reset();
        advance_clock(*ts);
      }
    }
  } else {
    advance_clock(options_.wall_clock_ms());
  }
  bool index_done = false;
  Event owned;  // one owning copy of the event, made by the first rule that keeps it and shared by the others
  const std::vector<uint64_t>* candidates = dispatch_ ? &dispatch_->candidates(event) : nullptr;
  for (size_t i = 0; i < rules_.size(); ++i) {
    RuleState& r = *rules_[i];
    if (!r.matcher) continue;
    const bool candidate = !candidates || ((*candidates)[i / 64] >> (i % 64) & 1);
    // A live sequence rule still gets its early search on every event, as if the event had been offered.
    if (!candidate && !(options_.eager && r.matcher->is_sequence())) continue;
    if (!index_done) {
      source_index(event, options_.fallback_index, index_);
      index_done = true;
    }
    if (!r.index_known || r.last_index != index_) {
      r.last_index = index_;
      r.last_index_matched = index_matches(index_, r.rule.index);
      r.index_known = true;
    }
    if (!r.last_index_matched) continue;
    if (r.matcher->is_sequence()) {
      if (candidate) keep_for_search(r, event, owned, ts);
      if (options_.eager) search_early(r, options_.wall_clock_ms());
      continue;
    }
    if (!r.matcher->matches(event)) continue;
    offer_event(r, event, owned, ts.value_or(INT64_MIN));
  }
}

// Window membership: timestamp_override, falling back to @timestamp unless the rule disables that.
std::optional<int64_t> DetectionEngine::window_time(const RuleState& r, const Event& event,
                                                    std::optional<int64_t> ts) const {
  if (r.override_path.empty()) return ts;
  if (options_.clock == EngineOptions::Clock::kEventTime && r.override_is_ingested && ts)
    return *ts - ((*ts % 1000) + 1000) % 1000;  // ingested "now", whole seconds
  std::optional<int64_t> w = event_time_ms(event, r.override_path);
  if (!w && !r.rule.timestamp_override_fallback_disabled) w = ts;
  return w;
}

void DetectionEngine::offer_event(RuleState& r, const Event& event, Event& owned, int64_t ts) {
  const bool replay = options_.clock == EngineOptions::Clock::kEventTime;
  const bool has_ts = ts != INT64_MIN;
  const std::optional<int64_t> window_ts = window_time(r, event, has_ts ? std::optional<int64_t>(ts) : std::nullopt);
  std::optional<int64_t> order_ts = r.order_path.empty() ? (has_ts ? std::optional<int64_t>(ts) : std::nullopt)
                                                         : event_time_ms(event, r.order_path);
  if (!window_ts || !order_ts) {
    ++r.without_timestamp;
    return;
  }
  const uint64_t seq = ++seq_;
  const bool eager = options_.eager;
  const int64_t now = options_.clock == EngineOptions::Clock::kEventTime ? clock_ms_ : options_.wall_clock_ms();
  const int64_t ingested_override = replay && has_ts ? ts : -1;
  auto make = [&]() {
    auto payload = std::make_shared<MatchPayload>();
    if (!owned.valid()) owned = event.clone();
    payload->events.push_back(owned);
    payload->identities.push_back(source_identity(event, options_.fallback_index));
    payload->rewrites.push_back(SourceRewrite{ingested_override});
    auto c = std::make_shared<Candidate>();
    c->window_ts = *window_ts;
    c->order_ts = *order_ts;
    c->seq = seq;
    c->dedup_id = event_alert_id(payload->identities[0], options_.space, r.uuid);
    c->payload = std::move(payload);
    return CandidatePtr(std::move(c));
  };
  r.windows->offer(*window_ts, 0, *order_ts, seq, now, eager ? &r.emit : nullptr, make);
  if (eager) next_due_ = std::min(next_due_ == INT64_MIN ? INT64_MAX : next_due_, *r.windows->next_execution());
  else if (next_due_ == INT64_MIN || *r.windows->next_execution() < next_due_) next_due_ = *r.windows->next_execution();
}

void DetectionEngine::keep_for_search(RuleState& r, const Event& event, Event& owned, std::optional<int64_t> ts) {
  const std::optional<int64_t> window_ts = window_time(r, event, ts);
  switch (r.matcher->keep(event, owned, window_ts, events_, r.windows->oldest_window_start())) {
    case KeepOutcome::kKept:
      if (!r.windows->started()) r.windows->start(*window_ts);
      break;
    case KeepOutcome::kNoTimestamp: ++r.without_timestamp; break;
    case KeepOutcome::kLate: ++r.late_events; break;
    case KeepOutcome::kNotCandidate: case KeepOutcome::kFull: break;
  }
}

std::vector<CandidatePtr> DetectionEngine::search_window(RuleState& r, int64_t exec_time, uint64_t* found) {
  const Schedule& schedule = r.windows->schedule();
  found_.clear();
  *found = r.matcher->search(schedule.from.resolve(exec_time), schedule.to.resolve(exec_time), found_);
  std::vector<CandidatePtr> kept;
  kept.reserve(found_.size());
  for (SequenceMatch& m : found_) kept.push_back(sequence_candidate(r, std::move(m)));
  return kept;
}

// Kibana's executions of a sequence or sample rule, up to `now_ms`: each searches its own window.
void DetectionEngine::run_searches(RuleState& r, int64_t now_ms) {
  while (std::optional<int64_t> t = r.windows->next_search(now_ms, r.matcher->oldest_kept())) {
    uint64_t found = 0;
    std::vector<CandidatePtr> kept = search_window(r, *t, &found);
    r.windows->execute_search(*t, found, std::move(kept), r.emit);
    r.matcher->forget_before(r.windows->oldest_window_start());
  }
}

// Live mode: instead of waiting up to an interval for the execution, the window that executes next is searched
// as soon as an event that can complete a match was kept, at most once a second per rule (a search costs the
// window's kept events); what it finds is written at once. Like eager event alerts, these are the matches the
// execution would return for in-order input.
void DetectionEngine::search_early(RuleState& r, int64_t now_ms) {
  if (!r.matcher->may_complete_since_search()) return;
  if (r.last_early_search_ms && now_ms - *r.last_early_search_ms < 1000) return;
  const std::optional<int64_t> t = r.windows->next_execution();
  if (!t) return;
  r.last_early_search_ms = now_ms;
  uint64_t found = 0;
  r.windows->emit_early(search_window(r, *t, &found), now_ms, r.emit);
}

CandidatePtr DetectionEngine::sequence_candidate(RuleState& r, SequenceMatch&& match) {
  const bool replay = options_.clock == EngineOptions::Clock::kEventTime;
  auto payload = std::make_shared<MatchPayload>();
  payload->sequence = true;
  int64_t last = INT64_MIN;
  std::optional<int64_t> order;
  for (const Event& e : match.events) {
    const std::optional<int64_t> ts = event_time_ms(e, timestamp_path());
    last = std::max(last, window_time(r, e, ts).value_or(INT64_MIN));
    if (!order) order = r.order_path.empty() ? ts : event_time_ms(e, r.order_path);
    payload->identities.push_back(source_identity(e, options_.fallback_index));
    payload->rewrites.push_back(SourceRewrite{replay && ts ? *ts : -1});
  }
  payload->events = std::move(match.events);
  auto c = std::make_shared<Candidate>();
  c->window_ts = last;  // every event was in the searched window, so this is a real time
  c->order_ts = order.value_or(last);
  c->seq = ++seq_;
  c->dedup_id = sequence_shell_id(payload->identities, r.uuid);
  c->payload = std::move(payload);
  return c;
}

void DetectionEngine::emit(RuleState& r, const Candidate& c, int64_t detection_ms) {
  const auto& p = *static_cast<const MatchPayload*>(c.payload.get());
  ExecutionInfo exec{detection_ms, execution_uuid(r.uuid, detection_ms)};
  if (!p.sequence) {
    render_event_alert(*r.alert_template, p.events[0], p.identities[0], c.dedup_id, exec, p.rewrites[0], doc_, view_);
    sink_.write(view_);
    ++alerts_;
    return;
  }
  render_sequence_alerts(*r.alert_template, p.events, p.identities, exec, p.rewrites, docs_, views_);
  for (const AlertView& v : views_) {
    sink_.write(v);
    ++alerts_;
  }
}

void DetectionEngine::finish() {
  if (finished_) return;
  finished_ = true;
  for (auto& rp : rules_) {
    RuleState& r = *rp;
    if (!r.matcher) continue;
    // Like the offered matches of event rules, every window holding kept events is searched at the end.
    if (r.matcher->is_sequence()) run_searches(r, INT64_MAX);
    r.windows->finish(r.emit);
    if (clock_ms_ != INT64_MIN) r.windows->run_until(clock_ms_ + 1, r.emit);
  }
  sink_.close();
}

std::vector<RuleReport> DetectionEngine::report() const {
  std::vector<RuleReport> out;
  for (const auto& rp : rules_) {
    RuleReport rr;
    rr.name = rp->rule.name;
    rr.rule_id = rp->rule.rule_id;
    rr.runnable = rp->matcher != nullptr;
    rr.not_runnable_reason = rp->not_runnable_reason;
    rr.max_signals = rp->windows->schedule().max_signals;
    rr.interval_ms = rp->windows->schedule().interval_ms;
    rr.look_back_ms = rp->windows->schedule().width_ms() - rr.interval_ms;
    rr.stats = rp->windows->stats();
    rr.without_timestamp = rp->without_timestamp;
    if (rp->matcher && rp->matcher->is_sequence()) {
      rr.searched = true;
      rr.search = rp->matcher->search_stats();
      rr.late_events = rp->late_events;
      rr.kept_events = rp->matcher->kept_events();
    }
    out.push_back(std::move(rr));
  }
  return out;
}

std::string DetectionEngine::summary(uint64_t events_read) const {
  std::vector<RuleReport> reports = report();
  size_t runnable = 0;
  for (const auto& r : reports) runnable += r.runnable;
  std::string s = fmt::format("summary: {} events read, {} rules loaded ({} runnable), {} alerts\n", events_read,
                              reports.size(), runnable, alerts_);
  if (events_without_timestamp_)
    s += fmt::format("  warning: {} events have no usable @timestamp\n", events_without_timestamp_);
  // Rules with something to say are listed one by one; quiet ones and rules that cannot run are counted,
  // the latter grouped by reason so a large rule folder gives a readable summary.
  std::map<std::string, std::vector<std::string>> not_runnable;
  size_t quiet = 0;
  for (const auto& r : reports) {
    if (!r.runnable) {
      not_runnable[r.not_runnable_reason].push_back(r.name);
      continue;
    }
    const WindowStats& st = r.stats;
    const SearchStats& ss = r.search;
    const bool search_warned = r.late_events || ss.kept_cap_hits || ss.key_cap_hits || ss.key_combination_cap_hits ||
                               ss.sample_search_cap_hits;
    const bool warned = st.capped_executions || st.late_missed || st.gap_executions || r.without_timestamp ||
                        st.windows_truncated || search_warned;
    if (!st.matches && !warned && reports.size() > 1) {
      ++quiet;
      continue;
    }
    s += fmt::format("  rule \"{}\" ({}): executions {}, matches {}, alerts {}, suppressed {} (already alerted)\n",
                     r.name, r.rule_id, st.executions, st.matches, st.alerts, st.duplicates);
    if (st.capped_executions)
      s += fmt::format("    warning: {} execution(s) reached max_signals {}: {} ({} matches not alerted there)\n",
                       st.capped_executions, r.max_signals, kMaxSignalsWarning, st.capped_hits_not_alerted);
    if (st.late_missed)
      s += fmt::format("    warning: {} match(es) arrived later than the look-back covers (interval {}, additional "
                       "look-back {}) and were missed\n",
                       st.late_missed, duration_text(r.interval_ms), duration_text(std::max<int64_t>(0, r.look_back_ms)));
    if (st.gap_executions)
      s += fmt::format("    warning: the window is shorter than the interval: {} execution(s) left gaps totalling {}\n",
                       st.gap_executions, duration_text(st.gap_ms));
    if (r.without_timestamp)
      s += fmt::format("    warning: {} match(es) had no usable timestamp and could not be placed in a window\n",
                       r.without_timestamp);
    if (st.windows_truncated)
      s += fmt::format("    warning: {} match(es) fell into more than {} windows; the rest were ignored\n",
                       st.windows_truncated, RuleWindows::kMaxWindowsPerMatch);
    if (r.searched && (ss.searches || search_warned))
      s += fmt::format("    searches: {} window search(es) over {} kept event(s), at most {} kept at once\n",
                       ss.searches, ss.kept, ss.kept_peak);
    if (r.late_events)
      s += fmt::format("    warning: {} event(s) that could take part in a match arrived later than the look-back "
                       "covers and were missed\n",
                       r.late_events);
    if (ss.kept_cap_hits)
      s += fmt::format("    warning: {} event(s) were not kept for the searches: the rule already kept the most it may "
                       "({} at once)\n",
                       ss.kept_cap_hits, ss.kept_peak);
    if (ss.key_cap_hits)
      s += fmt::format("    warning: {} join-key value(s) were refused: too many open keys in one window\n",
                       ss.key_cap_hits);
    if (ss.key_combination_cap_hits)
      s += fmt::format("    warning: {} event(s) had more join-key combinations than are searched\n",
                       ss.key_combination_cap_hits);
    if (ss.sample_search_cap_hits)
      s += fmt::format("    warning: {} sample search(es) stopped at their step budget\n", ss.sample_search_cap_hits);
  }
  if (quiet) s += fmt::format("  {} other runnable rule(s): no matches\n", quiet);
  for (const auto& [reason, names] : not_runnable) {
    if (names.size() == 1) {
      s += fmt::format("  rule \"{}\": not runnable: {}\n", names[0], reason);
    } else {
      s += fmt::format("  {} rules not runnable: {}: ", names.size(), reason);
      for (size_t i = 0; i < names.size(); ++i) s += fmt::format("{}\"{}\"", i ? ", " : "", names[i]);
      s += "\n";
    }
  }
  return s;
}

}  // namespace audetect::engine
