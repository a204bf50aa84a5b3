#pragma once
// A strato subcommand. Each lives in cli/commands/<name>.cc and is listed in command_table.cc.

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strato::cli {

struct Command {
  std::string_view name;
  std::string_view summary;  // one line for `strato --help`
  // Runs the command with the arguments after its name; returns the process exit code. main()
  // prints a thrown strato::Error as "strato <name>: <message>" and exits 1 (2 for UsageError).
  int (*run)(const std::vector<std::string>& args);
};

std::span<const Command> AllCommands();

// Exit code for usage errors (bad flags), as most CLI tools use.
inline constexpr int kExitUsage = 2;

// Declarations of every subcommand entry point.
int RunDoctor(const std::vector<std::string>& args);
int RunInspect(const std::vector<std::string>& args);
int RunConvert(const std::vector<std::string>& args);
int RunVm(const std::vector<std::string>& args);
int RunRun(const std::vector<std::string>& args);

}  // namespace strato::cli
