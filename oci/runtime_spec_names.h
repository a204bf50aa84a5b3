#pragma once
// The closed vocabularies of the OCI runtime spec on Linux: rlimit names, capability names,
// namespace types, seccomp actions/operators/architectures/flags. Lookups return std::nullopt (or
// false) for names outside the vocabulary so parsers can report the offending value.

#include <optional>
#include <string>

namespace strato::oci {

// "RLIMIT_NOFILE" -> RLIMIT_NOFILE (config.md "POSIX process": rlimits).
std::optional<int> RlimitResource(const std::string& name);

// "CAP_SYS_ADMIN" -> 21 (linux/capability.h numbering; Linux 6.1 knows up to
// CAP_CHECKPOINT_RESTORE = 40).
std::optional<int> CapabilityNumber(const std::string& name);

// pid, network, mount, ipc, uts, user, cgroup, time (config-linux.md "Namespaces").
bool IsNamespaceType(const std::string& type);

// SCMP_ACT_* (config-linux.md "Seccomp": KILL, KILL_PROCESS, KILL_THREAD, TRAP, ERRNO, TRACE,
// ALLOW, LOG, NOTIFY).
bool IsSeccompAction(const std::string& action);
// SCMP_CMP_NE, LT, LE, EQ, GE, GT, MASKED_EQ.
bool IsSeccompOperator(const std::string& op);
// SCMP_ARCH_* known to libseccomp 2.5.
bool IsSeccompArch(const std::string& arch);
// SECCOMP_FILTER_FLAG_TSYNC, LOG, SPEC_ALLOW, WAIT_KILLABLE_RECV.
bool IsSeccompFlag(const std::string& flag);

}  // namespace strato::oci
