#include "eql/runner.h"

#include <algorithm>

#include "eql/sample.h"
#include "eql/sequence.h"

namespace audetect::eql {

std::string join_key_text(const KeyValue& key, const std::string* date_format) {
  if (date_format && key.kind() == KeyValue::Kind::kInt) {
    int64_t ms = key.as_int();
    if (ms > INT64_MAX / 1'000'000 || ms < INT64_MIN / 1'000'000) return key.to_string();
    return format_date(ms * 1'000'000, *date_format);
  }
  return key.to_string();
}

QueryRunner::QueryRunner(std::shared_ptr<const CompiledQuery> query, RunnerOptions options)
    : query_(std::move(query)), options_(std::move(options)) {
  std::optional<FieldPath> tie;
  if (options_.tiebreaker_field && !options_.tiebreaker_field->empty()) tie.emplace(*options_.tiebreaker_field);
  order_reader_ = OrderReader(FieldPath(options_.timestamp_field), std::move(tie), options_.timestamp_formats);
  if (query_->kind() == QueryKind::kSequence)
    sequence_ = std::make_unique<SequenceMatcher>(*query_, options_, stats_);
  else if (query_->kind() == QueryKind::kSample)
    sample_ = std::make_unique<SampleMatcher>(*query_, options_, stats_);
  if (!query_->stages().empty()) {
    for (const KeyExtractor& k : query_->stages()[0].keys) {
      if (!k.is_date()) date_keys_.emplace_back();
      else date_keys_.emplace_back(k.date_formats().empty() ? std::string() : k.date_formats()[0]);
    }
  }
}

QueryRunner::~QueryRunner() = default;

void QueryRunner::push(const Event& event) {
  Candidate c;
  if (!classify(event, arrival_++, c)) return;
  c.event = event.clone();
  push_candidate(std::move(c));
}

bool QueryRunner::classify(const Event& event, uint64_t arrival, Candidate& c) {
  ++stats_.events_seen;
  uint64_t mask = 0;
  auto stages = query_->stages();
  size_t n = std::min<size_t>(stages.size(), 64);
  for (size_t s = 0; s < n; ++s)
    if (stages[s].predicate.matches(event)) mask |= uint64_t{1} << s;
  bool until = query_->until() && query_->until()->predicate.matches(event);
  if (mask == 0 && !until) return false;
  // Samples are unordered: ES does not need (or check) a timestamp for them.
  if (!order_reader_.read(event, arrival, c.order) && query_->kind() != QueryKind::kSample) {
    ++stats_.events_without_timestamp;
    return false;
  }
  ++stats_.candidates;
  c.stage_mask = mask;
  c.until = until;
  return true;
}

void QueryRunner::push_candidate(Candidate c) {
  if (sample_) {
    sample_->process(c);
    stats_.open_keys_peak = std::max(stats_.open_keys_peak, sample_->open_keys());
    return;
  }
  buffer_.push_back(std::move(c));
  if (drain_at_ == 0) drain_at_ = std::max<size_t>(2, options_.max_buffered_events);
  if (buffer_.size() >= drain_at_) {
    ++stats_.buffer_cap_hits;
    drain(buffer_.size() / 2);
    // What could not be released (unlimited event query, no sink) grows the buffer: double the
    // threshold so the work stays amortized.
    if (buffer_.size() >= drain_at_ / 2) drain_at_ = buffer_.size() * 2;
    else drain_at_ = std::max<size_t>(2, options_.max_buffered_events);
  }
}

void QueryRunner::drain(size_t count) {
  count = std::min(count, buffer_.size());
  if (count == 0) return;
  auto by_order = [](const Candidate& a, const Candidate& b) { return a.order < b.order; };
  std::nth_element(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(count - 1), buffer_.end(), by_order);
  std::sort(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(count), by_order);
  if (sequence_) {
    for (size_t i = 0; i < count; ++i) sequence_->process(buffer_[i]);
    stats_.open_keys_peak = std::max(stats_.open_keys_peak, sequence_->open_keys());
    newest_processed_ = std::max(newest_processed_, buffer_[count - 1].order.timestamp_nanos);
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(count));
    if (sink_ && unlimited()) {
      for (Hit& h : sequence_->take_final(newest_processed_)) {
        render_keys(h);
        sink_(std::move(h));
      }
    }
    return;
  }
  // Event query: keep only what the limits can still return. Only safe when every limit cuts the
  // same end (all heads, or all tails); mixed pipes keep everything.
  bool any_head = options_.size.has_value(), any_tail = false;
  std::optional<int64_t> limited = options_.size;
  for (const auto& p : query_->pipes()) {
    (p.kind == Pipe::Kind::kTail ? any_tail : any_head) = true;
    limited = limited ? std::min(*limited, p.count) : p.count;
  }
  bool tail = any_tail && !any_head;
  if (any_tail && !query_->pipes().empty() && query_->pipes().back().kind == Pipe::Kind::kTail && options_.size)
    tail = std::all_of(query_->pipes().begin(), query_->pipes().end(),
                       [](const Pipe& p) { return p.kind == Pipe::Kind::kTail; });
  bool mixed = any_head && any_tail && !tail;
  if (limited && !mixed) {
    size_t keep = static_cast<size_t>(std::max<int64_t>(0, *limited));
    std::sort(buffer_.begin(), buffer_.end(), by_order);
    if (buffer_.size() > keep) {
      if (tail) buffer_.erase(buffer_.begin(), buffer_.end() - static_cast<std::ptrdiff_t>(keep));
      else buffer_.resize(keep);
    }
    return;
  }
  // Without a limit every match is a result: release the earliest ones to the sink if there is one.
  if (!limited && sink_) {
    for (size_t i = 0; i < count; ++i) {
      if (!(buffer_[i].stage_mask & 1u)) continue;
      Hit h;
      h.events.push_back(HitEvent{std::move(buffer_[i].event), std::move(buffer_[i].order), false});
      sink_(std::move(h));
    }
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(count));
  }
}

