#include "engine/alert_id.h"

#include <openssl/sha.h>

#include <array>
#include <cstdio>

#include "engine/timestamp.h"

namespace audetect::engine {
namespace {

std::array<unsigned char, SHA256_DIGEST_LENGTH> sha256(std::string_view data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  return digest;
}

std::string to_hex(std::span<const unsigned char> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 15];
  }
  return out;
}

// First string (or number rendered in decimal) at `path`, as Elasticsearch's _source would hold it.
bool scalar_text(const Event& event, const FieldPath& path, std::string& out) {
  const Value* v = event.get(path);
  if (!v) return false;
  char buf[32];
  switch (v->kind()) {
    case ValueKind::kString:
      out.assign(v->as_string());
      return true;
    case ValueKind::kInt:
      out.assign(buf, static_cast<size_t>(std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v->as_int()))));
      return true;
    case ValueKind::kDouble:
      out.assign(buf, static_cast<size_t>(std::snprintf(buf, sizeof buf, "%.17g", v->as_double())));
      return true;
    default:
      return false;
  }
}

const FieldPath& path_of(int which) {
  static const FieldPath kPaths[] = {
      FieldPath("data_stream.type"), FieldPath("data_stream.dataset"), FieldPath("data_stream.namespace"),
      FieldPath("agent.type"),       FieldPath("agent.version"),       FieldPath("host.id"),
      FieldPath("@timestamp"),       FieldPath("event.sequence"),      FieldPath("auditd.sequence"),
  };
  return kPaths[which];
}

}  // namespace

std::string sha256_hex(std::string_view data) { return to_hex(sha256(data)); }

void source_index(const Event& event, std::string_view fallback, std::string& out) {
  // Called for every event: one walk of the root, then the small data_stream / agent objects.
  static const KeyId kDataStream = KeyTable::intern("data_stream"), kType = KeyTable::intern("type"),
                     kDataset = KeyTable::intern("dataset"), kNamespace = KeyTable::intern("namespace"),
                     kAgent = KeyTable::intern("agent"), kVersion = KeyTable::intern("version");
  out.clear();
  if (!event.valid()) {
    out.assign(fallback);
    return;
  }
  const Value& root = event.root();
  if (const Value* ds = root.member(kDataStream)) {
    const Value* type = ds->member(kType);
    const Value* dataset = ds->member(kDataset);
    const Value* ns = ds->member(kNamespace);
    if (type && dataset && ns && type->is_string() && dataset->is_string() && ns->is_string()) {
      out.append(type->as_string()).append("-").append(dataset->as_string()).append("-").append(ns->as_string());
      return;
    }
  }
  if (const Value* agent = root.member(kAgent)) {
    const Value* type = agent->member(kType);
    const Value* version = agent->member(kVersion);
    if (type && type->is_string() && type->as_string() == "auditbeat" && version && version->is_string()) {
      out.append("auditbeat-").append(version->as_string());
      return;
    }
  }
  out.assign(fallback);
}

std::string synthetic_document_id(std::string_view host_id, int64_t timestamp_ms, std::string_view serial) {
  std::string input;
  input.reserve(host_id.size() + serial.size() + 24);
  input.append(host_id).append("|").append(std::to_string(timestamp_ms)).append("|").append(serial);
  auto digest = sha256(input);
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve(20);
  for (size_t i = 0; i < 15; i += 3) {  // 15 bytes = 5 groups of 3 = 20 characters, no padding
    uint32_t group = (uint32_t{digest[i]} << 16) | (uint32_t{digest[i + 1]} << 8) | digest[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(kAlphabet[(group >> shift) & 63]);
  }
  return out;
}

SourceIdentity source_identity(const Event& event, std::string_view fallback_index) {
  SourceIdentity identity;
  source_index(event, fallback_index, identity.index);
  std::string host_id, serial;
  scalar_text(event, path_of(5), host_id);
  if (!scalar_text(event, path_of(7), serial)) scalar_text(event, path_of(8), serial);
  int64_t ts = 0;
  if (const Value* t = event.get(path_of(6))) ts = date_value_ms(*t).value_or(0);
  identity.id = synthetic_document_id(host_id, ts, serial);
  return identity;
}

std::string event_alert_id(const SourceIdentity& source, std::string_view space, std::string_view rule_uuid) {
  std::string input;
  input.reserve(source.index.size() + source.id.size() + space.size() + rule_uuid.size() + 24);
  input.append(source.index).append(source.id).append(std::to_string(source.version));
  input.append(space).append(":").append(rule_uuid);
  return sha256_hex(input);
}

std::vector<std::string> building_block_ids(std::span<const std::vector<Ancestor>> block_ancestors,
                                            std::string_view rule_uuid) {
  std::string base;
  for (const auto& ancestors : block_ancestors) {
    for (const Ancestor& a : ancestors) base.append(a.id).append(a.index);
    base.append(rule_uuid);
  }
  std::vector<std::string> ids;
  ids.reserve(block_ancestors.size());
  for (size_t i = 0; i < block_ancestors.size(); ++i) ids.push_back(sha256_hex(base + std::to_string(i)));
  return ids;
}

std::string ancestors_alert_id(std::span<const Ancestor> ancestors, std::string_view rule_uuid) {
  std::string input;
  for (const Ancestor& a : ancestors) input.append(a.id).append(a.index);
  input.append(rule_uuid);
  return sha256_hex(input);
}

}  // namespace audetect::engine
