// Task Stats: the guest's numbers as containerd's io.containerd.cgroups.v2.Metrics.

#include "shim/backend/guest_metrics.h"

#include <catch2/catch.hpp>

TEST_CASE("guest usage is encoded as cgroups v2 Metrics with containerd's field numbers") {
  strato::shim::GuestUsage usage;
  usage.pids_current = 2;
  usage.cpu_usage_usec = 5;
  usage.memory_usage_bytes = 1000;
  usage.memory_limit_bytes = 256ull << 20;
  auto any = strato::shim::CgroupsV2Metrics(usage);
  CHECK(any.type_url == "io.containerd.cgroups.v2.Metrics");
  // pids(1){current(1)=2} cpu(2){usage_usec(1)=5}
  // memory(4){usage(32)=1000 usage_limit(33)=2^28}
  const std::string expected(
      "\x0a\x02\x08\x02"
      "\x12\x02\x08\x05"
      "\x22\x0b\x80\x02\xe8\x07\x88\x02\x80\x80\x80\x80\x01",
      21);
  CHECK(any.value == expected);
}
