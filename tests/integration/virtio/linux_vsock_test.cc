// One Linux boot (the project kernel, ~1 minute on the nested test machines) with a virtio-vsock
// device: `strato vm --vsock PATH` runs tests/guest/linux/vsock_init.c as /init, which connects
// to host port 6000 (the VMM connects to PATH_6000, where this test listens), then echoes two
// host-initiated connections to its port 5000 (a short line, then 1 MiB, which runs through the
// credit flow control many times). Asserts the exact bytes both ways, the guest's own account,
// and that the VMM powers off cleanly and removes its socket.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "common/file_util.h"
#include "common/paths.h"
#include "rootfs/initramfs/initramfs_builder.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using strato::UniqueFd;

constexpr int kVmTimeoutSeconds = 600;
constexpr auto kGuestDeadline = std::chrono::seconds(540);
constexpr size_t kBigTransfer = 1 << 20;

std::string FindKernel() {
  if (const char* env = std::getenv(strato::paths::kKernelEnv); env && *env) return env;
  for (const char* candidate : strato::paths::kKernelCandidates) {
    if (::access(candidate, R_OK) == 0) return candidate;
  }
  return "";
}

sockaddr_un UnixAddress(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  return addr;
}

bool WaitReadable(int fd, Clock::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 1000))) > 0) return true;
  }
}

