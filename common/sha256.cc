#include "common/sha256.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <vector>

#include "common/error.h"
#include "common/file_util.h"

namespace strato {

struct Sha256::Ctx {
  EVP_MD_CTX* md = nullptr;
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  if (ctx_->md == nullptr || EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1) {
    throw Error("sha256: cannot initialise OpenSSL digest context");
  }
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(ctx_->md);
}

void Sha256::Update(std::span<const uint8_t> data) {
  if (EVP_DigestUpdate(ctx_->md, data.data(), data.size()) != 1) {
    throw Error("sha256: digest update failed");
  }
}

void Sha256::Update(std::string_view data) {
  Update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
}

Sha256::Digest Sha256::Final() {
  Digest out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_->md, out.data(), &len) != 1 || len != kDigestSize) {
    throw Error("sha256: digest finalisation failed");
  }
  return out;
}

std::string Sha256::FinalHex() {
  return ToHex(Final());
}

std::string Sha256::ToHex(const Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(kDigestSize * 2);
  for (uint8_t b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

std::string Sha256::HexOf(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.FinalHex();
}

std::string Sha256File(const std::string& path, uint64_t* size_out) {
  UniqueFd fd = OpenOrThrow(path, O_RDONLY | O_CLOEXEC);
  Sha256 h;
  std::vector<uint8_t> buf(1 << 20);
  uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("read " + path);
    }
    if (n == 0) break;
    h.Update(std::span<const uint8_t>(buf.data(), static_cast<size_t>(n)));
    total += static_cast<uint64_t>(n);
  }
  if (size_out != nullptr) *size_out = total;
  return h.FinalHex();
}

}  // namespace strato
