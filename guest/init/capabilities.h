#pragma once
// Capability sets of the OCI process (config.md "capabilities"): a plan computed from the names
// (pure, unit tested), then applied in the order runc uses: drop from the bounding set while
// still privileged, switch user with PR_SET_KEEPCAPS, then capset and raise ambient.

#include <cstdint>
#include <optional>
#include <vector>

#include "oci/runtime_spec.h"

namespace strato::guest {

// Highest capability number this code knows (CAP_CHECKPOINT_RESTORE, Linux 5.9+); the bounding
// drop also walks up to it. Kernels that know fewer answer EINVAL for the rest, which is ignored.
inline constexpr int kLastKnownCapability = 40;

struct CapabilityPlan {
  uint64_t bounding = 0;  // bit n = capability n
  uint64_t effective = 0;
  uint64_t permitted = 0;
  uint64_t inheritable = 0;
  uint64_t ambient = 0;
  std::vector<int> bounding_drops;  // capabilities 0..kLastKnownCapability not in `bounding`
};

// Throws strato::Error for an unknown capability name (the OCI parser already rejects them).
CapabilityPlan PlanCapabilities(const oci::Capabilities& caps);

// prctl(PR_CAPBSET_DROP) for each of plan.bounding_drops. Needs CAP_SETPCAP.
void DropBoundingCapabilities(const CapabilityPlan& plan);

// capset(effective, permitted, inheritable), then PR_CAP_AMBIENT_RAISE for each ambient one.
void SetCapabilitySets(const CapabilityPlan& plan);

}  // namespace strato::guest
