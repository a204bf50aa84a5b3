#pragma once
// process.rlimits -> setrlimit(2). The plan (pure, unit tested) maps the OCI values (uint64, with
// 2^64-1 meaning unlimited as RLIM_INFINITY does) to struct rlimit.

#include <sys/resource.h>

#include <vector>

#include "oci/runtime_spec.h"

namespace strato::guest {

struct RlimitSetting {
  int resource;  // RLIMIT_*
  rlimit limit;
};

std::vector<RlimitSetting> PlanRlimits(const std::vector<oci::Rlimit>& rlimits);

// setrlimit for each; throws naming the resource. Run before dropping CAP_SYS_RESOURCE.
void ApplyRlimits(const std::vector<RlimitSetting>& plan);

}  // namespace strato::guest
