// The agent's text parsers over arbitrary bytes: the stdio handshake line the host sends, and the
// /proc and cgroup files it reads. None may crash, and a parsed request must format back to the
// same line (without its newline).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "guest/agent/guest_processes.h"
#include "guest/agent/guest_stats.h"
#include "guest/agent/stdio_handshake.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  if (auto request = strato::agent::ParseStreamRequest(text, &error)) {
    std::string line = strato::agent::FormatStreamRequest(request->id, request->stream);
    if (line != std::string(text) + "\n") std::abort();
  } else if (error.empty()) {
    std::abort();
  }
  (void)strato::agent::ParseProcStat(text);
  (void)strato::agent::ParseCgroupV2Path(text);
  (void)strato::agent::ParseCgroupValue(text);
  (void)strato::agent::ParseCpuStatUsage(text);
  (void)strato::agent::ParseMeminfoBytes(text, "MemTotal");
  (void)strato::agent::ParseProcStatCpuUsec(text, 100);
  return 0;
}
