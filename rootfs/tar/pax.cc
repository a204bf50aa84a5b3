#include "rootfs/tar/pax.h"

#include <limits>

#include "common/error.h"

namespace strato::rootfs::tar {

namespace {

// Nanoseconds have 9 decimal digits; extra fraction digits are dropped.
constexpr int kNanosecondDigits = 9;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::vector<PaxRecord> ParsePaxRecords(std::string_view data) {
  std::vector<PaxRecord> records;
  size_t pos = 0;
  while (pos < data.size()) {
    if (data[pos] == '\0') {
      // Padding: everything left must be NUL.
      for (size_t i = pos; i < data.size(); ++i) {
        if (data[i] != '\0') throw Error("malformed pax record at byte " + std::to_string(i));
      }
      break;
    }
    size_t len = 0;
    size_t i = pos;
    while (i < data.size() && data[i] >= '0' && data[i] <= '9') {
      len = len * 10 + static_cast<size_t>(data[i] - '0');
      if (len > data.size())
        throw Error("malformed pax record at byte " + std::to_string(pos) +
                    ": length past the header");
      ++i;
    }
    if (i == pos || i >= data.size() || data[i] != ' ') {
      throw Error("malformed pax record at byte " + std::to_string(pos) + ": bad length");
    }
    if (len > data.size() - pos || len < (i - pos) + 3) {
      throw Error("malformed pax record at byte " + std::to_string(pos) + ": length out of range");
    }
    std::string_view body = data.substr(i + 1, pos + len - (i + 1));
    if (body.empty() || body.back() != '\n') {
      throw Error("malformed pax record at byte " + std::to_string(pos) + ": no newline");
    }
    body.remove_suffix(1);
    size_t eq = body.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      throw Error("malformed pax record at byte " + std::to_string(pos) + ": no key");
    }
    records.push_back({std::string(body.substr(0, eq)), std::string(body.substr(eq + 1))});
    pos += len;
  }
  return records;
}

uint64_t ParsePaxUint(std::string_view text, const char* key, uint64_t max) {
  if (text.empty()) throw Error(std::string("pax ") + key + ": empty value");
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      throw Error(std::string("pax ") + key + ": not a non-negative decimal number");
    }
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (max - digit) / 10) throw Error(std::string("pax ") + key + ": value too large");
    value = value * 10 + digit;
  }
  return value;
}

void ParsePaxTime(std::string_view text, int64_t* sec, uint32_t* nsec) {
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  if (!whole.empty() && whole[0] == '-') throw Error("pax mtime: negative time");
  *sec = static_cast<int64_t>(
      ParsePaxUint(whole, "mtime", static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
  *nsec = 0;
  if (dot == std::string_view::npos) return;
  std::string_view frac = text.substr(dot + 1);
  uint32_t value = 0;
  int digits = 0;
  for (char c : frac) {
    if (c < '0' || c > '9') throw Error("pax mtime: bad fraction");
    if (digits < kNanosecondDigits) {
      value = value * 10 + static_cast<uint32_t>(c - '0');
      ++digits;
    }
  }
  for (; digits < kNanosecondDigits; ++digits) value *= 10;
  *nsec = value;
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int hi = HexValue(text[i + 1]);
      int lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) throw Error("bad %-escape in LIBARCHIVE.xattr name");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (text[i] == '%') {
      throw Error("truncated %-escape in LIBARCHIVE.xattr name");
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string Base64Decode(std::string_view text) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    int v = Base64Value(c);
    if (v < 0) throw Error("bad base64 in LIBARCHIVE.xattr value");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace strato::rootfs::tar