std::vector<Hit> QueryRunner::finish_events() {
  std::stable_sort(buffer_.begin(), buffer_.end(), [](const Candidate& a, const Candidate& b) { return a.order < b.order; });
  std::vector<Hit> hits;
  hits.reserve(buffer_.size());
  for (auto& c : buffer_) {
    if (!(c.stage_mask & 1u)) continue;
    Hit h;
    h.events.push_back(HitEvent{std::move(c.event), std::move(c.order), false});
    hits.push_back(std::move(h));
  }
  buffer_.clear();
  return hits;
}

std::vector<Hit> QueryRunner::apply_limits(std::vector<Hit> hits) const {
  auto take_head = [](std::vector<Hit>& v, int64_t n) {
    if (n < 0) n = 0;
    if (v.size() > static_cast<size_t>(n)) v.resize(static_cast<size_t>(n));
  };
  auto take_tail = [](std::vector<Hit>& v, int64_t n) {
    if (n < 0) n = 0;
    if (v.size() > static_cast<size_t>(n)) v.erase(v.begin(), v.end() - n);
  };
  bool last_tail = false;
  for (const auto& p : query_->pipes()) {
    if (p.kind == Pipe::Kind::kHead) {
      take_head(hits, p.count);
      last_tail = false;
    } else {
      take_tail(hits, p.count);
      last_tail = true;
    }
  }
  if (options_.size) {
    if (last_tail) take_tail(hits, *options_.size);
    else take_head(hits, *options_.size);
  }
  return hits;
}

void QueryRunner::release_before(int64_t timestamp_nanos) {
  if (!sink_ || !unlimited() || sample_) return;
  size_t count = 0;
  for (const Candidate& c : buffer_) count += c.order.timestamp_nanos < timestamp_nanos;
  if (count > 0) drain(count);
  if (sequence_) {
    // The watermark also closes trailing missing-event windows that no event has passed yet.
    newest_processed_ = std::max(newest_processed_, timestamp_nanos - 1);
    for (Hit& h : sequence_->take_final(newest_processed_)) {
      render_keys(h);
      sink_(std::move(h));
    }
  }
}

void QueryRunner::render_keys(Hit& h) const {
  h.join_key_texts.clear();
  h.join_key_texts.reserve(h.join_keys.size());
  for (size_t i = 0; i < h.join_keys.size(); ++i) {
    const std::string* format = sequence_ && i < date_keys_.size() && date_keys_[i] ? &*date_keys_[i] : nullptr;
    h.join_key_texts.push_back(join_key_text(h.join_keys[i], format));
  }
}

std::vector<Hit> QueryRunner::finish() {
  std::vector<Hit> hits;
  if (sequence_) {
    drain(buffer_.size());
    hits = sequence_->finish();
  } else if (sample_) {
    hits = sample_->finish();
  } else {
    hits = finish_events();
  }
  arrival_ = 0;
  drain_at_ = 0;
  newest_processed_ = INT64_MIN;
  stats_.hits_before_limits += hits.size();
  hits = apply_limits(std::move(hits));
  for (Hit& h : hits) render_keys(h);
  return hits;
}

}  // namespace audetect::eql
