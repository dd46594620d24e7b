// A plain description of the command line, read from the CLI11 app tree
// that parses it: every visible command, its positional arguments and
// options with their help text, defaults, environment variables, fixed sets
// of values and what kind of value each takes.
//
// Why: the shell completion scripts (completion.h) and the manual pages
// (manpages.h) are generated from it at run time, so neither can drift
// from the options `wrapp COMMAND --help` shows; a new option or command
// appears in both without anyone touching them.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace wrapp::cli {

// What a value on the command line is: how a shell completes it.
enum class ValueKind {
  kText,        // free text: nothing to complete
  kNumber,      // a number: nothing to complete
  kChoice,      // one of ArgumentInfo::choices
  kPackage,     // a package name: the folders of <repo>/.packages
  kVersion,     // a version: the folders of <repo>/.packages/<name> holding .<name>.wrapp
  kRepository,  // a repository: a local folder (or a URL, not completed)
  kPath,        // a file or folder (or a URL, not completed)
};

// A positional argument or an option.
struct ArgumentInfo {
  bool positional = false;
  std::string name;                      // positional: its name; option: its first long (or short) name, "--jobs"
  std::vector<std::string> long_names;   // "--jobs", "--ftj"
  std::vector<std::string> short_names;  // "-j"
  std::string type;                      // the value's type as --help shows it ("TEXT", "UINT", "URL,USER,SECRET")
  std::string constraint;                // a validator's description ("INT in [1 - 100000]"), without the choices
  std::vector<std::string> choices;      // a fixed set of values (CLI::IsMember), in --help's order
  std::string description;
  std::string default_value;             // as --help shows it (captured defaults only)
  std::string envname;                   // the environment variable it falls back to
  std::string group;                     // --help's heading: "Options", "Generic options"
  int values = 0;                        // values taken per use: 0 for a flag
  bool repeatable = false;
  bool required = false;
  std::vector<ValueKind> kinds;          // one per value of a use

  // Every name, short names first: "-j", "--jobs".
  std::vector<std::string> names() const;
};

struct CommandInfo {
  std::string name;
  std::string description;
  std::string footer;
  std::vector<ArgumentInfo> positionals;  // in order
  std::vector<ArgumentInfo> options;      // in --help's order, grouped as --help groups them
  std::vector<std::string> groups;        // the option groups, in --help's order
};

struct AppInfo {
  std::string name;
  std::string description;
  std::string footer;
  std::vector<ArgumentInfo> options;  // the top-level options: --help, --version
  std::vector<CommandInfo> commands;  // the visible commands, in --help's order (hidden ones are left out)
};

// Reads the app tree. Call it once every command is added.
AppInfo describe_app(const CLI::App& app);

// The first sentence or clause of a help text, for the one-line
// descriptions shells show next to a completion (at most about 80 bytes).
std::string summary(const std::string& description);

}  // namespace wrapp::cli
