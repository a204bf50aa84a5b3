// `strato run` failures on the host side: exit code 125 and one clear message on stderr, nothing
// on stdout, no state left behind. None of these boots a guest (the boot timeout case starts
// strato-vmm and gives up on it after a second).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>
#include <thread>

#include "common/file_util.h"
#include "common/sha256.h"
#include "oci/image.h"
#include "rootfs/layer_cache.h"
#include "runtime/container_launch.h"
#include "runtime/image_launch.h"
#include "tests/integration/run/run_harness.h"

namespace strato::run::test {
namespace {

namespace fs = std::filesystem;

constexpr int kExitHostError = 125;

TEST_CASE("PrepareImageLaunch: the example image's layers and disk serials, spec and files") {
  TempDir dir;
  MakeExampleImage(dir / "image");
  runtime::ImageRunOptions options;
  options.image = dir / "image";
  options.command = {"echo", "hi"};
  options.layer_cache_dir = dir / "cache";
  runtime::ContainerLaunch launch = runtime::PrepareImageLaunch(options);
  REQUIRE(launch.layer_images.size() == 3);
  REQUIRE(launch.config.layers.size() == 3);
  oci::Image image = oci::OpenImage(dir / "image");
  for (size_t i = 0; i < 3; ++i) {
    CHECK(rootfs::HasErofsMagic(launch.layer_images[i]));
    CHECK(launch.config.layers[i].serial ==
          "strato-L" + std::to_string(i) + "-" + image.layers[i].digest.substr(7, 8));
  }
  CHECK(launch.config.spec.process->args == std::vector<std::string>{"echo", "hi"});
  CHECK(launch.config.spec.process->env == std::vector<std::string>{"PATH=/bin"});
  CHECK(launch.config.EffectiveHostname() == "strato");
  REQUIRE(launch.config.files.size() == 2);
  CHECK(launch.config.files[0].path == "/etc/hostname");
  CHECK(launch.config.files[0].contents == "strato\n");
  CHECK(launch.config.files[1].path == "/etc/hosts");
  // A second preparation finds every layer in the cache.
  CHECK(runtime::PrepareImageLaunch(options).layer_images == launch.layer_images);
}

TEST_CASE("PrepareImageLaunch: an OCI archive gives the same layer images as its layout") {
  TempDir dir;
  MakeExampleImage(dir / "image");
  CommandResult tar = RunCommand({"/bin/tar", "-cf", dir / "image.tar", "-C", dir / "image", "."});
  REQUIRE(tar.exit_code == 0);
  runtime::ImageRunOptions options;
  options.layer_cache_dir = dir / "cache";
  options.image = dir / "image";
  runtime::ContainerLaunch from_layout = runtime::PrepareImageLaunch(options);
  options.image = dir / "image.tar";
  runtime::ContainerLaunch from_archive = runtime::PrepareImageLaunch(options);
  CHECK(from_archive.layer_images == from_layout.layer_images);
  CHECK(from_archive.config.spec.process->args == std::vector<std::string>{"sh"});
}

TEST_CASE("PrepareImageLaunch: a cancellation stops it before any layer is converted") {
  TempDir dir;
  MakeExampleImage(dir / "image");
  runtime::ImageRunOptions options;
  options.image = dir / "image";
  options.layer_cache_dir = dir / "cache";
  options.check_cancel = [] { throw runtime::Cancelled("interrupted by signal 2"); };
  CHECK_THROWS_AS(runtime::PrepareImageLaunch(options), runtime::Cancelled);
  for (const auto& entry : fs::directory_iterator(dir / "cache")) {
    CHECK(entry.path().extension() != ".erofs");
  }
}

TEST_CASE("strato run: SIGTERM during the boot stops the VMM and exits 143") {
  TempDir dir;
  MakeExampleImage(dir / "image");
  // A stand-in VMM that never opens its vsock socket; it records its pid (kept across exec).
  WriteFileAtomic(dir / "vmm.sh",
                  "#!/bin/sh\necho $$ > " + (dir / "vmm-pid.tmp") + " && mv " +
                      (dir / "vmm-pid.tmp") + " " + (dir / "vmm-pid") + "\nexec sleep 1000\n",
                  0755);
  std::string err_path = dir / "stderr";
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::setenv("STRATO_VMM", (dir / "vmm.sh").c_str(), 1);
    ::setenv("STRATO_KERNEL", "/dev/null", 1);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(err, 2);
    std::string cache = dir / "cache", image = dir / "image";
    ::execl(STRATO_CLI_BINARY, "strato", "run", "--layer-cache", cache.c_str(), image.c_str(), "--",
            "true", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Wait until the stand-in VMM runs, find its state directory (its vmm.pid), then interrupt.
  for (int i = 0; i < 500 && !fs::exists(dir / "vmm-pid"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(fs::exists(dir / "vmm-pid"));
  std::string vmm_pid = ReadFile(dir / "vmm-pid");
  pid_t vmm = std::stoi(vmm_pid);
  std::string state_dir;
  for (const auto& entry : fs::directory_iterator("/run/strato/run")) {
    std::error_code ec;
    if (fs::exists(entry.path() / "vmm.pid", ec) && ReadFile(entry.path() / "vmm.pid") == vmm_pid)
      state_dir = entry.path().string();
  }
  REQUIRE_FALSE(state_dir.empty());
  ::kill(pid, SIGTERM);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
  CHECK(ReadFile(err_path) == "strato run: interrupted by signal 15\n");
  CHECK(::kill(vmm, 0) != 0);  // killed and reaped
  CHECK_FALSE(fs::exists(state_dir));
}

TEST_CASE("strato run: a missing image is exit 125 naming it") {
  TempDir dir;
  CommandResult r = RunStrato(dir / "cache", {dir / "no-such-image", "--", "true"});
  CHECK(r.exit_code == kExitHostError);
  CHECK(r.out.empty());
  CHECK(r.err ==
        "strato run: open image " + (dir / "no-such-image") + ": No such file or directory\n");
}

TEST_CASE("strato run: a malformed image config is exit 125 with its JSON path") {
  TempDir dir;
  // Cmd must be an array of strings.
  std::string config = R"({"architecture":"amd64","os":"linux","config":{"Cmd":"true"},)"
                       R"("rootfs":{"type":"layers","diff_ids":[]}})";
  WriteSingleLayerImage(dir / "image", config, std::string(1024, '\0'));
  CommandResult r = RunStrato(dir / "cache", {dir / "image"});
  CHECK(r.exit_code == kExitHostError);
  CHECK(r.out.empty());
  CHECK(r.err == "strato run: config sha256:" + Sha256::HexOf(config) +
                     ": config.Cmd: expected an array, got string\n");
}

TEST_CASE("strato run: a corrupt layer is exit 125 naming the layer, it is not cached") {
  TempDir dir;
  MakeExampleImage(dir / "image");
  // Change one letter of a file inside the /etc layer (an uncompressed tar): the tar still
  // parses, only the digest tells.
  const std::string kText = "this file is deleted by layer 2";
  std::string blob;
  for (const auto& entry : fs::directory_iterator(dir / "image/blobs/sha256")) {
    if (ReadFile(entry.path()).find(kText) != std::string::npos) blob = entry.path().string();
  }
  REQUIRE_FALSE(blob.empty());
  std::string bytes = ReadFile(blob);
  bytes[bytes.find(kText)] = 'T';
  WriteFileAtomic(blob, bytes);
  std::string digest = "sha256:" + fs::path(blob).filename().string();

  CommandResult r = RunStrato(dir / "cache", {dir / "image", "--", "true"});
  CHECK(r.exit_code == kExitHostError);
  CHECK(r.out.empty());
  CHECK(r.err == "strato run: image " + (dir / "image") + ": layer 1 (" + digest + "): " + blob +
                     ": layer blob has digest sha256:" + Sha256::HexOf(bytes) + ", expected " +
                     digest + "\n");
  // Layer 0 was converted; nothing was left in the cache for the corrupt layer.
  std::vector<std::string> cached;
  for (const auto& entry : fs::directory_iterator(dir / "cache")) {
    if (entry.path().extension() == ".erofs") cached.push_back(entry.path().filename());
  }
  CHECK(cached.size() == 1);
  CHECK(std::find(cached.begin(), cached.end(),
                  "sha256-" + fs::path(blob).filename().string() + ".erofs") == cached.end());
}

TEST_CASE("strato run: a VMM that dies during the boot is exit 125 with its exit code") {
  TempDir dir;
  MakeExampleImage(dir / "image");
  // A kernel path is needed before the VMM starts; /bin/false stands in for strato-vmm.
  CommandResult r = RunStrato(dir / "cache", {dir / "image", "--", "true"}, "",
                              {{"STRATO_VMM", "/bin/false"}, {"STRATO_KERNEL", "/dev/null"}});
  CHECK(r.exit_code == kExitHostError);
  CHECK(r.out.empty());
  INFO(r.err);
  CHECK(std::regex_match(r.err, std::regex("strato run: container [0-9a-f]{12}: the guest agent "
                                           "did not answer: strato-vmm exited with code 1\n")));
}

TEST_CASE("strato run: a guest that does not answer in time is exit 125 with the console tail") {
  if (std::string why = GuestSkipReason(); !why.empty()) {
    WARN("SKIP: " << why);
    return;
  }
  TempDir dir;
  MakeExampleImage(dir / "image");
  CommandResult r = RunStrato(dir / "cache", {"--boot-timeout", "1", dir / "image", "--", "true"});
  CHECK(r.exit_code == kExitHostError);
  CHECK(r.out.empty());
  INFO(r.err);
  CHECK(std::regex_search(
      r.err, std::regex("^strato run: container [0-9a-f]{12}: the guest agent did not answer: "
                        "vsock port 1024 via /run/strato/run/[0-9a-f]{12}/vsock.sock: no answer "
                        "within [01] s\n")));
  // The state directory is gone with the VM.
  std::smatch id;
  REQUIRE(std::regex_search(r.err, id, std::regex("container ([0-9a-f]{12})")));
  CHECK_FALSE(fs::exists("/run/strato/run/" + id[1].str()));
}

}  // namespace
}  // namespace strato::run::test
