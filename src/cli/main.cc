#include <cstdio>

#include "cli/app.h"
#include "cli/completion.h"
#include "cli/manpages.h"
#include "storage/backends.h"
#include "util/error.h"
#include "util/suggest.h"

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

namespace {

// argv[1] when it is no option and names no command: "unknown command
// 'instal'; did you mean 'install'?" (CLI11 would only say that a command
// is required).
bool refuse_unknown_command(int argc, char** argv, const CommandRegistry& registry) {
  if (argc < 2 || argv[1][0] == '-') return false;
  std::string word = argv[1];
  if (registry.count(word)) return false;
  std::vector<std::string> names;
  for (const auto& entry : registry) names.push_back(entry.first);
  std::fprintf(stderr, "error: unknown command '%s'%s\nRun 'wrapp --help' for the list of commands.\n",
               shorten_for_message(word, 200).c_str(), did_you_mean(closest_words(word, names)).c_str());
  return true;
}

// Defines the commands on `cli.app`. Defining the options of all 28
// commands cost every command 1.6 ms at start (`wrapp status --help` took
// 4.3 ms with them, 2.7 ms without), so a line naming one command gets that
// one only; the top level (`wrapp`, `wrapp --help`) and the commands that
// describe every other one (completion scripts, manual pages) get them all.
void define_commands(Cli& cli, const CommandRegistry& registry, int argc, char** argv) {
  auto named = argc >= 2 ? registry.find(argv[1]) : registry.end();
  bool describes_all = named == registry.end() || named->first == "completion" || named->first == "manpages";
  if (!describes_all) {
    named->second(cli);
    return;
  }
  for (const auto& [name, add] : registry) add(cli);
}

// The long options of the command on the line, for "did you mean" after an
// option CLI11 did not expect.
std::string option_suggestion(const CLI::App& app, const std::string& unexpected) {
  std::vector<std::string> names;
  for (const auto* sub : app.get_subcommands()) {
    for (const auto* option : sub->get_options()) {
      for (const auto& name : option->get_lnames()) names.push_back("--" + name);
    }
  }
  return did_you_mean(closest_words(unexpected, names));
}

}  // namespace

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
  registry["completion"] = wrapp::cli::add_completion_command;  // cli/completion.h
  registry["manpages"] = wrapp::cli::add_manpages_command;      // hidden (cli/manpages.h)
  if (wrapp::cli::refuse_unknown_command(argc, argv, registry)) return 1;
  wrapp::cli::define_commands(cli, registry, argc, argv);
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
  } catch (const CLI::ExtrasError& e) {
    // An option misspelt: CLI11's message, then what was probably meant.
    std::string hint;
    for (int i = 1; i < argc && hint.empty(); ++i) {
      std::string arg = argv[i];
      if (arg.starts_with("--") && std::string(e.what()).find(arg) != std::string::npos) {
        hint = wrapp::cli::option_suggestion(cli.app, arg.substr(0, arg.find('=')));
      }
    }
    if (hint.empty()) {
      cli.app.exit(e);
    } else {
      std::fprintf(stderr, "%s%s\nRun with --help for more information.\n",
                   wrapp::shorten_for_message(e.what(), 4096).c_str(), hint.c_str());
    }
    code = 1;
  } catch (const CLI::ParseError& e) {
    cli.app.exit(e);
    code = 1;  // bad command line: a failed precondition, like any bad input
  }
  return wrapp::cli::finish_stdout(code);
}
