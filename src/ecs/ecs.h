// Audit events -> Elastic Common Schema documents, as auditbeat's auditd module (profile auditbeat)
// or Elastic Agent's auditd_manager integration (profile auditd_manager, the default) produce them.
//
// EcsNormalizer reproduces go-libaudit's aucoalesce (coalescing the records of one event, the
// normalization table keyed by syscall / record type, user and group name resolution) and
// auditbeat's mapping to ECS; the auditd_manager profile then applies that integration's ingest
// pipeline (renames, numeric conversions, empty-value removal, data_stream, event.ingested).
// See docs/audit-to-ecs.md §6-§16 for the behaviour, quirks included.
//
// One normalizer per thread: normalize() reuses internal buffers and allocates nothing per event
// once warm.
//
// Choices where the sources disagree or say nothing:
// * auditd_manager applies the ingest pipeline of §12 as written (the integration's pipeline that
//   also converts auditd.data.exit): a value it cannot convert to a number, typically the errno
//   name of a failed syscall ("EACCES"), stops it there, so that document has error.message
//   "unable to convert [EACCES] to long", keeps its empty values and the later fields
//   unconverted. Newer integration versions no longer convert exit (keyword in fields.yml).
// * Error documents (§10) keep the raw lines in event.original in both profiles: without them the
//   event's data would be lost.
// * related.user is sorted (auditbeat's order comes from a Go map and is not stable).
// * Invalid UTF-8 in values is replaced with U+FFFD here, so the query engine sees the same
//   strings as the JSON output (§16.8).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit.h"
#include "event/event.h"

namespace audetect::ecs {

enum class Profile : uint8_t {
  kAuditdManager,  // logs-auditd_manager.auditd-* documents (§12)
  kAuditbeat,      // auditbeat-* documents (§9)
};

// Parses "auditd_manager" / "auditbeat"; false if unknown.
bool parse_profile(std::string_view name, Profile* out);
std::string_view profile_name(Profile profile);

// Host metadata added to every document (host.*). Empty members are omitted.
struct HostInfo {
  std::string name;      // host.name and host.hostname
  std::string id;        // /etc/machine-id
  std::string architecture;
  std::string os_family, os_name, os_platform, os_version, os_codename, os_kernel;
  std::vector<std::string> ip;
  std::vector<std::string> mac;
  bool containerized = false;
};

// Collects host metadata of the local machine: uname, /etc/machine-id, /etc/os-release, interface
// addresses. `root` prefixes the file paths (tests point it at a fake tree).
HostInfo collect_host_info(const std::string& root = "");

struct NormalizerOptions {
  Profile profile = Profile::kAuditdManager;

  // uid/gid -> names (§8). Off for logs from other hosts (--no-resolve).
  bool resolve_ids = true;
  // When set, names come from these files (e.g. copies from the origin host) instead of the
  // system's NSS databases. Either both or neither.
  std::string passwd_file;
  std::string group_file;
  int64_t id_cache_ttl_ms = 60'000;

  // Joins a relative PATH name with the event's cwd for file.path (§16, fixes auditbeat's evasion),
  // cleaning "." and ".." lexically. Names of *at() syscalls whose directory descriptor is not
  // AT_FDCWD stay relative: their base directory is not in the event.
  bool resolve_paths = false;
  // event.original (and auditd.messages in auditd_manager) with the raw record lines (§16.7).
  bool preserve_original = false;
  // Coalescing warnings as error.message (auditbeat's include_warnings).
  bool include_warnings = false;

  // Host metadata: if `host` is null and add_host_metadata is set, collect_host_info() runs once
  // at construction. host_name overrides host.name/host.hostname; a record's node= prefix
  // overrides both for that event.
  bool add_host_metadata = true;
  std::shared_ptr<const HostInfo> host;
  std::string host_name;

  std::string data_stream_namespace = "default";

  // Wall clock in Unix milliseconds for event.ingested; tests inject a fixed clock.
  std::function<int64_t()> clock_ms;
};

struct NormalizerStats {
  uint64_t events = 0;
  uint64_t error_events = 0;  // coalescing failed: error.message + event.original only (§10)
  uint64_t warnings = 0;      // coalescing warnings (§6-§7), whether emitted or not
};

class EcsNormalizer {
 public:
  explicit EcsNormalizer(NormalizerOptions options = {});
  ~EcsNormalizer();
  EcsNormalizer(const EcsNormalizer&) = delete;
  EcsNormalizer& operator=(const EcsNormalizer&) = delete;

  // Resets `builder` and builds the ECS document of `event` into it (call builder.finish()).
  // Never fails: an event that cannot be coalesced becomes an error document.
  void normalize(const audit::AuditEvent& event, EventBuilder& builder);

  // Warnings of the last normalize() call (aucoalesce's messages, e.g. "failed to find arg a1"),
  // valid until the next call.
  std::span<const std::string> last_warnings() const;

  const NormalizerStats& stats() const;
  const NormalizerOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace audetect::ecs
