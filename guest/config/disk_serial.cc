#include "guest/config/disk_serial.h"

#include "common/error.h"

namespace strato::guest {

namespace {
constexpr size_t kDigestPrefixDigits = 8;
constexpr size_t kMaxLayerIndex = 999;  // "strato-L" + 3 digits + "-" + 8 hex = 20 bytes

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}
}  // namespace

std::string LayerDiskSerial(size_t index, const std::string& digest) {
  if (index > kMaxLayerIndex) {
    throw Error("layer index " + std::to_string(index) + " does not fit a disk serial (max " +
                std::to_string(kMaxLayerIndex) + ")");
  }
  size_t colon = digest.find(':');
  std::string hex = colon == std::string::npos ? digest : digest.substr(colon + 1);
  if (hex.size() < kDigestPrefixDigits) {
    throw Error("layer digest \"" + digest + "\" has fewer than 8 hex digits");
  }
  hex.resize(kDigestPrefixDigits);
  for (char c : hex) {
    if (!IsHexDigit(c)) throw Error("layer digest \"" + digest + "\" is not lowercase hex");
  }
  return "strato-L" + std::to_string(index) + "-" + hex;
}

bool IsValidDiskSerial(const std::string& serial) {
  if (serial.empty() || serial.size() > kMaxDiskSerialBytes) return false;
  for (char c : serial) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace strato::guest
