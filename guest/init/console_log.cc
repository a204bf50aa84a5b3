#include "guest/init/console_log.h"

#include <unistd.h>

#include <cerrno>

namespace strato::guest {

namespace {
int g_log_fd = 2;

void Line(const std::string& text) {
  WriteAll(g_log_fd, "strato-init: " + text + "\n");
}
}  // namespace

void SetLogFd(int fd) {
  g_log_fd = fd;
}

int LogFd() {
  return g_log_fd;
}

void LogInfo(const std::string& text) {
  Line(text);
}

void LogWarning(const std::string& text) {
  Line("warning: " + text);
}

void LogError(const std::string& text) {
  Line("error: " + text);
}

void ReportExitStatus(int status) {
  Line("exit-status " + std::to_string(status));
}

bool WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace strato::guest
