#include "shim/backend/unavailable_sandbox.h"

#include "ttrpc/status.h"

namespace strato::shim {

namespace {

class UnavailableSandbox : public Sandbox {
 public:
  uint32_t Create(const ContainerConfig&, ProcessStdio) override {
    throw ttrpc::RpcError(ttrpc::Code::kUnavailable, kNoBackendMessage);
  }
  // Nothing below is reachable: without Create there are no processes, and the Task service
  // answers NotFound before calling the backend.
  void Exec(const std::string&, const std::string&, const std::string&, ProcessStdio) override {
    Refuse();
  }
  uint32_t Start(const std::string&, const std::string&) override { Refuse(); }
  ExitInfo Wait(const std::string&, const std::string&) override {
    throw SandboxFailure(kNoBackendMessage);
  }
  void Kill(const std::string&, const std::string&, uint32_t, bool) override { Refuse(); }
  void Delete(const std::string&, const std::string&) override { Refuse(); }
  void Pause(const std::string&) override { Refuse(); }
  void Resume(const std::string&) override { Refuse(); }
  void ResizePty(const std::string&, const std::string&, uint32_t, uint32_t) override { Refuse(); }
  void CloseIO(const std::string&, const std::string&) override { Refuse(); }
  std::vector<ProcessInfo> Pids(const std::string&) override { Refuse(); }
  AnyBlob Stats(const std::string&) override { Refuse(); }
  void Update(const std::string&, const std::string&) override { Refuse(); }
  void Shutdown() override {}

 private:
  [[noreturn]] static void Refuse() {
    throw ttrpc::RpcError(ttrpc::Code::kUnavailable, kNoBackendMessage);
  }
};

}  // namespace

std::unique_ptr<Sandbox> MakeUnavailableSandbox() {
  return std::make_unique<UnavailableSandbox>();
}

}  // namespace strato::shim
