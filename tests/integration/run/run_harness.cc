#include "tests/integration/run/run_harness.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>

#include "common/error.h"
#include "common/file_util.h"
#include "common/sha256.h"
#include "runtime/helper_binaries.h"

extern char** environ;

namespace strato::run::test {

TempDir::TempDir() {
  char tmpl[] = "/tmp/strato-run-test-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& input,
                         const std::map<std::string, std::string>& env) {
  int in[2], out[2], err[2];
  REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, args;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  REQUIRE(rc == 0);
  ::fcntl(in[1], F_SETFL, O_NONBLOCK);
  CommandResult result;
  size_t written = 0;
  int stdin_fd = in[1];
  if (input.empty()) {
    ::close(stdin_fd);
    stdin_fd = -1;
  }
  int open_outputs = 2;
  char buf[65536];
  while (open_outputs > 0) {
    pollfd fds[3] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {stdin_fd, POLLOUT, 0}};
    REQUIRE(::poll(fds, 3, -1) >= 0);
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
      } else {
        ::close(fds[i].fd);
        (i == 0 ? out[0] : err[0]) = -1;
        --open_outputs;
      }
    }
    if (stdin_fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = ::write(stdin_fd, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (n < 0 && errno != EAGAIN) written = input.size();  // reader gone
      if (written == input.size()) {
        ::close(stdin_fd);
        stdin_fd = -1;
      }
    }
  }
  if (stdin_fd >= 0) ::close(stdin_fd);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

CommandResult RunStrato(const std::string& layer_cache, const std::vector<std::string>& run_args,
                        const std::string& input, const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv = {STRATO_CLI_BINARY, "run", "--layer-cache", layer_cache};
  argv.insert(argv.end(), run_args.begin(), run_args.end());
  return RunCommand(argv, input, env);
}

void MakeExampleImage(const std::string& dir) {
  CommandResult r = RunCommand(
      {"/bin/bash", std::string(STRATO_SOURCE_DIR) + "/scripts/make-example-image.sh", dir});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
}

std::string WriteSingleLayerImage(const std::string& dir, const std::string& config_json,
                                  const std::string& layer_tar) {
  std::filesystem::create_directories(dir + "/blobs/sha256");
  auto store = [&dir](const std::string& bytes) {
    std::string hex = Sha256::HexOf(bytes);
    WriteFileAtomic(dir + "/blobs/sha256/" + hex, bytes);
    return std::pair<std::string, size_t>{"sha256:" + hex, bytes.size()};
  };
  auto [layer_digest, layer_size] = store(layer_tar);
  auto [config_digest, config_size] = store(config_json);
  std::string manifest =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
      R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
      config_digest + R"(","size":)" + std::to_string(config_size) +
      R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":")" +
      layer_digest + R"(","size":)" + std::to_string(layer_size) + "}]}";
  auto [manifest_digest, manifest_size] = store(manifest);
  WriteFileAtomic(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  WriteFileAtomic(
      dir + "/index.json",
      R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
          manifest_digest + R"(","size":)" + std::to_string(manifest_size) + "}]}");
  return layer_digest;
}

std::string GuestSkipReason() {
  if (::access("/dev/kvm", R_OK | W_OK) != 0) return "/dev/kvm is not usable";
  try {
    runtime::FindGuestKernel();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace strato::run::test
