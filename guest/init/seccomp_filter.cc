#include "guest/init/seccomp_filter.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <map>

#include "common/error.h"
#include "common/file_util.h"

namespace strato::guest {

namespace {

constexpr std::string_view kArchPrefix = "SCMP_ARCH_";

scmp_compare CompareOp(const std::string& op) {
  static const std::map<std::string, scmp_compare> kOps = {
      {"SCMP_CMP_NE", SCMP_CMP_NE},
      {"SCMP_CMP_LT", SCMP_CMP_LT},
      {"SCMP_CMP_LE", SCMP_CMP_LE},
      {"SCMP_CMP_EQ", SCMP_CMP_EQ},
      {"SCMP_CMP_GE", SCMP_CMP_GE},
      {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
  };
  auto it = kOps.find(op);
  if (it == kOps.end()) throw Error("seccomp: unknown operator " + op);
  return it->second;
}

uint32_t Architecture(const std::string& name) {
  if (name.compare(0, kArchPrefix.size(), kArchPrefix) != 0) {
    throw Error("seccomp: unknown architecture " + name);
  }
  // libseccomp names architectures in lower case: SCMP_ARCH_X86_64 -> "x86_64".
  std::string lower = name.substr(kArchPrefix.size());
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  uint32_t arch = seccomp_arch_resolve_name(lower.c_str());
  if (arch == 0) throw Error("seccomp: architecture " + name + " unknown to libseccomp");
  return arch;
}

// One rule, or one per condition when an argument index repeats (see the header).
void AddRules(const oci::SeccompSyscall& sc, int nr, uint32_t action, SeccompPlan& plan,
              const std::string& name) {
  std::vector<scmp_arg_cmp> conditions;
  bool repeated_index = false;
  uint32_t seen = 0;
  for (const oci::SeccompArg& a : sc.args) {
    conditions.push_back(scmp_arg_cmp{a.index, CompareOp(a.op), a.value, a.value_two});
    if (seen >> a.index & 1) repeated_index = true;
    seen |= 1u << a.index;
  }
  if (!repeated_index) {
    plan.rules.push_back(SeccompRulePlan{name, nr, action, std::move(conditions)});
    return;
  }
  for (const scmp_arg_cmp& c : conditions) {
    plan.rules.push_back(SeccompRulePlan{name, nr, action, {c}});
  }
}

void Check(int rc, const std::string& what) {
  if (rc < 0) ThrowErrno("seccomp: " + what, -rc);
}

}  // namespace

uint32_t SeccompAction(const std::string& action, std::optional<uint32_t> errno_ret) {
  // config-linux.md "Seccomp": errnoRet defaults to EPERM for ERRNO and TRACE.
  uint32_t ret = errno_ret.value_or(EPERM);
  if (action == "SCMP_ACT_KILL" || action == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (action == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (action == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (action == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(ret);
  if (action == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(ret);
  if (action == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (action == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (action == "SCMP_ACT_NOTIFY") {
    throw Error(
        "seccomp: SCMP_ACT_NOTIFY needs a seccomp agent on the host, which a VM cannot "
        "reach; not supported");
  }
  throw Error("seccomp: unknown action " + action);
}

SeccompPlan PlanSeccomp(const oci::Seccomp& profile) {
  SeccompPlan plan;
  plan.default_action = SeccompAction(profile.default_action, profile.default_errno_ret);
  for (const std::string& arch : profile.architectures) {
    plan.architectures.push_back(Architecture(arch));
  }
  for (const std::string& flag : profile.flags) {
    if (flag == "SECCOMP_FILTER_FLAG_TSYNC") plan.tsync = true;
    if (flag == "SECCOMP_FILTER_FLAG_LOG") plan.log = true;
    if (flag == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") plan.spec_allow = true;
    // SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV only matters with SCMP_ACT_NOTIFY.
  }
  for (const oci::SeccompSyscall& sc : profile.syscalls) {
    uint32_t action = SeccompAction(sc.action, sc.errno_ret);
    if (action == plan.default_action) continue;
    for (const std::string& name : sc.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) {
        plan.unknown_syscalls.push_back(name);
        continue;
      }
      AddRules(sc, nr, action, plan, name);
    }
  }
  return plan;
}

SeccompFilter::~SeccompFilter() {
  if (ctx_ != nullptr) seccomp_release(ctx_);
}

SeccompFilter CompileSeccomp(const SeccompPlan& plan) {
  scmp_filter_ctx ctx = seccomp_init(plan.default_action);
  if (ctx == nullptr) throw Error("seccomp: cannot create a filter (bad default action?)");
  SeccompFilter filter(ctx);
  for (uint32_t arch : plan.architectures) {
    int rc = seccomp_arch_add(ctx, arch);
    if (rc != -EEXIST) Check(rc, "add architecture " + std::to_string(arch));
  }
  // strato-init sets no_new_privs itself when the spec asks for it.
  Check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0), "clear the NNP attribute");
  if (plan.tsync) Check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1), "set TSYNC");
  if (plan.log) Check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1), "set LOG");
  if (plan.spec_allow) Check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1), "set SPEC_ALLOW");
  for (const SeccompRulePlan& r : plan.rules) {
    Check(
        seccomp_rule_add_array(ctx, r.action, r.syscall, static_cast<unsigned>(r.conditions.size()),
                               r.conditions.empty() ? nullptr : r.conditions.data()),
        "add rule for " + r.name);
  }
  return filter;
}

std::string ExportSeccompBpf(const SeccompFilter& filter) {
  UniqueFd fd(::memfd_create("strato-seccomp-bpf", MFD_CLOEXEC));
  if (!fd.valid()) ThrowErrno("memfd_create");
  Check(seccomp_export_bpf(filter.get(), fd.get()), "export BPF");
  off_t size = ::lseek(fd.get(), 0, SEEK_END);
  if (size < 0) ThrowErrno("lseek");
  std::string out(static_cast<size_t>(size), '\0');
  if (::pread(fd.get(), out.data(), out.size(), 0) != size) ThrowErrno("read the BPF back");
  return out;
}

void LoadSeccomp(const SeccompFilter& filter) {
  Check(seccomp_load(filter.get()), "load the filter");
}

}  // namespace strato::guest
