#pragma once
// What the host's /dev/kvm offers: API version, the capabilities strato relies on, and whether
// virtualization is hardware-assisted (vmx/svm) or nested/software (e.g. kvm_pvm), which decides
// whether the VMM enables its workarounds for instructions the host cannot emulate.

#include <string>
#include <vector>

namespace strato::vmm {

struct KvmCapability {
  std::string name;  // e.g. "KVM_CAP_IRQCHIP"
  int id = 0;        // KVM_CAP_* number
  bool required = true;
  int value = 0;  // KVM_CHECK_EXTENSION result (0 = absent; some caps report a count)
};

enum class KvmFlavor {
  kUnavailable,       // /dev/kvm missing or unusable
  kHardwareAssisted,  // vmx or svm in the CPU flags and kvm_intel/kvm_amd loaded
  kNestedOrSoftware,  // KVM works but without vmx/svm (e.g. kvm_pvm): needs workarounds
};

struct KvmHostInfo {
  std::string device = "/dev/kvm";
  bool present = false;
  bool accessible = false;
  std::string open_error;  // why open() failed, if it did
  int api_version = -1;    // KVM_GET_API_VERSION; strato needs 12
  std::vector<KvmCapability> capabilities;
  bool cpu_has_vmx_or_svm = false;
  std::string kvm_module;  // kvm_intel, kvm_amd, kvm_pvm, ... (first found in /sys/module)
  KvmFlavor flavor = KvmFlavor::kUnavailable;

  bool HasAllRequired() const;
};

inline constexpr int kKvmApiVersion =
    12;  // the only stable KVM API version (Documentation/virt/kvm/api.rst)

// Probes the host. Never throws: failures are recorded in the result.
KvmHostInfo ProbeKvmHost(const std::string& device = "/dev/kvm",
                         const std::string& cpuinfo = "/proc/cpuinfo",
                         const std::string& sys_module = "/sys/module");

// The flavor of an already opened, usable /dev/kvm, decided fast for VM start-up: the CPUID
// instruction (VMX: leaf 1 ECX bit 5; SVM: leaf 0x80000001 ECX bit 2) instead of /proc/cpuinfo, and
// the same module check as ProbeKvmHost.
KvmFlavor DetectKvmFlavor(const std::string& sys_module = "/sys/module");

// Decides the flavor from the CPU flags line and the loaded module name (pure; unit tested).
KvmFlavor ClassifyKvmHost(bool usable, bool cpu_has_vmx_or_svm, const std::string& kvm_module);

// True if a /proc/cpuinfo text lists the vmx or svm flag.
bool CpuInfoHasVirtualizationFlag(const std::string& cpuinfo_text);

const char* KvmFlavorName(KvmFlavor flavor);

}  // namespace strato::vmm
