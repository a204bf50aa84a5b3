#include "shim/manager/shim_flags.h"

#include <map>
#include <optional>

#include "common/error.h"

namespace strato::shim {

namespace {

bool ParseBool(const std::string& flag, const std::string& value) {
  // strconv.ParseBool's accepted spellings.
  static const std::map<std::string, bool> kValues = {
      {"1", true},    {"t", true},      {"T", true},      {"true", true},
      {"TRUE", true}, {"True", true},   {"0", false},     {"f", false},
      {"F", false},   {"false", false}, {"FALSE", false}, {"False", false}};
  auto it = kValues.find(value);
  if (it == kValues.end()) {
    throw UsageError("invalid boolean value \"" + value + "\" for -" + flag);
  }
  return it->second;
}

}  // namespace

ShimFlags ParseShimFlags(const std::vector<std::string>& args) {
  ShimFlags f;
  const std::map<std::string, std::string*> string_flags = {
      {"namespace", &f.ns}, {"address", &f.address}, {"publish-binary", &f.publish_binary},
      {"id", &f.id},        {"bundle", &f.bundle},   {"socket", &f.socket}};
  const std::map<std::string, bool*> bool_flags = {{"debug", &f.debug}, {"v", &f.version}};
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() < 2 || a[0] != '-') break;  // first non-flag: the action
    if (a == "--") {
      ++i;
      break;
    }
    std::string body = a.substr(a[1] == '-' ? 2 : 1);
    if (body.empty() || body[0] == '-' || body[0] == '=') {
      throw UsageError("bad flag syntax: " + a);
    }
    std::string name = body;
    std::optional<std::string> value;
    if (auto eq = body.find('='); eq != std::string::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
    }
    if (auto b = bool_flags.find(name); b != bool_flags.end()) {
      *b->second = value ? ParseBool(name, *value) : true;
      continue;
    }
    auto s = string_flags.find(name);
    if (s == string_flags.end()) throw UsageError("flag provided but not defined: -" + name);
    if (!value) {
      if (i + 1 >= args.size()) throw UsageError("flag needs an argument: -" + name);
      value = args[++i];
    }
    *s->second = *value;
  }
  if (i < args.size()) {
    f.action = args[i];
    f.extra.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
  }
  return f;
}

std::vector<std::string> DaemonArgs(const ShimFlags& f) {
  std::vector<std::string> out = {"-namespace", f.ns, "-id", f.id, "-address", f.address};
  if (!f.publish_binary.empty()) {
    out.push_back("-publish-binary");
    out.push_back(f.publish_binary);
  }
  if (!f.bundle.empty()) {
    out.push_back("-bundle");
    out.push_back(f.bundle);
  }
  if (f.debug) out.push_back("-debug");
  return out;
}

}  // namespace strato::shim
