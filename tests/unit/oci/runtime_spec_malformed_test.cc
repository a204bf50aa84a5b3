// Malformed config.json documents: each case mutates a valid containerd-generated config and
// asserts the exact error, which must name the JSON path of the problem.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "oci/json_reader.h"
#include "oci/runtime_spec.h"

using nlohmann::json;
using strato::oci::ParseRuntimeSpec;
using strato::oci::SpecError;

namespace {

json BaseSpec() {
  return json::parse(
      strato::ReadFile(std::string(STRATO_FIXTURES_DIR) + "/oci/runtime/ctr-run.json"));
}

template <typename Mutate>
void CheckMalformed(const std::string& expected, Mutate mutate) {
  json doc = BaseSpec();
  mutate(doc);
  CHECK_THROWS_MATCHES(ParseRuntimeSpec(doc.dump()), SpecError, Catch::Message(expected));
}

}  // namespace

#define MALFORMED_SPEC(name, expected, ...)                  \
  TEST_CASE("malformed config.json: " name, "[malformed]") { \
    CheckMalformed(expected, [](json& j) { __VA_ARGS__; });  \
  }

MALFORMED_SPEC("missing ociVersion", "ociVersion: required field missing", j.erase("ociVersion"))
MALFORMED_SPEC("ociVersion wrong type", "ociVersion: expected a string, got number 1",
               j["ociVersion"] = 1)
MALFORMED_SPEC("ociVersion 2.0",
               "ociVersion: unsupported version \"2.0.0\" (strato reads 1.0 to 1.2)",
               j["ociVersion"] = "2.0.0")
MALFORMED_SPEC("ociVersion 1.3",
               "ociVersion: unsupported version \"1.3.0\" (strato reads 1.0 to 1.2)",
               j["ociVersion"] = "1.3.0")
MALFORMED_SPEC("ociVersion garbage", "ociVersion: not a version: \"latest\"",
               j["ociVersion"] = "latest")
MALFORMED_SPEC("root.path missing", "root.path: required field missing", j["root"].erase("path"))
MALFORMED_SPEC("root.readonly not bool", "root.readonly: expected a boolean, got string",
               j["root"]["readonly"] = "yes")
MALFORMED_SPEC("process not an object", "process: expected an object, got array",
               j["process"] = json::array())
MALFORMED_SPEC("process.args empty", "process.args: must not be empty",
               j["process"]["args"] = json::array())
MALFORMED_SPEC("process.args missing", "process.args: required field missing",
               j["process"].erase("args"))
MALFORMED_SPEC("process.args element type", "process.args[1]: expected a string, got number 5",
               j["process"]["args"][1] = 5)
MALFORMED_SPEC("process.cwd relative", "process.cwd: must be an absolute path, got \"tmp\"",
               j["process"]["cwd"] = "tmp")
MALFORMED_SPEC("process.cwd missing", "process.cwd: required field missing",
               j["process"].erase("cwd"))
MALFORMED_SPEC("process.user missing", "process.user: required field missing",
               j["process"].erase("user"))
MALFORMED_SPEC("process.user.uid negative",
               "process.user.uid: expected an unsigned 32-bit integer, got number -1",
               j["process"]["user"]["uid"] = -1)
MALFORMED_SPEC("process.user.gid too large",
               "process.user.gid: expected an unsigned 32-bit integer, got number 4294967296",
               j["process"]["user"]["gid"] = 4294967296ULL)
MALFORMED_SPEC("process.user.uid float",
               "process.user.uid: expected an unsigned 32-bit integer, got number 1.5",
               j["process"]["user"]["uid"] = 1.5)
MALFORMED_SPEC("process.user.umask too large", "process.user.umask: umask 4095 is larger than 0777",
               j["process"]["user"]["umask"] = 4095)
MALFORMED_SPEC("process.user.additionalGids element",
               "process.user.additionalGids[3]: expected an unsigned 32-bit integer, got string",
               j["process"]["user"]["additionalGids"][3] = "wheel")
MALFORMED_SPEC("process.env without '='", "process.env[1]: \"DEBUG\" is not of the form KEY=VALUE",
               j["process"]["env"].push_back("DEBUG"))
MALFORMED_SPEC("process.env not array", "process.env: expected an array, got object",
               j["process"]["env"] = json::object())
