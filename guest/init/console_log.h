#pragma once
// strato-init's logger: one write(2) per line, "strato-init: <text>\n", to one fd (the guest
// console in the VM, a pipe in host tests). No spdlog: the init is a static binary and every
// system call is expensive in the guest, so this is the whole logger.

#include <string>

namespace strato::guest {

// Where lines go (default 2). Set once, before anything logs.
void SetLogFd(int fd);
int LogFd();

void LogInfo(const std::string& text);
void LogWarning(const std::string& text);  // "strato-init: warning: <text>"
void LogError(const std::string& text);    // "strato-init: error: <text>"

// The machine-readable line the host waits for: "strato-init: exit-status <n>".
void ReportExitStatus(int status);

// Writes all of `data` to `fd`, retrying on EINTR and short writes; false on error.
bool WriteAll(int fd, const std::string& data);

}  // namespace strato::guest
