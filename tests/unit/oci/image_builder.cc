#include "image_builder.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "common/file_util.h"
#include "common/sha256.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace strato::testing {

std::string Sha256Digest(const std::string& data) {
  return "sha256:" + Sha256::HexOf(data);
}

TestImage::TestImage(std::string dir) : dir_(std::move(dir)) {
  fs::remove_all(dir_);
  fs::create_directories(dir_ + "/blobs/sha256");
}

TestImage::~TestImage() {
  fs::remove_all(dir_);
}

std::string TestImage::AddBlob(const std::string& data) {
  std::string digest = Sha256Digest(data);
  WriteFileAtomic(dir_ + "/blobs/sha256/" + digest.substr(7), data);
  return digest;
}

json TestImage::Descriptor(const std::string& media_type, const std::string& data) {
  return {{"mediaType", media_type}, {"digest", AddBlob(data)}, {"size", data.size()}};
}

void TestImage::BuildSimple(const std::vector<std::string>& layers, const std::string& arch) {
  config = {{"architecture", arch},
            {"os", "linux"},
            {"config",
             {{"Env", {"PATH=/usr/bin:/bin"}},
              {"Entrypoint", {"/bin/sh", "-c"}},
              {"Cmd", {"echo hello"}},
              {"WorkingDir", "/srv"},
              {"User", "1000:1000"}}},
            {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}}};
  manifest = {{"schemaVersion", 2},
              {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
              {"layers", json::array()}};
  for (const auto& l : layers) {
    config["rootfs"]["diff_ids"].push_back(Sha256Digest(l));
    manifest["layers"].push_back(Descriptor("application/vnd.oci.image.layer.v1.tar", l));
  }
  std::string config_text = config.dump();
  manifest["config"] = Descriptor("application/vnd.oci.image.config.v1+json", config_text);
  config_digest = Sha256Digest(config_text);
  std::string manifest_text = manifest.dump();
  json desc = Descriptor("application/vnd.oci.image.manifest.v1+json", manifest_text);
  manifest_digest = Sha256Digest(manifest_text);
  desc["platform"] = {{"os", "linux"}, {"architecture", arch}};
  desc["annotations"] = {{"org.opencontainers.image.ref.name", "latest"}};
  index = {{"schemaVersion", 2}, {"manifests", {desc}}};
  WriteIndex();
  WriteLayout();
}

void TestImage::WriteIndex() {
  WriteFileAtomic(dir_ + "/index.json", index.dump());
}

void TestImage::WriteLayout() {
  WriteFileAtomic(dir_ + "/oci-layout", R"({"imageLayoutVersion": "1.0.0"})");
}

namespace {
void Octal(char* field, size_t len, uint64_t value) {
  std::snprintf(field, len, "%0*llo", static_cast<int>(len - 1),
                static_cast<unsigned long long>(value));
}
}  // namespace

std::string MakeTar(const std::vector<std::pair<std::string, std::string>>& members) {
  std::string out;
  for (const auto& [name, content] : members) {
    char h[512] = {};
    std::strncpy(h, name.c_str(), 99);
    Octal(h + 100, 8, 0644);
    Octal(h + 108, 8, 0);
    Octal(h + 116, 8, 0);
    Octal(h + 124, 12, content.size());
    Octal(h + 136, 12, 0);
    std::memset(h + 148, ' ', 8);
    h[156] = '0';
    std::memcpy(h + 257,
                "ustar\0"
                "00",
                8);
    unsigned sum = 0;
    for (unsigned char c : h) sum += c;
    std::snprintf(h + 148, 8, "%06o", sum);
    out.append(h, 512);
    out += content;
    out.append((512 - content.size() % 512) % 512, '\0');
  }
  out.append(1024, '\0');
  return out;
}

void WriteTarOfDirectory(const std::string& dir, const std::string& out) {
  std::vector<std::pair<std::string, std::string>> members;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    members.emplace_back(fs::relative(e.path(), dir).string(), ReadFile(e.path().string()));
  }
  std::sort(members.begin(), members.end());
  WriteFileAtomic(out, MakeTar(members));
}

}  // namespace strato::testing
