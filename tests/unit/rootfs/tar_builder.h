#pragma once
// Builds tar archives in memory for tests (and fuzz seeds): ustar/GNU headers with correct
// checksums, pax records, GNU long names. Tests corrupt the bytes afterwards for hostile cases.

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace strato::rootfs::testing {

struct TarItem {
  std::string name;
  char type = '0';
  uint32_t mode = 0644;
  uint64_t uid = 0;
  uint64_t gid = 0;
  uint64_t mtime = 0;
  std::string data;
  std::string linkname;
  uint32_t devmajor = 0;
  uint32_t devminor = 0;
  std::vector<std::pair<std::string, std::string>> pax;  // emitted as an 'x' header first
  bool gnu = false;  // GNU magic ("ustar  ") instead of POSIX ("ustar\0" "00")
};

inline std::string PaxRecord(const std::string& key, const std::string& value) {
  // "LEN KEY=VALUE\n" where LEN counts itself.
  size_t body = key.size() + value.size() + 3;  // ' ' '=' '\n'
  size_t len = body + 1;
  while (std::to_string(len).size() + body != len) ++len;
  return std::to_string(len) + " " + key + "=" + value + "\n";
}

class TarBuilder {
 public:
  // Zero-padded octal of width-1 digits and a NUL, as tar writes numeric fields.
  static void Octal(char* field, size_t width, uint64_t value) {
    field[width - 1] = '\0';
    for (size_t i = width - 1; i-- > 0;) {
      field[i] = static_cast<char>('0' + (value & 7));
      value >>= 3;
    }
  }

  static std::string Header(const TarItem& it, uint64_t size) {
    std::string h(512, '\0');
    std::memcpy(h.data(), it.name.data(), std::min<size_t>(it.name.size(), 100));
    Octal(h.data() + 100, 8, it.mode);
    Octal(h.data() + 108, 8, it.uid);
    Octal(h.data() + 116, 8, it.gid);
    Octal(h.data() + 124, 12, size);
    Octal(h.data() + 136, 12, it.mtime);
    h[156] = it.type;
    std::memcpy(h.data() + 157, it.linkname.data(), std::min<size_t>(it.linkname.size(), 100));
    if (it.gnu) {
      std::memcpy(h.data() + 257, "ustar  ", 8);
    } else {
      std::memcpy(h.data() + 257, "ustar", 6);
      std::memcpy(h.data() + 263, "00", 2);
    }
    Octal(h.data() + 329, 8, it.devmajor);
    Octal(h.data() + 337, 8, it.devminor);
    Checksum(&h);
    return h;
  }

  static void Checksum(std::string* h) {
    std::memset(h->data() + 148, ' ', 8);
    unsigned sum = 0;
    for (unsigned char c : *h) sum += c;
    Octal(h->data() + 148, 7, sum);
    (*h)[155] = ' ';
  }

  static std::string Padded(const std::string& data) {
    std::string out = data;
    out.append((512 - data.size() % 512) % 512, '\0');
    return out;
  }

  TarBuilder& Add(const TarItem& it) {
    if (!it.pax.empty()) {
      std::string body;
      for (const auto& [k, v] : it.pax) body += PaxRecord(k, v);
      TarItem x;
      x.name = "PaxHeaders/" + it.name.substr(0, 80);
      x.type = 'x';
      bytes_ += Header(x, body.size()) + Padded(body);
    }
    bytes_ += Header(it, it.data.size()) + Padded(it.data);
    return *this;
  }

  TarBuilder& File(const std::string& name, const std::string& data, uint32_t mode = 0644) {
    TarItem it;
    it.name = name;
    it.data = data;
    it.mode = mode;
    return Add(it);
  }
  TarBuilder& Dir(const std::string& name, uint32_t mode = 0755) {
    TarItem it;
    it.name = name;
    it.type = '5';
    it.mode = mode;
    return Add(it);
  }
  TarBuilder& Link(const std::string& name, char type, const std::string& target) {
    TarItem it;
    it.name = name;
    it.type = type;
    it.linkname = target;
    it.mode = 0777;
    return Add(it);
  }
  // GNU long name ('L') record followed by the entry.
  TarBuilder& GnuLong(char type, const std::string& value) {
    TarItem l;
    l.name = "././@LongLink";
    l.type = type;
    l.gnu = true;
    bytes_ += Header(l, value.size() + 1) + Padded(value + std::string(1, '\0'));
    return *this;
  }
  TarBuilder& Raw(const std::string& bytes) {
    bytes_ += bytes;
    return *this;
  }

  std::string Finish() const { return bytes_ + std::string(1024, '\0'); }
  std::string Unterminated() const { return bytes_; }

 private:
  std::string bytes_;
};

}  // namespace strato::rootfs::testing