MALFORMED_SPEC(
    "rlimit unknown name", "process.rlimits[2].type: unknown rlimit \"RLIMIT_FOO\"",
    j["process"]["rlimits"].push_back({{"type", "RLIMIT_CORE"}, {"hard", 1}, {"soft", 1}});
    j["process"]["rlimits"].push_back({{"type", "RLIMIT_FOO"}, {"hard", 1}, {"soft", 1}}))
MALFORMED_SPEC(
    "rlimit duplicate", "process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\"",
    j["process"]["rlimits"].push_back({{"type", "RLIMIT_NOFILE"}, {"hard", 1}, {"soft", 1}}))
MALFORMED_SPEC("rlimit soft above hard",
               "process.rlimits[0]: soft limit 2048 exceeds hard limit 1024",
               j["process"]["rlimits"][0]["soft"] = 2048)
MALFORMED_SPEC("rlimit hard missing", "process.rlimits[0].hard: required field missing",
               j["process"]["rlimits"][0].erase("hard"))
MALFORMED_SPEC("capability unknown",
               "process.capabilities.bounding[14]: unknown capability \"CAP_FLY\"",
               j["process"]["capabilities"]["bounding"].push_back("CAP_FLY"))
MALFORMED_SPEC("capability lower case",
               "process.capabilities.effective[0]: unknown capability \"chown\"",
               j["process"]["capabilities"]["effective"][0] = "chown")
MALFORMED_SPEC("oomScoreAdj out of range",
               "process.oomScoreAdj: must be between -1000 and 1000, got 1001",
               j["process"]["oomScoreAdj"] = 1001)
MALFORMED_SPEC("noNewPrivileges not bool",
               "process.noNewPrivileges: expected a boolean, got number 1",
               j["process"]["noNewPrivileges"] = 1)
MALFORMED_SPEC("consoleSize missing width", "process.consoleSize.width: required field missing",
               j["process"]["consoleSize"] = {{"height", 10}})
MALFORMED_SPEC("mount destination relative",
               "mounts[3].destination: must be an absolute path, got \"dev/shm\"",
               j["mounts"][3]["destination"] = "dev/shm")
MALFORMED_SPEC("mount destination missing", "mounts[0].destination: required field missing",
               j["mounts"][0].erase("destination"))
MALFORMED_SPEC("mount options not strings", "mounts[1].options[0]: expected a string, got boolean",
               j["mounts"][1]["options"][0] = true)
MALFORMED_SPEC("mounts not array", "mounts: expected an array, got string", j["mounts"] = "proc")
MALFORMED_SPEC("namespace unknown", "linux.namespaces[5].type: unknown namespace type \"net\"",
               j["linux"]["namespaces"].push_back({{"type", "net"}}))
MALFORMED_SPEC("namespace duplicate", "linux.namespaces[5].type: duplicate namespace \"pid\"",
               j["linux"]["namespaces"].push_back({{"type", "pid"}}))
MALFORMED_SPEC("namespace relative path",
               "linux.namespaces[4].path: must be an absolute path, got \"netns\"",
               j["linux"]["namespaces"][4]["path"] = "netns")
MALFORMED_SPEC("uidMappings missing hostID", "linux.uidMappings[0].hostID: required field missing",
               j["linux"]["uidMappings"] = json::array({{{"containerID", 0}, {"size", 1}}}))
MALFORMED_SPEC(
    "uidMappings zero size", "linux.uidMappings[0].size: must be at least 1",
    j["linux"]["uidMappings"] = json::array({{{"containerID", 0}, {"hostID", 1000}, {"size", 0}}}))
MALFORMED_SPEC("memory limit not integer",
               "linux.resources.memory.limit: expected an integer, got string",
               j["linux"]["resources"]["memory"] = {{"limit", "1G"}})
MALFORMED_SPEC("cpu shares negative",
               "linux.resources.cpu.shares: expected an unsigned integer, got number -2",
               j["linux"]["resources"]["cpu"] = {{"shares", -2}})
MALFORMED_SPEC("pids limit missing", "linux.resources.pids.limit: required field missing",
               j["linux"]["resources"]["pids"] = json::object())
MALFORMED_SPEC("device cgroup access",
               "linux.resources.devices[0].access: access must be made of r, w, m; got \"rwx\"",
               j["linux"]["resources"]["devices"][0]["access"] = "rwx")
MALFORMED_SPEC("seccomp bad default action",
               "linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_PERMIT\"",
               j["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_PERMIT"}})
