// `containerd-shim-strato-v2 ... delete`

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.h"
#include "common/file_util.h"
#include "proto/containerd/shim_task.pb.h"
#include "shim/backend/dead_shim_cleanup.h"
#include "shim/events/timestamp.h"
#include "shim/manager/commands.h"
#include "shim/manager/socket_address.h"
#include "ttrpc/unix_socket.h"

namespace strato::shim {

namespace {
// What runc's shim reports for a task it had to clean up: killed.
constexpr uint32_t kKilledExitStatus = 128 + SIGKILL;
constexpr size_t kMaxAddressFile = 4096;
}  // namespace

int RunDelete(const ShimFlags& flags, std::ostream& out) {
  if (flags.id.empty()) throw UsageError("delete: -id is required");
  const std::string bundle = BundleDir(flags);
  // A socket left by the dead shim: remove it unless some shim still answers there (a pod's
  // shim serving other containers).
  const std::string address_file = bundle + "/" + kAddressFile;
  if (std::filesystem::exists(address_file)) {
    std::string path = SocketPathOf(ReadFile(address_file, kMaxAddressFile));
    bool served = false;
    try {
      ttrpc::ConnectUnix(path);
      served = true;
    } catch (const Error&) {
    }
    if (!served && ::unlink(path.c_str()) == 0) spdlog::warn("removed stale shim socket {}", path);
  }
  for (const auto& line : CleanupAfterDeadShim(bundle, flags.id)) spdlog::warn("{}", line);

  containerd::task::v2::DeleteResponse response;
  response.set_exit_status(kKilledExitStatus);
  SetTimestamp(response.mutable_exited_at(), std::chrono::system_clock::now());
  out << response.SerializeAsString();
  return 0;
}

}  // namespace strato::shim
