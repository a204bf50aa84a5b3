#include "oci/digest.h"

#include "oci/json_reader.h"

namespace strato::oci {

namespace {
constexpr size_t kSha256HexLength = 64;

bool IsLowerHex(const std::string& s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}
}  // namespace

Digest ParseDigest(const std::string& text, const std::string& json_path) {
  auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0) {
    throw SpecError(json_path, "malformed digest \"" + text + "\" (expected algorithm:hex)");
  }
  Digest d{text.substr(0, colon), text.substr(colon + 1)};
  if (d.algorithm != "sha256") {
    throw SpecError(
        json_path, "unsupported digest algorithm \"" + d.algorithm + "\" (strato verifies sha256)");
  }
  if (d.hex.size() != kSha256HexLength || !IsLowerHex(d.hex)) {
    throw SpecError(json_path,
                    "malformed digest \"" + text + "\" (sha256 needs 64 lower-case hex digits)");
  }
  return d;
}

}  // namespace strato::oci