MALFORMED_SPEC("seccomp bad syscall action",
               "linux.seccomp.syscalls[0].action: unknown seccomp action \"SCMP_ACT_FOO\"",
               j["linux"]["seccomp"] = {
                   {"defaultAction", "SCMP_ACT_ALLOW"},
                   {"syscalls", {{{"names", {"mkdir"}}, {"action", "SCMP_ACT_FOO"}}}}})
MALFORMED_SPEC("seccomp empty names", "linux.seccomp.syscalls[0].names: must not be empty",
               j["linux"]["seccomp"] = {
                   {"defaultAction", "SCMP_ACT_ALLOW"},
                   {"syscalls", {{{"names", json::array()}, {"action", "SCMP_ACT_ERRNO"}}}}})
MALFORMED_SPEC("seccomp bad operator",
               "linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"SCMP_CMP_ALMOST\"",
               j["linux"]["seccomp"] = {
                   {"defaultAction", "SCMP_ACT_ALLOW"},
                   {"syscalls",
                    {{{"names", {"personality"}},
                      {"action", "SCMP_ACT_ERRNO"},
                      {"args", {{{"index", 0}, {"value", 1}, {"op", "SCMP_CMP_ALMOST"}}}}}}}})
MALFORMED_SPEC("seccomp argument index",
               "linux.seccomp.syscalls[0].args[0].index: argument index must be 0 to 5, got 6",
               j["linux"]["seccomp"] = {
                   {"defaultAction", "SCMP_ACT_ALLOW"},
                   {"syscalls",
                    {{{"names", {"personality"}},
                      {"action", "SCMP_ACT_ERRNO"},
                      {"args", {{{"index", 6}, {"value", 1}, {"op", "SCMP_CMP_EQ"}}}}}}}})
MALFORMED_SPEC("seccomp bad architecture",
               "linux.seccomp.architectures[0]: unknown seccomp architecture \"x86_64\"",
               j["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                                        {"architectures", {"x86_64"}}})
MALFORMED_SPEC("maskedPaths relative",
               "linux.maskedPaths[2]: must be an absolute path, got \"proc/kcore\"",
               j["linux"]["maskedPaths"][2] = "proc/kcore")
MALFORMED_SPEC("device bad type",
               "linux.devices[0].type: device type must be \"c\", \"b\", \"u\" or \"p\", got \"x\"",
               j["linux"]["devices"] = json::array({{{"type", "x"}, {"path", "/dev/x"}}}))
MALFORMED_SPEC("sysctl value not string",
               "linux.sysctl.net.core.somaxconn: expected a string, got number 256",
               j["linux"]["sysctl"] = {{"net.core.somaxconn", 256}})
MALFORMED_SPEC("rootfsPropagation unknown",
               "linux.rootfsPropagation: unknown propagation \"everywhere\"",
               j["linux"]["rootfsPropagation"] = "everywhere")
MALFORMED_SPEC("hook path relative",
               "hooks.prestart[0].path: must be an absolute path, got \"hook\"",
               j["hooks"] = {{"prestart", {{{"path", "hook"}}}}})
MALFORMED_SPEC("hook timeout zero", "hooks.poststop[0].timeout: must be greater than zero",
               j["hooks"] = {{"poststop", {{{"path", "/bin/true"}, {"timeout", 0}}}}})
MALFORMED_SPEC("annotations value not string",
               "annotations.com.example: expected a string, got object",
               j["annotations"] = {{"com.example", json::object()}})
MALFORMED_SPEC("hostname not string", "hostname: expected a string, got array",
               j["hostname"] = json::array())
MALFORMED_SPEC("string with NUL", "process.args[0]: string contains a NUL byte",
               j["process"]["args"][0] = std::string("/bin/e\0cho", 10))

TEST_CASE("malformed config.json: not JSON at all", "[malformed]") {
  CHECK_THROWS_AS(ParseRuntimeSpec(""), SpecError);
  CHECK_THROWS_WITH(
      ParseRuntimeSpec("{\"ociVersion\": \"1.0.2\","),
      Catch::StartsWith("config.json: invalid JSON: parse error at line 1, column 24"));
  CHECK_THROWS_WITH(ParseRuntimeSpec(""), Catch::StartsWith("config.json: invalid JSON:"));
  // nlohmann reports this as out_of_range, not parse_error (found by fuzz_image_config).
  CHECK_THROWS_WITH(ParseRuntimeSpec(R"({"ociVersion": 41e4649})"),
                    "config.json: invalid JSON: number overflow parsing '41e4649'");
  CHECK_THROWS_WITH(ParseRuntimeSpec("[]"), "config.json: expected a JSON object at the top level");
}
