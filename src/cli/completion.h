// `wrapp completion bash|zsh|fish`: prints a shell completion script.
//
// The scripts are generated at run time from the CLI11 app tree that parses
// the command line (cli_tree.h), not written by hand, so they offer exactly
// the commands and options of the wrapp that printed them: a new option, an
// alias or a new value of a fixed set (--progress-report off|normal|verbose)
// is completed without anyone editing a script. The per-shell logic that
// cannot come from the tree (where a package name or version is on the line,
// listing <repo>/.packages of a local repository, file names) is a fixed
// part of each script; it only ever lists local folders, never a URL.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cli/app.h"
#include "cli/cli_tree.h"

namespace wrapp::cli {

// The shells a script can be printed for: bash, zsh, fish.
const std::vector<std::string>& completion_shells();

// The script for `shell` (one of completion_shells()).
std::string completion_script(const AppInfo& app, std::string_view shell);

// Registers the `completion` command.
void add_completion_command(Cli& cli);

}  // namespace wrapp::cli
