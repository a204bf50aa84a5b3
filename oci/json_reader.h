#pragma once
// Typed, path-aware reading of nlohmann::json documents. Every error names the JSON path of the
// offending value ("process.rlimits[2].type: ...") so a user can find it in their config.json.
// Unknown keys are ignored (the OCI specs allow extensions); null counts as absent.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace strato::oci {

// A parse or validation error in an OCI document; the message starts with the JSON path.
class SpecError : public Error {
 public:
  SpecError(const std::string& path, const std::string& problem)
      : Error(path.empty() ? problem : path + ": " + problem), path_(path) {}
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A JSON value plus the path that led to it.
class JsonNode {
 public:
  JsonNode(const nlohmann::json& value, std::string path)
      : value_(&value), path_(std::move(path)) {}

  const nlohmann::json& value() const { return *value_; }
  const std::string& path() const { return path_; }

  [[noreturn]] void Fail(const std::string& problem) const { throw SpecError(path_, problem); }

  // Scalars (each checks the JSON type and range, failing with the path).
  std::string String() const;
  bool Bool() const;
  int64_t Int64() const;
  uint64_t Uint64() const;
  uint32_t Uint32() const;
  int32_t Int32() const;

  std::vector<std::string> StringArray() const;
  std::map<std::string, std::string> StringMap() const;

  // Object access. Require() fails with "<path>.<key>: required field missing".
  void ExpectObject() const;
  std::optional<JsonNode> Get(const std::string& key) const;
  JsonNode Require(const std::string& key) const;

  // Array access: ExpectArray() then Element(i).
  size_t ExpectArray() const;
  JsonNode Element(size_t index) const;

  template <typename T, typename Fn>
  std::vector<T> Map(Fn fn) const {
    size_t n = ExpectArray();
    std::vector<T> out;
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) out.push_back(fn(Element(i)));
    return out;
  }

  // Optional field helpers: absent or null -> std::nullopt (or the default).
  std::optional<std::string> OptString(const std::string& key) const;
  std::optional<bool> OptBool(const std::string& key) const;
  std::optional<int64_t> OptInt64(const std::string& key) const;
  std::optional<uint64_t> OptUint64(const std::string& key) const;
  std::optional<uint32_t> OptUint32(const std::string& key) const;
  std::optional<int32_t> OptInt32(const std::string& key) const;
  std::vector<std::string> OptStringArray(const std::string& key) const;
  std::map<std::string, std::string> OptStringMap(const std::string& key) const;

 private:
  [[noreturn]] void TypeMismatch(const char* expected) const;
  const nlohmann::json* value_;
  std::string path_;
};

// Parses JSON text; syntax errors become SpecError("<what>: invalid JSON at byte N: ...").
nlohmann::json ParseJsonText(const std::string& text, const std::string& what);

}  // namespace strato::oci
