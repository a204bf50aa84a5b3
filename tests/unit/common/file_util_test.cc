#include "common/file_util.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "common/error.h"

namespace fs = std::filesystem;

namespace {
struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/strato-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};
size_t CountEntries(const fs::path& dir) {
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}
}  // namespace

TEST_CASE("WriteFileAtomic writes the bytes and leaves no temporary file") {
  TempDir dir;
  std::string target = (dir.path / "out.bin").string();
  strato::WriteFileAtomic(target, std::string("a\0b", 3), 0600);
  CHECK(strato::ReadFile(target) == std::string("a\0b", 3));
  struct stat st {};
  REQUIRE(::stat(target.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  strato::WriteFileAtomic(target, "replaced");
  CHECK(strato::ReadFile(target) == "replaced");
  CHECK(CountEntries(dir.path) == 1);
}

TEST_CASE("WriteFileAtomic into a missing directory names the temporary path") {
  TempDir dir;
  std::string target = (dir.path / "nope" / "out").string();
  CHECK_THROWS_WITH(strato::WriteFileAtomic(target, "x"),
                    Catch::StartsWith("create " + target + ".tmp.") &&
                        Catch::EndsWith("No such file or directory"));
}

TEST_CASE("ReadFile errors name the path and the reason") {
  TempDir dir;
  std::string missing = (dir.path / "missing").string();
  CHECK_THROWS_WITH(strato::ReadFile(missing), "open " + missing + ": No such file or directory");
  CHECK_THROWS_WITH(strato::ReadFile(dir.path.string()),
                    "read " + dir.path.string() + ": is a directory");
  std::string big = (dir.path / "big").string();
  strato::WriteFileAtomic(big, std::string(100, 'x'));
  CHECK_THROWS_WITH(strato::ReadFile(big, 10), "read " + big + ": file larger than 10 bytes");
}
