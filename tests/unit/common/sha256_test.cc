#include "common/sha256.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

#include "common/file_util.h"

TEST_CASE("Sha256 matches the FIPS 180-2 test vectors") {
  CHECK(strato::Sha256::HexOf("") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(strato::Sha256::HexOf("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  strato::Sha256 h;
  h.Update("ab");
  h.Update("c");
  CHECK(h.FinalHex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("Sha256File streams a file and reports its size") {
  std::string path = "/tmp/strato-sha256-test-" + std::to_string(::getpid());
  strato::WriteFileAtomic(path, std::string(3 << 20, 'a'));
  uint64_t size = 0;
  std::string hex = strato::Sha256File(path, &size);
  CHECK(size == (3u << 20));
  CHECK(hex == strato::Sha256::HexOf(std::string(3 << 20, 'a')));
  std::filesystem::remove(path);
}
