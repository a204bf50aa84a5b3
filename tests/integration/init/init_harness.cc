#include "tests/integration/init/init_harness.h"

#include <fcntl.h>
#include <linux/loop.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <thread>

#include "common/error.h"
#include "common/file_util.h"
#include "guest/init/init_main.h"
#include "rootfs/convert.h"

namespace strato::guest::test {

namespace {

constexpr auto kRunTimeout = std::chrono::seconds(60);
constexpr int kLoopAttempts = 20;
// Exit codes of the intermediate process (outside what InitMain returns, 0..255, these cannot
// be confused with a container status because the test checks the log too).
constexpr int kUnshareFailed = 250;

constexpr const char* kApplets[] = {"sh",    "echo",  "cat",   "ls",    "id",    "hostname",
                                    "pwd",   "mkdir", "touch", "mount", "kill",  "env",
                                    "sleep", "true",  "grep",  "wc",    "umask", "rm"};

bool HasFilesystem(const std::string& name) {
  std::string all = ReadFile("/proc/filesystems");
  return all.find("\t" + name + "\n") != std::string::npos;
}

}  // namespace

std::string HostSkipReason() {
  if (::geteuid() != 0) return "needs root (loop devices, mounts, namespaces)";
  if (::access("/dev/loop-control", R_OK | W_OK) != 0) return "no /dev/loop-control";
  if (!HasFilesystem("erofs") || !HasFilesystem("overlay")) {
    // Built as modules on most distribution kernels.
    (void)std::system("modprobe -q erofs; modprobe -q overlay");
    if (!HasFilesystem("erofs")) return "the host kernel has no erofs file system";
    if (!HasFilesystem("overlay")) return "the host kernel has no overlay file system";
  }
  if (::access("/bin/busybox", X_OK) != 0)
    return "no /bin/busybox (apt-get install busybox-static)";
  return "";
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/strato-init-it-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) ThrowErrno("mkdtemp");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

LoopDevice::LoopDevice(const std::string& image, bool read_only) {
  UniqueFd image_fd = OpenOrThrow(image, read_only ? O_RDONLY : O_RDWR);
  UniqueFd control = OpenOrThrow("/dev/loop-control", O_RDWR);
  for (int attempt = 0; attempt < kLoopAttempts; ++attempt) {
    int n = ::ioctl(control.get(), LOOP_CTL_GET_FREE);
    if (n < 0) ThrowErrno("LOOP_CTL_GET_FREE");
    std::string path = "/dev/loop" + std::to_string(n);
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      // udev may not have created the node yet.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    loop_config config{};
    config.fd = static_cast<uint32_t>(image_fd.get());
    config.info.lo_flags = (read_only ? LO_FLAGS_READ_ONLY : 0) | LO_FLAGS_AUTOCLEAR;
    if (::ioctl(fd, LOOP_CONFIGURE, &config) == 0) {
      fd_ = fd;
      path_ = path;
      return;
    }
    int err = errno;
    ::close(fd);
    if (err != EBUSY) ThrowErrno("LOOP_CONFIGURE " + path, err);
    // Another process took this device between GET_FREE and CONFIGURE: try the next one.
  }
  throw Error("no free loop device for " + image);
}

LoopDevice::~LoopDevice() {
  // With LO_FLAGS_AUTOCLEAR the device also detaches by itself once the mount (in the test's
  // namespace) and this fd are gone; LOOP_CLR_FD makes it immediate when nothing uses it.
  ::ioctl(fd_, LOOP_CLR_FD, 0);
  ::close(fd_);
}

rootfs::testing::TarBuilder BusyboxTar() {
  rootfs::testing::TarBuilder tar;
  for (const char* dir : {"bin/", "etc/", "proc/", "sys/", "dev/", "tmp/", "mnt/"}) tar.Dir(dir);
  tar.File("bin/busybox", ReadFile("/bin/busybox"), 0755);
  for (const char* applet : kApplets) tar.Link(std::string("bin/") + applet, '2', "busybox");
  return tar;
}

std::string MakeErofsLayer(const std::string& dir, const std::string& name,
                           const std::string& tar) {
  std::string tar_path = dir + "/" + name + ".tar";
  std::string image = dir + "/" + name + ".erofs";
  WriteFileAtomic(tar_path, tar);
  rootfs::ConvertLayer(rootfs::LayerSource::Tar(tar_path), image, {});
  return image;
}

InitRun RunInit(const GuestConfig& config, const std::vector<std::string>& layer_images,
                const std::function<void(pid_t, const std::string&)>& on_started,
                const std::string& scratch_image) {
  TempDir tmp;
  const std::string config_path = tmp.path() + "/config.json";
  const std::string stage = tmp.path() + "/stage";
  const std::string out_path = tmp.path() + "/out";
  const std::string err_path = tmp.path() + "/err";
  const std::string log_path = tmp.path() + "/log";
  WriteFileAtomic(config_path, SerializeGuestConfig(config));
  if (::mkdir(stage.c_str(), 0755) != 0) ThrowErrno("mkdir " + stage);

  std::vector<std::unique_ptr<LoopDevice>> loops;
  InitOptions options;
  options.test_mode = true;
  options.config_path = config_path;
  options.staging_dir = stage;
  for (const std::string& image : layer_images) {
    loops.push_back(std::make_unique<LoopDevice>(image));
    options.layer_devices.push_back(loops.back()->path());
  }
  if (!scratch_image.empty()) {
    loops.push_back(std::make_unique<LoopDevice>(scratch_image, /*read_only=*/false));
    options.scratch_device = loops.back()->path();
  }
  UniqueFd out = OpenOrThrow(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  UniqueFd err = OpenOrThrow(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  UniqueFd log = OpenOrThrow(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  UniqueFd null = OpenOrThrow("/dev/null", O_RDONLY);
  options.log_fd = log.get();
  int pid_pipe[2];
  if (::pipe2(pid_pipe, O_CLOEXEC) != 0) ThrowErrno("pipe2");

  pid_t outer = ::fork();
  if (outer < 0) ThrowErrno("fork");
  if (outer == 0) {
    // The intermediate process: new namespaces apply to its children, so the next child is
    // PID 1 of the new PID namespace, as strato-init is in the VM.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC) != 0) {
      ::_exit(kUnshareFailed);
    }
    pid_t init = ::fork();
    if (init == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::dup2(null.get(), 0);
      ::dup2(out.get(), 1);
      ::dup2(err.get(), 2);
      ::_exit(InitMain(options));
    }
    (void)!::write(pid_pipe[1], &init, sizeof init);
    int status = 0;
    while (::waitpid(init, &status, 0) < 0 && errno == EINTR) {
    }
    ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
  ::close(pid_pipe[1]);
  pid_t init_pid = -1;
  bool got_pid = ::read(pid_pipe[0], &init_pid, sizeof init_pid) == sizeof init_pid;
  ::close(pid_pipe[0]);
  if (got_pid && on_started) on_started(init_pid, out_path);

  auto deadline = std::chrono::steady_clock::now() + kRunTimeout;
  int status = 0;
  for (;;) {
    pid_t done = ::waitpid(outer, &status, WNOHANG);
    if (done == outer) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(outer, SIGKILL);  // PDEATHSIG takes the namespace's PID 1, and so everything, along
      ::waitpid(outer, &status, 0);
      throw Error("strato-init did not finish within 60 s; log: " + ReadFile(log_path));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) == kUnshareFailed) {
    throw Error("the namespace setup process failed (status " + std::to_string(status) + ")");
  }
  InitRun run;
  run.exit_status = WEXITSTATUS(status);
  run.out = ReadFile(out_path);
  run.err = ReadFile(err_path);
  run.log = ReadFile(log_path);
  return run;
}

nlohmann::json DefaultSpec(const std::vector<std::string>& args) {
  using nlohmann::json;
  auto mount = [](const char* dest, const char* type, const char* source,
                  std::vector<std::string> options) {
    return json{{"destination", dest}, {"type", type}, {"source", source}, {"options", options}};
  };
  return json{
      {"ociVersion", "1.0.2-dev"},
      {"root", {{"path", "rootfs"}}},
      {"hostname", "spec-host"},
      {"process",
       {{"user", {{"uid", 0}, {"gid", 0}}},
        {"args", args},
        {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
        {"cwd", "/"},
        {"noNewPrivileges", true}}},
      {"mounts",
       {mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
        mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
        mount("/dev/pts", "devpts", "devpts",
              {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
        mount("/dev/shm", "tmpfs", "shm",
              {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
        mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
        mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
        mount("/sys/fs/cgroup", "cgroup", "cgroup",
              {"nosuid", "noexec", "nodev", "relatime", "ro"}),
        mount("/etc/hosts", "bind", "/var/lib/strato/hosts", {"rbind", "ro"})}},
      {"linux",
       {{"maskedPaths",
         {"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
          "/proc/sched_debug", "/proc/scsi", "/sys/firmware"}},
        {"readonlyPaths",
         {"/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
          "/proc/sysrq-trigger"}}}},
  };
}

GuestConfig ConfigFor(const nlohmann::json& spec, size_t layers) {
  GuestConfig config = MakeGuestConfig(spec.dump());
  for (size_t i = 0; i < layers; ++i) {
    config.layers.push_back({"strato-L" + std::to_string(i) + "-test", ""});
  }
  config.files = {{"/etc/hosts", "127.0.0.1 localhost strato\n", 0644}};
  return config;
}

}  // namespace strato::guest::test
