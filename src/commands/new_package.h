// new: write a fresh .<name>.wrapp file into a folder, optionally with a
// catalog of the folder, without copying anything.
#pragma once

#include <optional>
#include <string>

#include "commands/context.h"

namespace wrapp::commands {

struct NewOptions {
  std::string package_name;
  std::string version;
  std::string destination;  // folder
  bool create_catalog = false;
  std::optional<std::string> ignore_file;
};

// Returns the URL of the written file. Refuses (FailedCommand) when the file
// exists already.
std::string new_package(CommandContext& ctx, const NewOptions& options);

}  // namespace wrapp::commands
