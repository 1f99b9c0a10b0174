#include "io/privileges.h"

#include <cap-ng.h>
#include <linux/capability.h>
#include <sys/prctl.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace audetect::io {

Result<std::string> drop_privileges(const PrivilegeOptions& options) {
  capng_get_caps_process();
  capng_clear(CAPNG_SELECT_BOTH);
  std::string kept = "none";
  if (options.keep_audit_control) {
    if (capng_update(CAPNG_ADD, static_cast<capng_type_t>(CAPNG_EFFECTIVE | CAPNG_PERMITTED), CAP_AUDIT_CONTROL) != 0)
      return Status::internal("capng_update(CAP_AUDIT_CONTROL) failed");
    kept = "cap_audit_control";
  }
  // The bounding set can only be reduced with CAP_SETPCAP; try it, fall back to caps only.
  int rc = capng_apply(CAPNG_SELECT_ALL);
  if (rc != 0) rc = capng_apply(CAPNG_SELECT_BOTH);
  if (rc != 0) return Status(StatusCode::kPermissionDenied, fmt::format("capng_apply failed ({})", rc));
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return Status::internal(fmt::format("prctl(PR_SET_NO_NEW_PRIVS): {}", std::strerror(errno)));
  return fmt::format("capabilities kept: {}; no_new_privs set", kept);
}

std::vector<std::string> effective_capabilities() {
  std::vector<std::string> names;
  capng_get_caps_process();
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
    if (capng_have_capability(CAPNG_EFFECTIVE, static_cast<unsigned>(cap))) {
      const char* n = capng_capability_to_name(static_cast<unsigned>(cap));
      names.emplace_back(n ? n : fmt::format("cap_{}", cap));
    }
  }
  return names;
}

}  // namespace audetect::io
