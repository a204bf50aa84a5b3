#include "vmm/kvm/host_probe.h"

#include <cpuid.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "common/error.h"
#include "common/file_util.h"

namespace strato::vmm {

namespace {

std::vector<KvmCapability> CapabilitiesWanted() {
  return {
      {"KVM_CAP_IRQCHIP", KVM_CAP_IRQCHIP, true, 0},
      {"KVM_CAP_SPLIT_IRQCHIP", KVM_CAP_SPLIT_IRQCHIP, true, 0},
      {"KVM_CAP_IRQFD", KVM_CAP_IRQFD, true, 0},
      {"KVM_CAP_IOEVENTFD", KVM_CAP_IOEVENTFD, true, 0},
      {"KVM_CAP_IRQ_ROUTING", KVM_CAP_IRQ_ROUTING, true, 0},
      {"KVM_CAP_SIGNAL_MSI", KVM_CAP_SIGNAL_MSI, true, 0},
      {"KVM_CAP_PIT2", KVM_CAP_PIT2, true, 0},
      {"KVM_CAP_USER_MEMORY", KVM_CAP_USER_MEMORY, true, 0},
      {"KVM_CAP_IMMEDIATE_EXIT", KVM_CAP_IMMEDIATE_EXIT, false, 0},
      {"KVM_CAP_X2APIC_API", KVM_CAP_X2APIC_API, false, 0},
      {"KVM_CAP_NR_MEMSLOTS", KVM_CAP_NR_MEMSLOTS, false, 0},
      {"KVM_CAP_MAX_VCPUS", KVM_CAP_MAX_VCPUS, false, 0},
  };
}

// Module names that provide /dev/kvm, most specific first.
constexpr const char* kKvmModules[] = {"kvm_intel", "kvm_amd", "kvm_pvm"};

}  // namespace

bool KvmHostInfo::HasAllRequired() const {
  if (!accessible || api_version != kKvmApiVersion) return false;
  for (const auto& c : capabilities) {
    if (c.required && c.value <= 0) return false;
  }
  return true;
}

bool CpuInfoHasVirtualizationFlag(const std::string& cpuinfo_text) {
  std::istringstream in(cpuinfo_text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("flags")) continue;
    std::istringstream words(
        line.substr(line.find(':') == std::string::npos ? line.size() : line.find(':') + 1));
    std::string w;
    while (words >> w) {
      if (w == "vmx" || w == "svm") return true;
    }
    return false;  // the first CPU's flags are representative
  }
  return false;
}

KvmFlavor ClassifyKvmHost(bool usable, bool cpu_has_vmx_or_svm, const std::string& kvm_module) {
  if (!usable) return KvmFlavor::kUnavailable;
  if (cpu_has_vmx_or_svm && (kvm_module == "kvm_intel" || kvm_module == "kvm_amd")) {
    return KvmFlavor::kHardwareAssisted;
  }
  return KvmFlavor::kNestedOrSoftware;
}

const char* KvmFlavorName(KvmFlavor flavor) {
  switch (flavor) {
    case KvmFlavor::kUnavailable:
      return "unavailable";
    case KvmFlavor::kHardwareAssisted:
      return "hardware-assisted";
    case KvmFlavor::kNestedOrSoftware:
      return "nested/software (workarounds needed)";
  }
  return "?";
}

namespace {
constexpr unsigned kCpuidLeafFeatures = 1;
constexpr unsigned kCpuidEcxVmx = 1u << 5;
constexpr unsigned kCpuidLeafExtendedFeatures = 0x80000001;
constexpr unsigned kCpuidEcxSvm = 1u << 2;

std::string FirstKvmModule(const std::string& sys_module) {
  for (const char* m : kKvmModules) {
    struct stat ms {};
    if (::stat((sys_module + "/" + m).c_str(), &ms) == 0) return m;
  }
  return {};
}
}  // namespace

KvmFlavor DetectKvmFlavor(const std::string& sys_module) {
  unsigned eax, ebx, ecx, edx;
  bool vmx_or_svm = false;
  if (__get_cpuid(kCpuidLeafFeatures, &eax, &ebx, &ecx, &edx))
    vmx_or_svm = (ecx & kCpuidEcxVmx) != 0;
  if (__get_cpuid(kCpuidLeafExtendedFeatures, &eax, &ebx, &ecx, &edx)) {
    vmx_or_svm = vmx_or_svm || (ecx & kCpuidEcxSvm) != 0;
  }
  return ClassifyKvmHost(true, vmx_or_svm, FirstKvmModule(sys_module));
}

KvmHostInfo ProbeKvmHost(const std::string& device, const std::string& cpuinfo,
                         const std::string& sys_module) {
  KvmHostInfo info;
  info.device = device;
  info.capabilities = CapabilitiesWanted();
  struct stat st {};
  info.present = ::stat(device.c_str(), &st) == 0 && S_ISCHR(st.st_mode);
  UniqueFd fd(::open(device.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd.valid()) {
    info.open_error = std::strerror(errno);
  } else {
    info.accessible = true;
    info.api_version = ::ioctl(fd.get(), KVM_GET_API_VERSION, 0);
    for (auto& c : info.capabilities) {
      int r = ::ioctl(fd.get(), KVM_CHECK_EXTENSION, c.id);
      c.value = r < 0 ? 0 : r;
    }
  }
  try {
    info.cpu_has_vmx_or_svm = CpuInfoHasVirtualizationFlag(ReadFile(cpuinfo));
  } catch (const Error&) {
    info.cpu_has_vmx_or_svm = false;
  }
  info.kvm_module = FirstKvmModule(sys_module);
  info.flavor = ClassifyKvmHost(info.accessible && info.api_version == kKvmApiVersion,
                                info.cpu_has_vmx_or_svm, info.kvm_module);
  return info;
}

}  // namespace strato::vmm
