#include <cstdio>

#include "cli/app.h"
#include "storage/backends.h"
#include "util/error.h"

#ifndef WRAPP_VERSION
#define WRAPP_VERSION "dev"
#endif

namespace wrapp::cli {

void add_version_command(Cli& cli) {
  auto* version = cli.app.add_subcommand("version", "Print the version and the storage backends");
  add_generic_options(*version, cli.generic);
  version->callback([&cli] {
    cli.generic.hash_cache_file.clear();  // nothing to hash: never touch a cache file
    cli.exit_code = run_command(cli, [](wrapp::commands::CommandContext&) {
      std::string text = std::string("wrapp ") + WRAPP_VERSION + "\n";
      for (const auto& backend : wrapp::storage::backend_catalog()) {
        text += backend.name + ": " + (backend.enabled ? "ENABLED" : "DISABLED") + "\n";
      }
      out(text);
      return 0;
    });
  });
}

}  // namespace wrapp::cli

int main(int argc, char** argv) {
  wrapp::cli::Cli cli;
  cli.app.require_subcommand(1);
  cli.app.set_version_flag("--version", std::string("wrapp ") + WRAPP_VERSION);
  cli.app.footer("Exit codes: 0 success, 1 failed precondition or bad input, 2 storage or I/O failure.\n"
                 "Run 'wrapp COMMAND --help' for a command's options.");
  wrapp::cli::CommandRegistry registry;
  wrapp::cli::add_package_commands(registry);
  wrapp::cli::add_file_commands(registry);
  wrapp::cli::add_tree_commands(registry);
  wrapp::cli::add_redirect_commands(registry);
  wrapp::cli::add_patch_commands(registry);
  wrapp::cli::add_archive_commands(registry);
  registry["version"] = wrapp::cli::add_version_command;
  for (const auto& [name, add] : registry) add(cli);
  // A command line error quotes the argument: never a huge one whole.
  cli.app.failure_message([](const CLI::App* app, const CLI::Error& e) {
    return wrapp::shorten_for_message(CLI::FailureMessage::simple(app, e), 4096);
  });
  int code = 0;
  try {
    cli.app.parse(argc, argv);
    code = cli.exit_code;
  } catch (const CLI::CallForHelp& e) {
    code = cli.app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    code = cli.app.exit(e);
  } catch (const CLI::Success& e) {
    code = cli.app.exit(e);
  } catch (const CLI::ParseError& e) {
    cli.app.exit(e);
    code = 1;  // bad command line: a failed precondition, like any bad input
  }
  return wrapp::cli::finish_stdout(code);
}
