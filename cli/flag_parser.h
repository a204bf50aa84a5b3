#pragma once
// A small, strict command-line parser for strato's subcommands: `--name value`, `--name=value`,
// boolean `--name`, repeatable flags, positionals, and `--` ending flag parsing. Every mistake is
// a strato::Error naming the flag ("--cpus: expects a value").

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace strato::cli {

struct FlagSpec {
  std::string name;  // without the leading "--"
  bool takes_value = false;
  bool repeatable = false;
  std::string value_name;  // for help: "N", "FILE"
  std::string help;
};

class ParsedFlags {
 public:
  bool Has(const std::string& name) const { return values_.count(name) != 0; }
  std::optional<std::string> Get(const std::string& name) const;
  std::vector<std::string> GetAll(const std::string& name) const;
  // Parses an unsigned integer flag value in [min, max]; errors name the flag.
  std::optional<uint64_t> GetUint(const std::string& name, uint64_t min, uint64_t max) const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  // Arguments after a literal "--" (e.g. the container command).
  const std::vector<std::string>& rest() const { return rest_; }
  bool saw_double_dash() const { return saw_double_dash_; }

 private:
  friend class FlagParser;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positionals_;
  std::vector<std::string> rest_;
  bool saw_double_dash_ = false;
};

class FlagParser {
 public:
  explicit FlagParser(std::vector<FlagSpec> specs);
  ParsedFlags Parse(const std::vector<std::string>& args) const;
  // One line per flag, aligned, for --help.
  std::string HelpText() const;

 private:
  const FlagSpec* Find(const std::string& name) const;
  std::vector<FlagSpec> specs_;
};

}  // namespace strato::cli
