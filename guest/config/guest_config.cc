#include "guest/config/guest_config.h"

#include <set>

#include "guest/config/disk_serial.h"
#include "oci/json_reader.h"

namespace strato::guest {

namespace {

using oci::JsonNode;
using oci::SpecError;

// HOST_NAME_MAX from <limits.h> (sethostname(2) refuses longer names).
constexpr size_t kMaxHostnameBytes = 64;
constexpr uint32_t kMaxFileMode = 07777;

std::string Quote(const std::string& s) {
  return "\"" + s + "\"";
}

// An absolute path without "." or ".." components and without NUL bytes.
bool IsCleanAbsolutePath(const std::string& path) {
  if (path.size() < 2 || path[0] != '/' || path.find('\0') != std::string::npos) return false;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

// Checks everything in the strato section; `fail(path, problem)` throws.
template <typename Fail>
void Validate(const GuestConfig& c, Fail fail) {
  if (c.layers.empty()) fail("strato.layers", "must list at least one layer");
  if (c.layers.size() > kMaxLayers) {
    fail("strato.layers", std::to_string(c.layers.size()) + " layers, at most " +
                              std::to_string(kMaxLayers) + " are supported");
  }
  std::set<std::string> serials;
  for (size_t i = 0; i < c.layers.size(); ++i) {
    const std::string& s = c.layers[i].serial;
    std::string where = "strato.layers[" + std::to_string(i) + "].serial";
    if (!IsValidDiskSerial(s)) fail(where, Quote(s) + " is not a valid disk serial");
    if (!serials.insert(s).second) fail(where, "duplicate disk serial " + Quote(s));
  }
  if (c.upper.tmpfs_size_bytes == 0) fail("strato.upper.tmpfsSizeBytes", "must not be 0");
  if (c.upper.scratch_disk_serial) {
    const std::string& s = *c.upper.scratch_disk_serial;
    if (!IsValidDiskSerial(s)) {
      fail("strato.upper.scratchDiskSerial", Quote(s) + " is not a valid disk serial");
    }
    if (serials.count(s)) fail("strato.upper.scratchDiskSerial", Quote(s) + " is also a layer");
  }
  if (c.hostname.size() > kMaxHostnameBytes) {
    fail("strato.hostname", "longer than " + std::to_string(kMaxHostnameBytes) + " bytes");
  }
  if (c.files.size() > kMaxCopiedFiles) {
    fail("strato.files", "at most " + std::to_string(kMaxCopiedFiles) + " files can be copied in");
  }
  std::set<std::string> paths;
  for (size_t i = 0; i < c.files.size(); ++i) {
    const CopiedFile& f = c.files[i];
    std::string where = "strato.files[" + std::to_string(i) + "]";
    if (!IsCleanAbsolutePath(f.path)) {
      fail(where + ".path", Quote(f.path) + " is not a clean absolute path");
    }
    if (!paths.insert(f.path).second) fail(where + ".path", "duplicate path " + Quote(f.path));
    if (f.contents.size() > kMaxCopiedFileBytes) {
      fail(where + ".contents", std::to_string(f.contents.size()) + " bytes, at most " +
                                    std::to_string(kMaxCopiedFileBytes) + " allowed");
    }
    if (f.mode > kMaxFileMode) fail(where + ".mode", "larger than 07777");
  }
  if (!c.spec.process) fail("spec.process", "required field missing (the container's process)");
}

void FailAt(const std::string& path, const std::string& problem) {
  throw SpecError(path, problem);
}

}  // namespace

std::string SerializeGuestConfig(const GuestConfig& config) {
  Validate(config, FailAt);
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerDisk& l : config.layers) {
    layers.push_back({{"serial", l.serial}, {"digest", l.digest}});
  }
  nlohmann::json upper = {{"tmpfsSizeBytes", config.upper.tmpfs_size_bytes}};
  if (config.upper.scratch_disk_serial) {
    upper["scratchDiskSerial"] = *config.upper.scratch_disk_serial;
  }
  nlohmann::json files = nlohmann::json::array();
  for (const CopiedFile& f : config.files) {
    files.push_back({{"path", f.path}, {"contents", f.contents}, {"mode", f.mode}});
  }
  nlohmann::json doc = {
      {"strato",
       {{"version", kGuestConfigVersion},
        {"layers", std::move(layers)},
        {"upper", std::move(upper)},
        {"hostname", config.hostname},
        {"files", std::move(files)}}},
      {"spec", oci::ParseJsonText(config.spec_json, "spec")},
  };
  try {
    return doc.dump();
  } catch (const nlohmann::json::type_error& e) {
    // Only invalid UTF-8 can fail here: JSON strings are Unicode text.
    throw Error(std::string("guest config: a copied file or the spec is not UTF-8 text (") +
                e.what() + ")");
  }
}

GuestConfig ParseGuestConfig(const std::string& json_text) {
  if (json_text.size() > kMaxConfigBytes) {
    throw SpecError("", "guest config is " + std::to_string(json_text.size()) +
                            " bytes, larger than the " + std::to_string(kMaxConfigBytes) +
                            " byte limit");
  }
  nlohmann::json doc = oci::ParseJsonText(json_text, "guest config");
  JsonNode root(doc, "");
  root.ExpectObject();
  JsonNode s = root.Require("strato");
  s.ExpectObject();
  JsonNode version = s.Require("version");
  if (version.Uint32() != kGuestConfigVersion) {
    version.Fail("unsupported guest config version " + std::to_string(version.Uint32()) +
                 " (this strato-init reads version " + std::to_string(kGuestConfigVersion) + ")");
  }
  GuestConfig c;
  c.layers = s.Require("layers").Map<LayerDisk>([](const JsonNode& e) {
    return LayerDisk{e.Require("serial").String(), e.OptString("digest").value_or("")};
  });
  if (auto upper = s.Get("upper")) {
    upper->ExpectObject();
    c.upper.tmpfs_size_bytes = upper->OptUint64("tmpfsSizeBytes").value_or(kDefaultUpperTmpfsBytes);
    c.upper.scratch_disk_serial = upper->OptString("scratchDiskSerial");
  }
  c.hostname = s.OptString("hostname").value_or("");
  if (auto files = s.Get("files")) {
    c.files = files->Map<CopiedFile>([](const JsonNode& e) {
      return CopiedFile{e.Require("path").String(), e.Require("contents").String(),
                        e.OptUint32("mode").value_or(0644)};
    });
  }
  JsonNode spec = root.Require("spec");
  spec.ExpectObject();
  c.spec_json = spec.value().dump();
  try {
    c.spec = oci::ParseRuntimeSpec(c.spec_json);
  } catch (const SpecError& e) {
    // Re-anchor the spec's own paths ("process.args") under "spec".
    std::string problem = e.what();
    if (!e.path().empty()) problem = problem.substr(e.path().size() + 2);
    throw SpecError(e.path().empty() ? "spec" : "spec." + e.path(), problem);
  }
  Validate(c, FailAt);
  return c;
}

GuestConfig MakeGuestConfig(const std::string& runtime_spec_json) {
  GuestConfig c;
  c.spec = oci::ParseRuntimeSpec(runtime_spec_json);
  c.spec_json = runtime_spec_json;
  return c;
}

}  // namespace strato::guest
