#include "oci/json_reader.h"

#include <limits>

namespace strato::oci {

namespace {
std::string ChildPath(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

// Describes a JSON value's type the way a user reads it ("number -1", "string").
std::string Describe(const nlohmann::json& v) {
  if (v.is_number_integer()) return "number " + v.dump();
  if (v.is_number_float()) return "number " + v.dump();
  return v.type_name();
}
}  // namespace

void JsonNode::TypeMismatch(const char* expected) const {
  Fail(std::string("expected ") + expected + ", got " + Describe(*value_));
}

std::string JsonNode::String() const {
  if (!value_->is_string()) TypeMismatch("a string");
  const auto& s = value_->get_ref<const std::string&>();
  if (s.find('\0') != std::string::npos) Fail("string contains a NUL byte");
  return s;
}

bool JsonNode::Bool() const {
  if (!value_->is_boolean()) TypeMismatch("a boolean");
  return value_->get<bool>();
}

int64_t JsonNode::Int64() const {
  if (value_->is_number_integer()) {
    if (value_->is_number_unsigned() &&
        value_->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      TypeMismatch("a signed 64-bit integer");
    }
    return value_->get<int64_t>();
  }
  TypeMismatch("an integer");
}

uint64_t JsonNode::Uint64() const {
  if (value_->is_number_unsigned()) return value_->get<uint64_t>();
  if (value_->is_number_integer()) TypeMismatch("an unsigned integer");  // negative
  TypeMismatch("an unsigned integer");
}

uint32_t JsonNode::Uint32() const {
  if (value_->is_number_unsigned() &&
      value_->get<uint64_t>() <= std::numeric_limits<uint32_t>::max()) {
    return static_cast<uint32_t>(value_->get<uint64_t>());
  }
  TypeMismatch("an unsigned 32-bit integer");
}

int32_t JsonNode::Int32() const {
  if (value_->is_number_integer()) {
    int64_t v =
        value_->is_number_unsigned() && value_->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)
            ? INT64_MAX
            : value_->get<int64_t>();
    if (v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max()) {
      return static_cast<int32_t>(v);
    }
  }
  TypeMismatch("a signed 32-bit integer");
}

std::vector<std::string> JsonNode::StringArray() const {
  return Map<std::string>([](const JsonNode& n) { return n.String(); });
}

std::map<std::string, std::string> JsonNode::StringMap() const {
  ExpectObject();
  std::map<std::string, std::string> out;
  for (auto it = value_->begin(); it != value_->end(); ++it) {
    out[it.key()] = JsonNode(it.value(), ChildPath(path_, it.key())).String();
  }
  return out;
}

void JsonNode::ExpectObject() const {
  if (!value_->is_object()) TypeMismatch("an object");
}

std::optional<JsonNode> JsonNode::Get(const std::string& key) const {
  ExpectObject();
  auto it = value_->find(key);
  if (it == value_->end() || it->is_null()) return std::nullopt;
  return JsonNode(*it, ChildPath(path_, key));
}

JsonNode JsonNode::Require(const std::string& key) const {
  auto child = Get(key);
  if (!child) throw SpecError(ChildPath(path_, key), "required field missing");
  return *child;
}

size_t JsonNode::ExpectArray() const {
  if (!value_->is_array()) TypeMismatch("an array");
  return value_->size();
}

JsonNode JsonNode::Element(size_t index) const {
  return JsonNode((*value_)[index], path_ + "[" + std::to_string(index) + "]");
}

std::optional<std::string> JsonNode::OptString(const std::string& key) const {
  auto c = Get(key);
  return c ? std::optional(c->String()) : std::nullopt;
}
std::optional<bool> JsonNode::OptBool(const std::string& key) const {
  auto c = Get(key);
  return c ? std::optional(c->Bool()) : std::nullopt;
}
std::optional<int64_t> JsonNode::OptInt64(const std::string& key) const {
  auto c = Get(key);
  return c ? std::optional(c->Int64()) : std::nullopt;
}
std::optional<uint64_t> JsonNode::OptUint64(const std::string& key) const {
  auto c = Get(key);
  return c ? std::optional(c->Uint64()) : std::nullopt;
}
std::optional<uint32_t> JsonNode::OptUint32(const std::string& key) const {
  auto c = Get(key);
  return c ? std::optional(c->Uint32()) : std::nullopt;
}
std::optional<int32_t> JsonNode::OptInt32(const std::string& key) const {
  auto c = Get(key);
  return c ? std::optional(c->Int32()) : std::nullopt;
}
std::vector<std::string> JsonNode::OptStringArray(const std::string& key) const {
  auto c = Get(key);
  return c ? c->StringArray() : std::vector<std::string>{};
}
std::map<std::string, std::string> JsonNode::OptStringMap(const std::string& key) const {
  auto c = Get(key);
  return c ? c->StringMap() : std::map<std::string, std::string>{};
}

nlohmann::json ParseJsonText(const std::string& text, const std::string& what) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    // parse_error, or out_of_range for numbers like 1e999; what() is
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..."
    std::string msg = e.what();
    if (auto pos = msg.find("] "); pos != std::string::npos) msg = msg.substr(pos + 2);
    throw SpecError("", what + ": invalid JSON: " + msg);
  }
}

}  // namespace strato::oci
