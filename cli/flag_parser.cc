#include "cli/flag_parser.h"

#include <algorithm>
#include <charconv>

#include "common/error.h"

namespace strato::cli {

std::optional<std::string> ParsedFlags::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> ParsedFlags::GetAll(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::optional<uint64_t> ParsedFlags::GetUint(const std::string& name, uint64_t min,
                                             uint64_t max) const {
  auto text = Get(name);
  if (!text) return std::nullopt;
  uint64_t value = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (ec != std::errc() || ptr != end || text->empty()) {
    throw UsageError("--" + name + ": \"" + *text + "\" is not a non-negative integer");
  }
  if (value < min || value > max) {
    throw UsageError("--" + name + ": " + *text + " is out of range [" + std::to_string(min) +
                     ", " + std::to_string(max) + "]");
  }
  return value;
}

FlagParser::FlagParser(std::vector<FlagSpec> specs) : specs_(std::move(specs)) {}

const FlagSpec* FlagParser::Find(const std::string& name) const {
  auto it =
      std::find_if(specs_.begin(), specs_.end(), [&](const FlagSpec& s) { return s.name == name; });
  return it == specs_.end() ? nullptr : &*it;
}

ParsedFlags FlagParser::Parse(const std::vector<std::string>& args) const {
  ParsedFlags out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      out.saw_double_dash_ = true;
      out.rest_.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    }
    if (arg.size() < 2 || arg[0] != '-' || arg == "-") {
      out.positionals_.push_back(arg);
      continue;
    }
    std::string body = arg[1] == '-' ? arg.substr(2) : arg.substr(1);
    if (arg[1] != '-' && body != "h")
      throw UsageError("unknown flag " + arg + " (flags start with --)");
    if (body == "h") body = "help";
    std::optional<std::string> inline_value;
    if (auto eq = body.find('='); eq != std::string::npos) {
      inline_value = body.substr(eq + 1);
      body.resize(eq);
    }
    const FlagSpec* spec = Find(body);
    if (spec == nullptr) throw UsageError("unknown flag --" + body);
    std::string value;
    if (spec->takes_value) {
      if (inline_value) {
        value = *inline_value;
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        throw UsageError("--" + body + ": expects a value");
      }
    } else if (inline_value) {
      throw UsageError("--" + body + ": takes no value");
    }
    auto& slot = out.values_[body];
    if (!spec->repeatable && !slot.empty())
      throw UsageError("--" + body + ": given more than once");
    slot.push_back(value);
  }
  return out;
}

std::string FlagParser::HelpText() const {
  size_t width = 0;
  auto left = [](const FlagSpec& s) {
    return "--" + s.name +
           (s.takes_value ? " " + (s.value_name.empty() ? "VALUE" : s.value_name) : std::string());
  };
  for (const auto& s : specs_) width = std::max(width, left(s).size());
  std::string out;
  for (const auto& s : specs_) {
    std::string l = left(s);
    out += "  " + l + std::string(width - l.size() + 2, ' ') + s.help +
           (s.repeatable ? " (repeatable)" : "") + "\n";
  }
  return out;
}

}  // namespace strato::cli
