#pragma once
// An execve-style argv (NULL-terminated char* array) over strings the caller keeps alive.

#include <string>
#include <vector>

namespace strato::shim {

inline std::vector<char*> ArgvOf(std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return argv;
}

}  // namespace strato::shim
