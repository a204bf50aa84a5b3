#include "oci/image.h"

#include <spdlog/spdlog.h>

#include <cstring>

#include "common/error.h"
#include "common/sha256.h"
#include "oci/digest.h"
#include "oci/json_reader.h"

namespace strato::oci {

namespace {

// Upper bounds for the JSON documents we read whole (real ones are a few KiB).
constexpr uint64_t kMaxIndexSize = 4 << 20;
constexpr uint64_t kMaxManifestSize = 4 << 20;
constexpr uint64_t kMaxConfigSize = 16 << 20;
// Nested indexes deeper than this are refused (a cycle of indexes would otherwise never end).
constexpr int kMaxIndexDepth = 4;
constexpr int kSchemaVersion = 2;  // image-spec manifest.md / image-index.md "schemaVersion"
constexpr const char* kRefNameAnnotation = "org.opencontainers.image.ref.name";
constexpr const char* kContainerdNameAnnotation = "io.containerd.image.name";

struct Descriptor {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::string path;  // JSON path, for errors
  std::optional<JsonNode> platform;
  std::map<std::string, std::string> annotations;
};

Descriptor ParseDescriptor(const JsonNode& n) {
  Descriptor d;
  d.path = n.path();
  d.media_type = n.Require("mediaType").String();
  JsonNode digest = n.Require("digest");
  d.digest = ParseDigest(digest.String(), digest.path());
  JsonNode size = n.Require("size");
  d.size = size.Int64();
  if (d.size < 0) size.Fail("must not be negative");
  d.platform = n.Get("platform");
  d.annotations = n.OptStringMap("annotations");
  return d;
}

// Finds a descriptor's blob and checks its size; errors name the document and descriptor.
BlobRef LocateBlob(const BlobStore& store, const Descriptor& d, const std::string& doc) {
  auto ref = store.Find(d.digest.BlobPath());
  if (!ref) {
    throw Error(doc + ": " + d.path + ": blob " + d.digest.str() + " missing from " +
                store.Describe());
  }
  if (ref->size != static_cast<uint64_t>(d.size)) {
    throw Error(doc + ": " + d.path + ": size mismatch for " + d.digest.str() +
                ": descriptor says " + std::to_string(d.size) + " bytes, blob has " +
                std::to_string(ref->size));
  }
  return *ref;
}

std::string ReadVerified(const BlobStore& store, const Descriptor& d, uint64_t max,
                         const std::string& doc) {
  BlobRef ref = LocateBlob(store, d, doc);
  std::string data = ReadBlob(ref, max, doc + ": " + d.path + " (" + d.digest.str() + ")");
  std::string actual = Sha256::HexOf(data);
  if (actual != d.digest.hex) {
    throw Error(doc + ": " + d.path + ": digest mismatch: expected " + d.digest.str() +
                ", content is sha256:" + actual);
  }
  return data;
}

void CheckSchemaVersion(const JsonNode& doc) {
  JsonNode v = doc.Require("schemaVersion");
  if (v.Int64() != kSchemaVersion) {
    v.Fail("unsupported schemaVersion " + v.value().dump() + " (expected 2)");
  }
}

bool PlatformMatches(const Descriptor& d, const ImageOpenOptions& opt) {
  if (!d.platform) return true;  // no platform: a single-platform image, checked via its config
  return d.platform->OptString("os").value_or("") == opt.os &&
         d.platform->OptString("architecture").value_or("") == opt.architecture;
}

bool RefMatches(const Descriptor& d, const std::string& ref) {
  if (ref.empty()) return true;
  auto it = d.annotations.find(kRefNameAnnotation);
  if (it != d.annotations.end() && it->second == ref) return true;
  it = d.annotations.find(kContainerdNameAnnotation);
  return it != d.annotations.end() && (it->second == ref || it->second.ends_with(":" + ref));
}

// Walks an index (and nested indexes) for the manifests that fit the platform and ref.
void CollectManifests(const BlobStore& store, const JsonNode& index, const std::string& doc,
                      const ImageOpenOptions& opt, int depth, bool ref_matched,
                      std::vector<Descriptor>* out) {
  CheckSchemaVersion(index);
  JsonNode manifests = index.Require("manifests");
  size_t count = manifests.ExpectArray();
  for (size_t i = 0; i < count; ++i) {
    Descriptor d = ParseDescriptor(manifests.Element(i));
    bool matched = ref_matched || RefMatches(d, opt.ref);
    if (IsIndexMediaType(d.media_type)) {
      if (depth >= kMaxIndexDepth) {
        throw Error(doc + ": " + d.path + ": indexes nested more than " +
                    std::to_string(kMaxIndexDepth) + " deep");
      }
      std::string text = ReadVerified(store, d, kMaxIndexSize, doc);
      std::string nested_doc = "index " + d.digest.str();
      nlohmann::json nested = ParseJsonText(text, nested_doc);
      try {
        CollectManifests(store, JsonNode(nested, ""), nested_doc, opt, depth + 1, matched, out);
      } catch (const SpecError& e) {
        throw Error(nested_doc + ": " + e.what());
      }
    } else if (IsManifestMediaType(d.media_type)) {
      if (matched && PlatformMatches(d, opt)) out->push_back(d);
    } else {
      spdlog::debug("{}: {}: skipping descriptor of media type {}", doc, d.path, d.media_type);
    }
  }
}

ImageLayer MakeLayer(const BlobStore& store, const Descriptor& d, const std::string& diff_id,
                     const std::string& doc, bool verify) {
  auto format = LayerFormatOf(d.media_type);
  if (!format) {
    throw Error(doc + ": " + d.path + ".mediaType: unsupported layer media type \"" + d.media_type +
                "\"");
  }
  ImageLayer layer;
  layer.digest = d.digest.str();
  layer.diff_id = diff_id;
  layer.media_type = d.media_type;
  layer.format = *format;
  layer.blob = LocateBlob(store, d, doc);
  if ((*format == LayerFormat::kTar || *format == LayerFormat::kErofs) &&
      layer.digest != layer.diff_id) {
    throw Error(doc + ": " + d.path + ": uncompressed layer digest " + layer.digest +
                " differs from its diffID " + layer.diff_id);
  }
  if (verify)
    VerifyBlobSha256(layer.blob, d.digest.hex, doc + ": " + d.path + " (" + layer.digest + ")");
  return layer;
}

void CheckConfigPlatform(const ImageConfig& c, const ImageOpenOptions& opt,
                         const std::string& what) {
  if (c.os != opt.os || c.architecture != opt.architecture) {
    throw Error(what + ": image is for " + c.os + "/" + c.architecture + ", strato needs " +
                opt.os + "/" + opt.architecture);
  }
}

Image OpenOciLayout(const BlobStore& store, const std::string& source,
                    const ImageOpenOptions& opt) {
  auto layout_ref = store.Find("oci-layout");
  if (!layout_ref) throw Error(store.Describe() + ": oci-layout file missing");
  {
    nlohmann::json layout = ParseJsonText(ReadBlob(*layout_ref, 4096, "oci-layout"), "oci-layout");
    try {
      JsonNode lv = JsonNode(layout, "").Require("imageLayoutVersion");
      if (!lv.String().starts_with("1.")) {
        lv.Fail("unsupported image layout version \"" + lv.String() + "\"");
      }
    } catch (const SpecError& e) {
      throw Error("oci-layout: " + std::string(e.what()));
    }
  }
  auto index_ref = store.Find("index.json");
  nlohmann::json index =
      ParseJsonText(ReadBlob(*index_ref, kMaxIndexSize, "index.json"), "index.json");

  Image image;
  image.source = source;
  std::vector<Descriptor> candidates;
  try {
    CollectManifests(store, JsonNode(index, ""), "index.json", opt, 0, false, &candidates);
  } catch (const SpecError& e) {
    throw Error("index.json: " + std::string(e.what()));
  }
  if (candidates.empty()) {
    throw Error(store.Describe() + ": no " + opt.os + "/" + opt.architecture + " image" +
                (opt.ref.empty() ? "" : " named \"" + opt.ref + "\"") + " in index.json");
  }
  if (candidates.size() > 1) {
    spdlog::info("{}: {} matching images; using the first ({})", store.Describe(),
                 candidates.size(), candidates[0].digest.str());
  }
  const Descriptor& manifest_desc = candidates[0];
  image.manifest_digest = manifest_desc.digest.str();
  const std::string mdoc = "manifest " + manifest_desc.digest.str();
  nlohmann::json manifest =
      ParseJsonText(ReadVerified(store, manifest_desc, kMaxManifestSize, "index.json"), mdoc);
  try {
    JsonNode m(manifest, "");
    CheckSchemaVersion(m);
    if (auto mt = m.OptString("mediaType"); mt && !IsManifestMediaType(*mt)) {
      m.Require("mediaType").Fail("not an image manifest: \"" + *mt + "\"");
    }
    Descriptor config_desc = ParseDescriptor(m.Require("config"));
    if (!IsConfigMediaType(config_desc.media_type)) {
      m.Require("config")
          .Require("mediaType")
          .Fail("unsupported config media type \"" + config_desc.media_type + "\"");
    }
    image.config_digest = config_desc.digest.str();
    std::string config_text = ReadVerified(store, config_desc, kMaxConfigSize, mdoc);
    try {
      image.config = ParseImageConfig(config_text);
    } catch (const SpecError& e) {
      throw Error("config " + config_desc.digest.str() + ": " + e.what());
    }
    CheckConfigPlatform(image.config, opt, "config " + config_desc.digest.str());
    JsonNode layers = m.Require("layers");
    size_t count = layers.ExpectArray();
    if (count != image.config.diff_ids.size()) {
      layers.Fail(std::to_string(count) + " layers but the config lists " +
                  std::to_string(image.config.diff_ids.size()) + " diff_ids");
    }
    for (size_t i = 0; i < count; ++i) {
      Descriptor d = ParseDescriptor(layers.Element(i));
      image.layers.push_back(
          MakeLayer(store, d, image.config.diff_ids[i], mdoc, opt.verify_layer_blobs));
    }
  } catch (const SpecError& e) {
    throw Error(mdoc + ": " + e.what());
  }
  return image;
}

// `docker save` without index.json: manifest.json = [{"Config": path, "RepoTags": [...],
// "Layers": [path, ...]}], layers as uncompressed tars whose sha256 is their diffID.
Image OpenDockerArchive(const BlobStore& store, const std::string& source,
                        const ImageOpenOptions& opt) {
  auto ref = store.Find("manifest.json");
  nlohmann::json doc =
      ParseJsonText(ReadBlob(*ref, kMaxManifestSize, "manifest.json"), "manifest.json");
  Image image;
  image.source = source;
  try {
    JsonNode top(doc, "");
    size_t count = top.ExpectArray();
    if (count == 0) top.Fail("manifest.json lists no images");
    size_t chosen = 0;
    if (!opt.ref.empty()) {
      chosen = count;
      for (size_t i = 0; i < count && chosen == count; ++i) {
        for (const auto& tag : top.Element(i).OptStringArray("RepoTags")) {
          if (tag == opt.ref || tag.ends_with(":" + opt.ref)) chosen = i;
        }
      }
      if (chosen == count) top.Fail("no image tagged \"" + opt.ref + "\"");
    }
    JsonNode entry = top.Element(chosen);
    JsonNode config_node = entry.Require("Config");
    std::string config_path = ValidateMemberPath(config_node.String(), config_node.path());
    auto config_ref = store.Find(config_path);
    if (!config_ref) config_node.Fail("\"" + config_path + "\" missing from " + store.Describe());
    std::string config_text = ReadBlob(*config_ref, kMaxConfigSize, config_path);
    std::string config_hex = Sha256::HexOf(config_text);
    // The config's file name is its digest ("<hex>.json" or "blobs/sha256/<hex>").
    std::string base = config_path.substr(config_path.rfind('/') + 1);
    if (base.ends_with(".json")) base.resize(base.size() - 5);
    if (base.size() == 64 && base != config_hex) {
      config_node.Fail("digest mismatch: file name says sha256:" + base +
                       ", content is sha256:" + config_hex);
    }
    image.config_digest = "sha256:" + config_hex;
    try {
      image.config = ParseImageConfig(config_text);
    } catch (const SpecError& e) {
      throw Error(config_path + ": " + e.what());
    }
    CheckConfigPlatform(image.config, opt, config_path);
    JsonNode layers = entry.Require("Layers");
    size_t n = layers.ExpectArray();
    if (n != image.config.diff_ids.size()) {
      layers.Fail(std::to_string(n) + " layers but the config lists " +
                  std::to_string(image.config.diff_ids.size()) + " diff_ids");
    }
    for (size_t i = 0; i < n; ++i) {
      JsonNode ln = layers.Element(i);
      std::string lp = ValidateMemberPath(ln.String(), ln.path());
      auto lref = store.Find(lp);
      if (!lref) ln.Fail("\"" + lp + "\" missing from " + store.Describe());
      ImageLayer layer;
      layer.diff_id = image.config.diff_ids[i];
      layer.digest = layer.diff_id;
      layer.media_type = "application/vnd.docker.image.rootfs.diff.tar";
      layer.format = LayerFormat::kTar;
      layer.blob = *lref;
      if (opt.verify_layer_blobs) {
        Digest want = ParseDigest(layer.diff_id, "rootfs.diff_ids[" + std::to_string(i) + "]");
        VerifyBlobSha256(layer.blob, want.hex, "manifest.json: " + ln.path() + " (" + lp + ")");
      }
      image.layers.push_back(layer);
    }
  } catch (const SpecError& e) {
    throw Error("manifest.json: " + std::string(e.what()));
  }
  return image;
}

}  // namespace

ImageConfig ParseImageConfig(const std::string& json_text) {
  nlohmann::json doc = ParseJsonText(json_text, "image config");
  JsonNode top(doc, "");
  top.ExpectObject();
  ImageConfig c;
  c.os = top.Require("os").String();
  c.architecture = top.Require("architecture").String();
  c.variant = top.OptString("variant").value_or("");
  if (auto cfg = top.Get("config")) {
    cfg->ExpectObject();
    c.user = cfg->OptString("User").value_or("");
    c.env = cfg->OptStringArray("Env");
    c.entrypoint = cfg->OptStringArray("Entrypoint");
    c.cmd = cfg->OptStringArray("Cmd");
    c.working_dir = cfg->OptString("WorkingDir").value_or("");
    c.stop_signal = cfg->OptString("StopSignal").value_or("");
    c.labels = cfg->OptStringMap("Labels");
  }
  JsonNode rootfs = top.Require("rootfs");
  JsonNode type = rootfs.Require("type");
  if (type.String() != "layers") type.Fail("expected \"layers\", got \"" + type.String() + "\"");
  JsonNode ids = rootfs.Require("diff_ids");
  size_t n = ids.ExpectArray();
  for (size_t i = 0; i < n; ++i) {
    JsonNode e = ids.Element(i);
    c.diff_ids.push_back(ParseDigest(e.String(), e.path()).str());
  }
  return c;
}

Image OpenImage(const std::string& path, const ImageOpenOptions& options) {
  std::unique_ptr<BlobStore> store = OpenBlobStore(path);
  if (store->Find("index.json")) return OpenOciLayout(*store, path, options);
  if (store->Find("manifest.json")) return OpenDockerArchive(*store, path, options);
  throw Error(store->Describe() +
              ": neither index.json (OCI layout) nor manifest.json (docker "
              "archive) found");
}

}  // namespace strato::oci
