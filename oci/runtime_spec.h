#pragma once
// The OCI runtime spec (config.json), versions 1.0 to 1.2, as typed and validated C++ values.
// Only the parts a VM-based Linux runtime uses are typed; unknown fields are ignored as the spec
// allows. Spec: https://github.com/opencontainers/runtime-spec (config.md, config-linux.md).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace strato::oci {

struct Root {
  std::string path;
  bool readonly = false;
};

struct ConsoleSize {
  uint32_t height = 0;
  uint32_t width = 0;
};

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<uint32_t> umask;
  std::vector<uint32_t> additional_gids;
  std::string username;  // Windows only; kept for completeness
};

struct Capabilities {
  std::vector<std::string> bounding;
  std::vector<std::string> effective;
  std::vector<std::string> inheritable;
  std::vector<std::string> permitted;
  std::vector<std::string> ambient;
};

struct Rlimit {
  std::string type;   // "RLIMIT_NOFILE", ...
  int resource = -1;  // the RLIMIT_* constant from <sys/resource.h>
  uint64_t hard = 0;
  uint64_t soft = 0;
};

struct Process {
  bool terminal = false;
  std::optional<ConsoleSize> console_size;
  User user;
  std::vector<std::string> args;
  std::vector<std::string> env;  // "KEY=VALUE"
  std::string cwd;
  std::optional<Capabilities> capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::string apparmor_profile;
  std::string selinux_label;
  std::optional<int32_t> oom_score_adj;
};

struct Mount {
  std::string destination;
  std::string type;
  std::string source;
  std::vector<std::string> options;
};

struct Namespace {
  std::string type;  // pid, network, mount, ipc, uts, user, cgroup, time
  std::string path;
};

struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
};

struct MemoryResources {
  std::optional<int64_t> limit;
  std::optional<int64_t> reservation;
  std::optional<int64_t> swap;
  std::optional<uint64_t> swappiness;
  std::optional<bool> disable_oom_killer;
};

struct CpuResources {
  std::optional<uint64_t> shares;
  std::optional<int64_t> quota;
  std::optional<uint64_t> period;
  std::string cpus;  // cpuset, e.g. "0-3"
  std::string mems;
};

struct PidsResources {
  int64_t limit = 0;
};

struct DeviceCgroupRule {
  bool allow = false;
  std::string type;  // a, c, b
  std::optional<int64_t> major;
  std::optional<int64_t> minor;
  std::string access;  // rwm
};

struct Resources {
  std::optional<MemoryResources> memory;
  std::optional<CpuResources> cpu;
  std::optional<PidsResources> pids;
  std::vector<DeviceCgroupRule> devices;
};

struct SeccompArg {
  uint32_t index = 0;
  uint64_t value = 0;
  uint64_t value_two = 0;
  std::string op;  // SCMP_CMP_*
};

struct SeccompSyscall {
  std::vector<std::string> names;
  std::string action;  // SCMP_ACT_*
  std::optional<uint32_t> errno_ret;
  std::vector<SeccompArg> args;
};

struct Seccomp {
  std::string default_action;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;  // SCMP_ARCH_*
  std::vector<std::string> flags;
  std::vector<SeccompSyscall> syscalls;
};

struct Device {
  std::string type;  // c, b, u, p
  std::string path;
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint32_t> file_mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
};

struct Linux {
  std::vector<Namespace> namespaces;
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
  std::optional<Resources> resources;
  std::string cgroups_path;
  std::map<std::string, std::string> sysctl;
  std::optional<Seccomp> seccomp;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::vector<Device> devices;
  std::string rootfs_propagation;
  std::string mount_label;
};

struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int32_t> timeout;  // seconds, > 0
};

// Kept, never run: the VM runtime has no host-side container namespaces to run them in.
struct Hooks {
  std::vector<Hook> prestart;
  std::vector<Hook> create_runtime;
  std::vector<Hook> create_container;
  std::vector<Hook> start_container;
  std::vector<Hook> poststart;
  std::vector<Hook> poststop;
};

struct RuntimeSpec {
  std::string oci_version;
  std::optional<Root> root;
  std::optional<Process> process;
  std::string hostname;
  std::string domainname;
  std::vector<Mount> mounts;
  std::optional<Linux> linux;
  std::optional<Hooks> hooks;
  std::map<std::string, std::string> annotations;
};

// Parses and validates config.json text. Throws SpecError (oci/json_reader.h) whose message
// starts with the JSON path of the problem.
RuntimeSpec ParseRuntimeSpec(const std::string& json_text);

// Reads <bundle>/config.json and parses it; errors name the file.
RuntimeSpec LoadRuntimeSpec(const std::string& bundle_dir);

// The process part alone (used by exec requests, which carry a Process JSON).
Process ParseProcess(const std::string& json_text);

}  // namespace strato::oci
