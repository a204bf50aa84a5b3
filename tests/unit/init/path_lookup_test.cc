// PATH lookup for process.args[0] (runc / Go exec.LookPath rules, shell exit codes).

#include "guest/init/path_lookup.h"

#include <catch2/catch.hpp>
#include <cerrno>
#include <map>

namespace strato::guest {
namespace {

struct FakeFs {
  std::map<std::string, FileProbe> files;
  std::vector<std::string> probed;
  std::function<FileProbe(const std::string&)> Probe() {
    return [this](const std::string& p) {
      probed.push_back(p);
      auto it = files.find(p);
      return it == files.end() ? FileProbe::kMissing : it->second;
    };
  }
};

TEST_CASE("PATH from the environment, else the default") {
  CHECK(PathFromEnv({"A=1", "PATH=/x:/y", "PATH=/z"}) == "/x:/y");
  CHECK(PathFromEnv({"A=1", "XPATH=/q"}) == kDefaultPath);
  CHECK(PathFromEnv({}) ==
        std::string("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
}

TEST_CASE("first executable in PATH order wins") {
  FakeFs fs;
  fs.files = {{"/b/sh", FileProbe::kExecutable}, {"/c/sh", FileProbe::kExecutable}};
  ExecTarget t = ResolveExecutable("sh", "/a:/b:/c", fs.Probe());
  CHECK(t.exit_code == 0);
  CHECK(t.path == "/b/sh");
  CHECK(fs.probed == std::vector<std::string>{"/a/sh", "/b/sh"});
}

TEST_CASE("a non-executable match is skipped, only non-executable matches give 126") {
  FakeFs fs;
  fs.files = {{"/a/tool", FileProbe::kNotExecutable}, {"/b/tool", FileProbe::kExecutable}};
  CHECK(ResolveExecutable("tool", "/a:/b", fs.Probe()).path == "/b/tool");
  ExecTarget t = ResolveExecutable("tool", "/a", fs.Probe());
  CHECK(t.exit_code == kExitNotExecutable);
  CHECK(t.error == "exec \"tool\": permission denied");
}

TEST_CASE("nothing found gives 127") {
  FakeFs fs;
  ExecTarget t = ResolveExecutable("nope", "/a:/b", fs.Probe());
  CHECK(t.exit_code == 127);
  CHECK(t.error == "exec \"nope\": executable file not found in $PATH");
  CHECK(ResolveExecutable("", "/a", fs.Probe()).exit_code == 127);
}

TEST_CASE("names with a slash are not searched, empty PATH entries mean the cwd") {
  FakeFs fs;
  CHECK(ResolveExecutable("/bin/x", "/a", fs.Probe()).path == "/bin/x");
  CHECK(ResolveExecutable("./x", "/a", fs.Probe()).path == "./x");
  CHECK(fs.probed.empty());
  fs.files = {{"./x", FileProbe::kExecutable}};
  CHECK(ResolveExecutable("x", "/a::/b", fs.Probe()).path == "./x");
}

TEST_CASE("execve errors map to 127 and 126") {
  CHECK(ExecFailure("/x", ENOENT).exit_code == 127);
  CHECK(ExecFailure("/x", ENOENT).error == "exec \"/x\": no such file or directory");
  CHECK(ExecFailure("/x", EACCES).exit_code == 126);
  CHECK(ExecFailure("/x", EACCES).error == "exec \"/x\": permission denied");
  CHECK(ExecFailure("/x", ENOEXEC).exit_code == 126);
}

TEST_CASE("the real probe checks type and execute bits") {
  CHECK(ProbeFile("/bin/sh") == FileProbe::kExecutable);
  CHECK(ProbeFile("/etc/passwd") == FileProbe::kNotExecutable);
  CHECK(ProbeFile("/") == FileProbe::kNotExecutable);
  CHECK(ProbeFile("/nonexistent/strato") == FileProbe::kMissing);
}

}  // namespace
}  // namespace strato::guest
