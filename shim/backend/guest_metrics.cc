#include "shim/backend/guest_metrics.h"

#include "proto/containerd/cgroups_v2_metrics.pb.h"

namespace strato::shim {

AnyBlob CgroupsV2Metrics(const GuestUsage& usage) {
  io::containerd::cgroups::v2::Metrics metrics;
  metrics.mutable_pids()->set_current(usage.pids_current);
  metrics.mutable_cpu()->set_usage_usec(usage.cpu_usage_usec);
  metrics.mutable_memory()->set_usage(usage.memory_usage_bytes);
  metrics.mutable_memory()->set_usage_limit(usage.memory_limit_bytes);
  return AnyBlob{kCgroupsV2MetricsTypeUrl, metrics.SerializeAsString()};
}

}  // namespace strato::shim
