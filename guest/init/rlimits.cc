#include "guest/init/rlimits.h"

#include "common/error.h"

namespace strato::guest {

std::vector<RlimitSetting> PlanRlimits(const std::vector<oci::Rlimit>& rlimits) {
  std::vector<RlimitSetting> plan;
  for (const oci::Rlimit& r : rlimits) {
    if (r.resource < 0 || r.resource >= RLIMIT_NLIMITS) throw Error("unknown rlimit " + r.type);
    if (r.soft > r.hard) throw Error(r.type + ": soft limit exceeds hard limit");
    // rlim_t is 64-bit on Linux; RLIM_INFINITY is its all-ones value, the same as the OCI's.
    plan.push_back(RlimitSetting{r.resource,
                                 rlimit{static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)}});
  }
  return plan;
}

void ApplyRlimits(const std::vector<RlimitSetting>& plan) {
  for (const RlimitSetting& s : plan) {
    if (::setrlimit(static_cast<__rlimit_resource>(s.resource), &s.limit) != 0) {
      ThrowErrno("setrlimit " + std::to_string(s.resource));
    }
  }
}

}  // namespace strato::guest
