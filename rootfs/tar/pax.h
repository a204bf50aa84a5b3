#pragma once
// POSIX pax extended header records ("LEN KEY=VALUE\n", POSIX.1-2017 pax "Extended Header") and
// the value encodings strato reads from them.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strato::rootfs::tar {

struct PaxRecord {
  std::string key;
  std::string value;  // raw bytes (may hold NULs: SCHILY.xattr values are binary)
};

// Parses a whole pax header body. Throws strato::Error("malformed pax record at byte N: ...").
// Trailing NUL padding after the last record is accepted.
std::vector<PaxRecord> ParsePaxRecords(std::string_view data);

// A pax decimal time "SECONDS[.FRACTION]" -> seconds and nanoseconds (fraction truncated to 9
// digits). Negative times are rejected.
void ParsePaxTime(std::string_view text, int64_t* sec, uint32_t* nsec);

// A pax decimal integer in [0, max].
uint64_t ParsePaxUint(std::string_view text, const char* key, uint64_t max);

// LIBARCHIVE.xattr.NAME: NAME is %-encoded (RFC 3986), the value is base64 (RFC 4648).
std::string PercentDecode(std::string_view text);
std::string Base64Decode(std::string_view text);

}  // namespace strato::rootfs::tar
