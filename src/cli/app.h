// The command line face: parses, calls a command function, prints results.
// No logic of its own beyond translating options and results.
#pragma once

#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "commands/context.h"
#include "util/color.h"

namespace wrapp::cli {

// The generic options every command takes.
struct GenericOptions {
  bool verbose = false;
  bool time = false;
  bool stats = false;
  size_t jobs = 200;
  size_t file_transfer_jobs = 50;
  std::string log_file;
  bool debug = false;
  bool json_logging = false;
  bool dry_run = false;
  std::string progress_report = "normal";
  double progress_interval = 5.0;
  std::string color = "auto";
  std::string hash_cache_file;  // empty: the default (commands::default_hash_cache_file)
  bool no_hash_cache = false;
  bool fsync = false;
  // Credentials (storage/credentials.h parse_auth_option), also from
  // WRAPP_AUTH (whitespace-separated values); in memory only.
  std::vector<std::string> auth;
  bool interactive_auth = false;
};

// Everything a subcommand's callback needs.
struct Cli {
  CLI::App app{"wrapp: reproducible asset packaging and publishing", "wrapp"};
  GenericOptions generic;
  int exit_code = 0;
};

// Adds the generic options to a subcommand (so `wrapp CMD --help` lists them).
void add_generic_options(CLI::App& sub, GenericOptions& g);

// Runs `body` in a commands::Session built from the generic options
// (logging, scheduler with progress display, hash cache loaded before and
// saved after, also after a failure), with Ctrl-C cancelling it; prints
// --time and --stats. Returns the exit code: body's, or the error's
// (1 failed precondition, 2 storage failure).
int run_command(Cli& cli, const std::function<int(commands::CommandContext&)>& body);

// Registration of the subcommands, by name: main adds them in alphabetical
// order, which is the order `wrapp --help` lists them in.
using CommandRegistry = std::map<std::string, std::function<void(Cli&)>>;
void add_package_commands(CommandRegistry& registry);
void add_file_commands(CommandRegistry& registry);
void add_tree_commands(CommandRegistry& registry);
void add_redirect_commands(CommandRegistry& registry);
void add_patch_commands(CommandRegistry& registry);
void add_archive_commands(CommandRegistry& registry);
void add_version_command(Cli& cli);

// Prints to stdout (results); messages go through util/log.h to stderr.
void out(const std::string& text);

// `text` in `color` when the command's results are coloured (--color, see
// util/color.h: stdout is a terminal, NO_COLOR ...), else `text` itself.
std::string colored(std::string_view text, Color color);

// Standard output for a command's content (`cat`): unbuffered by stdio
// beyond one write, and every failure's cause is kept for finish_stdout().
std::FILE* content_stream();

// At the very end: flushes and closes stdout. When anything written there
// was lost (disk full, closed pipe end, ...) prints "cannot write to standard
// output: <cause>" and returns at least 2 (an I/O failure); else `code`.
int finish_stdout(int code);

// The warning a --tags option gives: no storage backend of this build has
// tags (the reference's Nucleus tags), so the option captures none.
void warn_no_tags(std::string_view command);

// An error message as the command line prints it: at most kMaxMessageBytes.
std::string capped_message(std::string_view message);

}  // namespace wrapp::cli
