// Deterministic alert identifiers, computed as Kibana computes them (detection-engine.md §6), and the
// synthetic identity (index, _id, version) of a source event that has never been in Elasticsearch (§14.3).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "event/event.h"

namespace audetect::engine {

// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

// Where Elasticsearch would have stored the event and under which document id.
struct SourceIdentity {
  std::string index;
  std::string id;
  int64_t version = 1;
};

// The index the event would be written to: `<data_stream.type>-<dataset>-<namespace>` when the event
// carries data_stream.*, `auditbeat-<agent.version>` for auditbeat documents, else `fallback`.
// Appends to `out` (cleared first) so a caller can reuse the buffer per event.
void source_index(const Event& event, std::string_view fallback, std::string& out);

// `_id` = URL-safe Base64 without padding of the first 15 bytes of
// sha256(host_id + "|" + timestamp_ms + "|" + serial): 20 characters, stable across re-reads.
std::string synthetic_document_id(std::string_view host_id, int64_t timestamp_ms, std::string_view serial);

// The full identity of an event: index as above; host.id, @timestamp and the audit serial
// (event.sequence, else auditd.sequence) feed the document id.
SourceIdentity source_identity(const Event& event, std::string_view fallback_index);

inline constexpr std::string_view kDefaultSpace = "default";

// Single-event alert (query, EQL event query): sha256(index + _id + version + space + ":" + rule_uuid).
std::string event_alert_id(const SourceIdentity& source, std::string_view space, std::string_view rule_uuid);

// An entry of kibana.alert.ancestors.
struct Ancestor {
  std::string id;
  std::string type;   // "event" or "signal"
  std::string index;  // "" for a building block not yet indexed
  int depth = 0;
  std::string rule;   // signals only: the rule UUID
};

// EQL sequence building blocks: every block's id hashes all blocks' ancestors (id + index) each followed
// by the rule UUID, then the block's 0-based position.
std::vector<std::string> building_block_ids(std::span<const std::vector<Ancestor>> block_ancestors,
                                            std::string_view rule_uuid);

// Alerts built on several parents (the sequence shell): sha256(concat(ancestor id + index) + rule_uuid).
std::string ancestors_alert_id(std::span<const Ancestor> ancestors, std::string_view rule_uuid);

}  // namespace audetect::engine
