// `strato inspect`: validate an OCI image (layout directory or archive) or a runtime bundle and
// print what strato would use from it, as JSON. A quick way to see why an input is refused.

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/command.h"
#include "cli/flag_parser.h"
#include "common/error.h"
#include "oci/image.h"
#include "oci/runtime_spec.h"

namespace strato::cli {

namespace {

nlohmann::json ImageSummary(const oci::Image& image) {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : image.layers) {
    layers.push_back({{"digest", l.digest},
                      {"diffID", l.diff_id},
                      {"format", oci::LayerFormatName(l.format)},
                      {"size", l.blob.size}});
  }
  const oci::ImageConfig& c = image.config;
  return {{"source", image.source},
          {"manifest", image.manifest_digest},
          {"config", image.config_digest},
          {"platform", c.os + "/" + c.architecture},
          {"entrypoint", c.entrypoint},
          {"cmd", c.cmd},
          {"env", c.env},
          {"workingDir", c.working_dir},
          {"user", c.user},
          {"layers", layers}};
}

nlohmann::json BundleSummary(const std::string& bundle, const oci::RuntimeSpec& spec) {
  nlohmann::json out = {{"bundle", bundle}, {"ociVersion", spec.oci_version}};
  if (spec.root) out["root"] = {{"path", spec.root->path}, {"readonly", spec.root->readonly}};
  if (spec.process) {
    out["process"] = {{"args", spec.process->args},
                      {"cwd", spec.process->cwd},
                      {"uid", spec.process->user.uid},
                      {"gid", spec.process->user.gid},
                      {"terminal", spec.process->terminal}};
  }
  out["mounts"] = spec.mounts.size();
  out["hostname"] = spec.hostname;
  return out;
}

}  // namespace

int RunInspect(const std::vector<std::string>& args) {
  FlagParser parser(
      {{"bundle", false, false, "", "PATH is a runtime bundle (config.json)"},
       {"ref", true, false, "NAME", "image name/tag to pick from a multi-image index"},
       {"no-verify", false, false, "", "skip hashing layer blobs"},
       {"help", false, false, "", "show this help"}});
  ParsedFlags flags = parser.Parse(args);
  if (flags.Has("help")) {
    std::printf(
        "usage: strato inspect [--ref NAME] [--no-verify] IMAGE\n"
        "       strato inspect --bundle DIR\n\n"
        "Validate an OCI image (layout directory, OCI archive or docker-save archive) or a\n"
        "runtime bundle, and print what strato uses from it as JSON.\n\nflags:\n%s",
        parser.HelpText().c_str());
    return 0;
  }
  if (flags.positionals().size() != 1) {
    throw UsageError("expects exactly one IMAGE or bundle path (see --help)");
  }
  const std::string& path = flags.positionals()[0];
  nlohmann::json out;
  if (flags.Has("bundle")) {
    out = BundleSummary(path, oci::LoadRuntimeSpec(path));
  } else {
    oci::ImageOpenOptions options;
    options.ref = flags.Get("ref").value_or("");
    options.verify_layer_blobs = !flags.Has("no-verify");
    out = ImageSummary(oci::OpenImage(path, options));
  }
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

}  // namespace strato::cli
