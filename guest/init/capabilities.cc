#include "guest/init/capabilities.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"
#include "oci/runtime_spec_names.h"

namespace strato::guest {

namespace {

uint64_t Mask(const std::vector<std::string>& names) {
  uint64_t m = 0;
  for (const std::string& n : names) {
    std::optional<int> number = oci::CapabilityNumber(n);
    if (!number || *number > kLastKnownCapability) throw Error("unknown capability " + n);
    m |= uint64_t{1} << *number;
  }
  return m;
}

}  // namespace

CapabilityPlan PlanCapabilities(const oci::Capabilities& caps) {
  CapabilityPlan plan;
  plan.bounding = Mask(caps.bounding);
  plan.effective = Mask(caps.effective);
  plan.permitted = Mask(caps.permitted);
  plan.inheritable = Mask(caps.inheritable);
  plan.ambient = Mask(caps.ambient);
  for (int cap = 0; cap <= kLastKnownCapability; ++cap) {
    if (!(plan.bounding >> cap & 1)) plan.bounding_drops.push_back(cap);
  }
  return plan;
}

void DropBoundingCapabilities(const CapabilityPlan& plan) {
  for (int cap : plan.bounding_drops) {
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      ThrowErrno("drop capability " + std::to_string(cap) + " from the bounding set");
    }
  }
}

void SetCapabilitySets(const CapabilityPlan& plan) {
  // Version 3 headers carry 64-bit sets as two 32-bit halves (linux/capability.h).
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  for (int half = 0; half < _LINUX_CAPABILITY_U32S_3; ++half) {
    int shift = 32 * half;
    data[half].effective = static_cast<uint32_t>(plan.effective >> shift);
    data[half].permitted = static_cast<uint32_t>(plan.permitted >> shift);
    data[half].inheritable = static_cast<uint32_t>(plan.inheritable >> shift);
  }
  if (::syscall(SYS_capset, &header, data) != 0) ThrowErrno("capset");
  for (int cap = 0; cap <= kLastKnownCapability; ++cap) {
    if (!(plan.ambient >> cap & 1)) continue;
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) {
      ThrowErrno("raise ambient capability " + std::to_string(cap));
    }
  }
}

}  // namespace strato::guest
