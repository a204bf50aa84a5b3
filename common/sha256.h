#pragma once
// SHA-256 over streamed data (OpenSSL EVP), for OCI digests ("sha256:<64 hex>").

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace strato {

class Sha256 {
 public:
  static constexpr size_t kDigestSize = 32;
  using Digest = std::array<uint8_t, kDigestSize>;

  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::span<const uint8_t> data);
  void Update(std::string_view data);
  Digest Final();
  // Lower-case hex of Final().
  std::string FinalHex();

  static std::string HexOf(std::string_view data);
  static std::string ToHex(const Digest& digest);

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// Hashes a whole file, streaming; returns lower-case hex. Throws strato::Error on I/O failure.
std::string Sha256File(const std::string& path, uint64_t* size_out = nullptr);

}  // namespace strato
