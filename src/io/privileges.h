// Dropping privileges once the kernel side is set up (libcap-ng): every capability but the ones still
// needed at exit (CAP_AUDIT_CONTROL to remove the audit rules we added and to unregister as the audit
// daemon) is removed from the effective, permitted, inheritable and (when allowed) bounding sets, and
// no_new_privs is set so nothing executed later can regain them.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace audetect::io {

struct PrivilegeOptions {
  bool keep_audit_control = false;  // rules to remove or a daemon registration to undo at exit
};

// Applies the drop to the whole process (all threads; call before starting threads). Returns a
// one-line description of what is kept.
Result<std::string> drop_privileges(const PrivilegeOptions& options);

// Names of the capabilities in the effective set now ("cap_audit_control", ...), for logs and tests.
std::vector<std::string> effective_capabilities();

}  // namespace audetect::io
