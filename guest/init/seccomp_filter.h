#pragma once
// linux.seccomp -> a libseccomp filter. PlanSeccomp translates the OCI profile into libseccomp
// terms (actions, syscall numbers, argument comparisons; pure apart from libseccomp's name
// tables; unit tested); CompileSeccomp builds the filter; LoadSeccomp installs it (the last step
// before execve). Semantics follow runc: rules whose action equals the default are dropped,
// syscalls unknown to this architecture are skipped, and several conditions on the same argument
// index become separate rules (OR) while conditions on distinct indexes form one rule (AND).

#include <seccomp.h>

#include <cstdint>
#include <string>
#include <vector>

#include "oci/runtime_spec.h"

namespace strato::guest {

struct SeccompRulePlan {
  std::string name;
  int syscall = 0;  // native syscall number
  uint32_t action = 0;
  std::vector<scmp_arg_cmp> conditions;
};

struct SeccompPlan {
  uint32_t default_action = 0;
  std::vector<uint32_t> architectures;  // SCMP_ARCH_* values (native is always included)
  std::vector<SeccompRulePlan> rules;
  std::vector<std::string> unknown_syscalls;  // skipped
  bool tsync = false;
  bool log = false;
  bool spec_allow = false;
};

// Throws strato::Error for what cannot be honoured (SCMP_ACT_NOTIFY, an unknown architecture).
SeccompPlan PlanSeccomp(const oci::Seccomp& profile);
// The libseccomp action for an OCI action name and optional errnoRet (EPERM by default).
uint32_t SeccompAction(const std::string& action, std::optional<uint32_t> errno_ret);

// An owned scmp_filter_ctx.
class SeccompFilter {
 public:
  explicit SeccompFilter(scmp_filter_ctx ctx) : ctx_(ctx) {}
  ~SeccompFilter();
  SeccompFilter(SeccompFilter&& other) noexcept : ctx_(other.ctx_) { other.ctx_ = nullptr; }
  SeccompFilter& operator=(SeccompFilter&&) = delete;
  SeccompFilter(const SeccompFilter&) = delete;
  SeccompFilter& operator=(const SeccompFilter&) = delete;
  scmp_filter_ctx get() const { return ctx_; }

 private:
  scmp_filter_ctx ctx_;
};

SeccompFilter CompileSeccomp(const SeccompPlan& plan);

// The classic BPF program (struct sock_filter array) the kernel would get; not loaded.
std::string ExportSeccompBpf(const SeccompFilter& filter);

// Installs the filter in the calling thread (or all threads with TSYNC).
void LoadSeccomp(const SeccompFilter& filter);

}  // namespace strato::guest