// Reads until EOF (or the deadline).
std::string ReadToEof(int fd, Clock::time_point deadline) {
  std::string out;
  char buf[65536];
  while (WaitReadable(fd, deadline)) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// Connects to the VMM's socket and asks for guest port `port`, retrying while the guest boots
// (the VMM closes the stream when nothing listens yet). Returns the stream after "OK <n>\n".
UniqueFd ConnectToGuest(const std::string& path, uint32_t port, Clock::time_point deadline,
                        std::string& ok_line) {
  while (Clock::now() < deadline) {
    UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr = UnixAddress(path);
    if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      const std::string hello = "CONNECT " + std::to_string(port) + "\n";
      if (::send(s.get(), hello.data(), hello.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(hello.size())) {
        ok_line.clear();
        char c;
        while (WaitReadable(s.get(), deadline) && ::read(s.get(), &c, 1) == 1) {
          ok_line += c;
          if (c == '\n') return s;
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return {};
}

// Sends `data` and reads the echo at the same time (the guest echoes as it receives).
std::string EchoThrough(int fd, const std::string& data, Clock::time_point deadline) {
  std::string echoed;
  size_t sent = 0;
  bool shut = false;
  char buf[65536];
  while (Clock::now() < deadline) {
    if (sent == data.size() && !shut) {
      ::shutdown(fd, SHUT_WR);
      shut = true;
    }
    pollfd p{fd, static_cast<short>(POLLIN | (shut ? 0 : POLLOUT)), 0};
    if (::poll(&p, 1, 1000) <= 0) continue;
    if (p.revents & POLLOUT) {
      const ssize_t n = ::send(fd, data.data() + sent, std::min<size_t>(data.size() - sent, 65536),
                               MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) sent += static_cast<size_t>(n);
    }
    if (p.revents & (POLLIN | POLLHUP)) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0) break;
      if (n > 0) echoed.append(buf, static_cast<size_t>(n));
    }
  }
  return echoed;
}

}  // namespace

TEST_CASE("Linux guest talks over virtio-vsock both ways: lines, 1 MiB echo, clean power-off") {
  if (::access("/dev/kvm", R_OK | W_OK) != 0) {
    WARN("SKIP: /dev/kvm is not available to this user");
    return;
  }
  const std::string kernel = FindKernel();
  if (kernel.empty()) {
    WARN("SKIP: no guest kernel built (packaging/kernel/build.sh; or set STRATO_KERNEL)");
    return;
  }
  const fs::path dir =
      fs::temp_directory_path() / ("strato-vsock-linux-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  struct RemoveOnExit {
    fs::path p;
    ~RemoveOnExit() { fs::remove_all(p); }
  } cleanup{dir};
  using Entry = strato::initramfs::InitramfsEntry;
  const std::string initrd = (dir / "initrd.cpio").string();
  strato::WriteFileAtomic(initrd, strato::initramfs::BuildArchive({
                                      Entry::Directory("dev"),
                                      Entry::Device(Entry::Kind::kCharDevice, "dev/console", 5, 1),
                                      Entry::HostFile("init", STRATO_VSOCK_GUEST_INIT),
                                  }));
  const std::string socket_path = (dir / "vsock.sock").string();
  // Guest-initiated connections to host port 6000 land here.
  UniqueFd host_listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const sockaddr_un listen_addr = UnixAddress(socket_path + "_6000");
  REQUIRE(::bind(host_listener.get(), reinterpret_cast<const sockaddr*>(&listen_addr),
                 sizeof listen_addr) == 0);
  REQUIRE(::listen(host_listener.get(), 4) == 0);

  const std::string console = (dir / "console").string(), err = (dir / "err").string();
  const std::string command = "exec timeout --kill-after=10 " + std::to_string(kVmTimeoutSeconds) +
                              " " + STRATO_CLI_BINARY + " vm --kernel " + kernel + " --initrd " +
                              initrd + " --memory 128 --vsock " + socket_path + " --console " +
                              console + " </dev/null >/dev/null 2>" + err;
  const auto start = Clock::now();
  const pid_t vmm = ::fork();
  REQUIRE(vmm >= 0);
  if (vmm == 0) {
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  struct StopOnExit {
    pid_t pid;
    bool reaped = false;
    ~StopOnExit() {
      if (!reaped) {
        ::kill(pid, SIGTERM);
        ::waitpid(pid, nullptr, 0);
      }
    }
  } stop{vmm};
  const auto deadline = start + kGuestDeadline;

  // 1. Guest-initiated: its line arrives, our reply goes back.
  REQUIRE(WaitReadable(host_listener.get(), deadline));
  UniqueFd from_guest(::accept4(host_listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  REQUIRE(from_guest.valid());
  CHECK(ReadToEof(from_guest.get(), deadline) == "hello host, this is the guest\n");
  const std::string reply = "hello guest, this is the host\n";
  REQUIRE(::send(from_guest.get(), reply.data(), reply.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(reply.size()));
  from_guest.reset();

  // 2. Host-initiated: a short line, echoed.
  std::string ok;
  UniqueFd small = ConnectToGuest(socket_path, 5000, deadline, ok);
  REQUIRE(small.valid());
  CHECK(ok.rfind("OK ", 0) == 0);
  CHECK(EchoThrough(small.get(), "ping\n", deadline) == "ping\n");
  small.reset();

  // 3. 1 MiB, echoed exactly.
  UniqueFd big = ConnectToGuest(socket_path, 5000, deadline, ok);
  REQUIRE(big.valid());
  std::string data(kBigTransfer, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 131 + i / 4096) & 0xff);
  const auto transfer_start = Clock::now();
  const std::string echoed = EchoThrough(big.get(), data, deadline);
  const double transfer_s = std::chrono::duration<double>(Clock::now() - transfer_start).count();
  CHECK(echoed.size() == data.size());
  CHECK(echoed == data);
  big.reset();

  int status = 0;
  REQUIRE(::waitpid(vmm, &status, 0) == vmm);
  stop.reaped = true;
  const double total_s = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("linux vsock: 1 MiB echo %.1f s, whole run %.1f s\n", transfer_s, total_s);
  const std::string log = strato::ReadFile(console);
  const std::string vmm_err = strato::ReadFile(err);
  INFO("VMM stderr:\n" << vmm_err);
  INFO("guest console:\n" << log);
  CHECK(log.find("strato-vsock-guest: listening on port 5000") != std::string::npos);
  CHECK(log.find("strato-vsock-guest: host replied: hello guest, this is the host") !=
        std::string::npos);
  CHECK(log.find("strato-vsock-guest: echoed 5 bytes") != std::string::npos);
  CHECK(log.find("strato-vsock-guest: echoed 1048576 bytes") != std::string::npos);
  CHECK(log.find("strato-vsock-guest: done") != std::string::npos);
  CHECK(log.find("FAIL") == std::string::npos);
  CHECK(vmm_err.find("strato vm: guest stopped: poweroff") != std::string::npos);
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  CHECK_FALSE(fs::exists(socket_path));
}
