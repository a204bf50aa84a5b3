// Capability and rlimit plans, and exit-status conversion (pure functions).

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <csignal>

#include "guest/init/capabilities.h"
#include "guest/init/rlimits.h"
#include "guest/init/supervisor.h"

namespace strato::guest {
namespace {

constexpr int kCapChown = 0;
constexpr int kCapKill = 5;
constexpr int kCapNetBindService = 10;
constexpr int kCapSysAdmin = 21;

TEST_CASE("capability plan: masks per set and the bounding drops") {
  oci::Capabilities caps;
  caps.bounding = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  caps.effective = {"CAP_KILL"};
  caps.permitted = {"CAP_KILL", "CAP_NET_BIND_SERVICE"};
  caps.inheritable = {"CAP_NET_BIND_SERVICE"};
  caps.ambient = {"CAP_NET_BIND_SERVICE"};
  CapabilityPlan plan = PlanCapabilities(caps);
  CHECK(plan.bounding == ((1ull << kCapChown) | (1ull << kCapKill) | (1ull << kCapNetBindService)));
  CHECK(plan.effective == 1ull << kCapKill);
  CHECK(plan.permitted == ((1ull << kCapKill) | (1ull << kCapNetBindService)));
  CHECK(plan.inheritable == 1ull << kCapNetBindService);
  CHECK(plan.ambient == 1ull << kCapNetBindService);
  // Everything 0..40 except the three kept.
  REQUIRE(plan.bounding_drops.size() == kLastKnownCapability + 1 - 3);
  CHECK(plan.bounding_drops.front() == 1);
  CHECK(plan.bounding_drops.back() == kLastKnownCapability);
  CHECK(std::count(plan.bounding_drops.begin(), plan.bounding_drops.end(), kCapSysAdmin) == 1);
  CHECK(std::count(plan.bounding_drops.begin(), plan.bounding_drops.end(), kCapKill) == 0);
}

TEST_CASE("capability plan: empty sets drop everything, the highest capability is kept") {
  CapabilityPlan none = PlanCapabilities(oci::Capabilities{});
  CHECK(none.bounding == 0);
  CHECK(none.bounding_drops.size() == kLastKnownCapability + 1);
  oci::Capabilities caps;
  caps.bounding = {"CAP_CHECKPOINT_RESTORE"};
  CapabilityPlan plan = PlanCapabilities(caps);
  CHECK(plan.bounding == 1ull << 40);
  CHECK(plan.bounding_drops.back() == 39);
  caps.bounding = {"CAP_BOGUS"};
  CHECK_THROWS_WITH(PlanCapabilities(caps), "unknown capability CAP_BOGUS");
}

TEST_CASE("rlimit plan maps values and infinity") {
  oci::Rlimit nofile{"RLIMIT_NOFILE", RLIMIT_NOFILE, 4096, 1024};
  oci::Rlimit core{"RLIMIT_CORE", RLIMIT_CORE, UINT64_MAX, UINT64_MAX};
  auto plan = PlanRlimits({nofile, core});
  REQUIRE(plan.size() == 2);
  CHECK(plan[0].resource == RLIMIT_NOFILE);
  CHECK(plan[0].limit.rlim_cur == 1024);
  CHECK(plan[0].limit.rlim_max == 4096);
  CHECK(plan[1].limit.rlim_cur == RLIM_INFINITY);
  CHECK(plan[1].limit.rlim_max == RLIM_INFINITY);
  CHECK_THROWS_WITH(PlanRlimits({oci::Rlimit{"RLIMIT_X", 99, 1, 1}}), "unknown rlimit RLIMIT_X");
  CHECK_THROWS_WITH(PlanRlimits({oci::Rlimit{"RLIMIT_NOFILE", RLIMIT_NOFILE, 1, 2}}),
                    "RLIMIT_NOFILE: soft limit exceeds hard limit");
}

TEST_CASE("exit status: code, or 128 + signal") {
  CHECK(ExitStatusFromWaitStatus(0) == 0);
  CHECK(ExitStatusFromWaitStatus(42 << 8) == 42);
  CHECK(ExitStatusFromWaitStatus(SIGKILL) == 137);
  CHECK(ExitStatusFromWaitStatus(SIGTERM | 0x80) == 143);  // with the core-dump bit
}

}  // namespace
}  // namespace strato::guest
