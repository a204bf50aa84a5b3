#pragma once
// linux.sysctl: each "a.b.c" = value is written to /proc/sys/a/b/c, after the container's /proc is
// mounted and before readonlyPaths makes /proc/sys read-only. In the VM every sysctl is the VM's
// own; on the host (tests) only namespaced ones (kernel.msg*, kernel.shm*, ...) are safe to use.

#include <map>
#include <string>

namespace strato::guest {

// "net.ipv4.ip_forward" -> "/proc/sys/net/ipv4/ip_forward". Throws strato::Error for names that
// are empty or would leave /proc/sys ("..", "/", empty components).
std::string SysctlPath(const std::string& name);

void ApplySysctls(const std::map<std::string, std::string>& sysctls);

}  // namespace strato::guest
