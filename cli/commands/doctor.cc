// `strato doctor`: a readable report on whether this host can run strato, exit 1 if something
// required is missing. Required: a usable /dev/kvm with the capabilities the VMM uses, and a
// guest kernel. Reported but optional: containerd, its config, and the shim on PATH.

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/command.h"
#include "cli/flag_parser.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/paths.h"
#include "vmm/kvm/host_probe.h"

namespace strato::cli {

namespace {

enum class Verdict { kOk, kWarn, kFail };

class Report {
 public:
  void Line(Verdict v, const std::string& what, const std::string& detail) {
    const char* tag = v == Verdict::kOk ? "[ ok ]" : v == Verdict::kWarn ? "[warn]" : "[FAIL]";
    std::printf("%s %-26s %s\n", tag, what.c_str(), detail.c_str());
    if (v == Verdict::kFail) ++failures_;
  }
  int failures() const { return failures_; }

 private:
  int failures_ = 0;
};

bool IsFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string FindInPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string p = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string candidate = p.substr(start, end - start) + "/" + name;
    if (IsFile(candidate) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return {};
}

void CheckKvm(Report& r) {
  vmm::KvmHostInfo kvm = vmm::ProbeKvmHost();
  if (!kvm.present) {
    r.Line(Verdict::kFail, kvm.device, "missing: load kvm_intel/kvm_amd or enable virtualization");
    return;
  }
  if (!kvm.accessible) {
    r.Line(Verdict::kFail, kvm.device, "cannot open: " + kvm.open_error);
    return;
  }
  r.Line(kvm.api_version == vmm::kKvmApiVersion ? Verdict::kOk : Verdict::kFail, kvm.device,
         "present, accessible, API version " + std::to_string(kvm.api_version));
  for (const auto& c : kvm.capabilities) {
    Verdict v = c.value > 0 ? Verdict::kOk : (c.required ? Verdict::kFail : Verdict::kWarn);
    std::string detail = c.value > 0 ? "yes" : "missing";
    if (c.value > 1) detail += " (" + std::to_string(c.value) + ")";
    if (!c.required) detail += " [optional]";
    r.Line(v, c.name, detail);
  }
  std::string accel = std::string(vmm::KvmFlavorName(kvm.flavor)) + "; module " +
                      (kvm.kvm_module.empty() ? "unknown" : kvm.kvm_module) + ", cpu flags " +
                      (kvm.cpu_has_vmx_or_svm ? "have vmx/svm" : "lack vmx/svm");
  r.Line(kvm.flavor == vmm::KvmFlavor::kHardwareAssisted ? Verdict::kOk : Verdict::kWarn,
         "virtualization", accel);
}

void CheckKernel(Report& r) {
  if (const char* env = std::getenv(paths::kKernelEnv); env != nullptr) {
    r.Line(IsFile(env) ? Verdict::kOk : Verdict::kFail, "guest kernel",
           std::string(env) + (IsFile(env) ? "" : ": not found") + " (from $" + paths::kKernelEnv +
               ")");
    return;
  }
  for (const char* candidate : paths::kKernelCandidates) {
    if (IsFile(candidate)) {
      r.Line(Verdict::kOk, "guest kernel", candidate);
      return;
    }
  }
  r.Line(Verdict::kFail, "guest kernel",
         "not found in /usr/share/strato or /var/cache/strato/kernel: run "
         "packaging/kernel/build.sh or set $STRATO_KERNEL");
}

void CheckContainerd(Report& r) {
  std::string containerd = FindInPath("containerd");
  r.Line(containerd.empty() ? Verdict::kWarn : Verdict::kOk, "containerd",
         containerd.empty() ? "not on PATH (needed only for the shim)" : containerd);
  std::string shim = FindInPath(paths::kShimBinary);
  r.Line(shim.empty() ? Verdict::kWarn : Verdict::kOk, paths::kShimBinary,
         shim.empty() ? "not on PATH: containerd cannot start strato tasks" : shim);
  if (!IsFile(paths::kContainerdConfig)) {
    r.Line(Verdict::kWarn, "containerd config",
           std::string(paths::kContainerdConfig) +
               " missing (defaults apply; runtime "
               "io.containerd.strato.v2 still resolves)");
    return;
  }
  std::string text;
  try {
    text = ReadFile(paths::kContainerdConfig);
  } catch (const Error& e) {
    r.Line(Verdict::kWarn, "containerd config", e.what());
    return;
  }
  bool mentions = text.find("strato") != std::string::npos;
  r.Line(mentions ? Verdict::kOk : Verdict::kWarn, "containerd config",
         std::string(paths::kContainerdConfig) +
             (mentions ? ": strato runtime configured"
                       : ": no strato runtime entry (see packaging/containerd/)"));
}

}  // namespace

int RunDoctor(const std::vector<std::string>& args) {
  FlagParser parser({{"help", false, false, "", "show this help"}});
  ParsedFlags flags = parser.Parse(args);
  if (flags.Has("help")) {
    std::printf("usage: strato doctor\n\nCheck that this host can run strato.\n\nflags:\n%s",
                parser.HelpText().c_str());
    return 0;
  }
  if (!flags.positionals().empty()) {
    throw UsageError("unexpected argument \"" + flags.positionals()[0] + "\"");
  }
  Report report;
  CheckKvm(report);
  CheckKernel(report);
  CheckContainerd(report);
  if (report.failures() > 0) {
    std::printf("\n%d required check(s) failed.\n", report.failures());
    return 1;
  }
  std::printf("\nAll required checks passed.\n");
  return 0;
}

}  // namespace strato::cli
