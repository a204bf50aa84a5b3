#pragma once
// Helpers for the `strato run` tests: a temporary directory, the strato binary run with stdin
// bytes and its stdout/stderr captured apart, the example image, and small hand-made image
// layouts for the error cases.

#include <map>
#include <string>
#include <vector>

namespace strato::run::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code = -1;  // exit code, or 128 + signal
  std::string out;
  std::string err;
};

// Runs argv[0] with `input` on its stdin (then EOF) and `env` added to the environment.
CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& input = "",
                         const std::map<std::string, std::string>& env = {});

// `strato run` with a private layer cache: argv = {"run", "--layer-cache", cache, args...}.
CommandResult RunStrato(const std::string& layer_cache, const std::vector<std::string>& run_args,
                        const std::string& input = "",
                        const std::map<std::string, std::string>& env = {});

// Builds the example image (scripts/make-example-image.sh) into `dir`.
void MakeExampleImage(const std::string& dir);

// Writes an OCI image layout at `dir` with one uncompressed tar layer (`layer_tar`) and the
// config document `config_json` (taken as is, so it may be malformed). The config's diff_ids are
// not patched: the caller writes them. Returns the layer's "sha256:<hex>".
std::string WriteSingleLayerImage(const std::string& dir, const std::string& config_json,
                                  const std::string& layer_tar);

// The reason the guest cannot boot here (/dev/kvm, kernel), or "".
std::string GuestSkipReason();

}  // namespace strato::run::test
