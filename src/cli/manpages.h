// `wrapp manpages DIR` (hidden; setup.sh runs it): writes the manual pages
// wrapp.1 and wrapp-<command>.1, one per command, in roff (man(7)).
//
// The pages are generated from the CLI11 app tree that parses the command
// line (cli_tree.h), the same objects `--help` prints, so a page cannot
// drift from its command's options, help texts, defaults, environment
// variables or the footer about exit codes.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "cli/app.h"
#include "cli/cli_tree.h"

namespace wrapp::cli {

// Text for a roff page: backslashes, hyphens (\-) and characters beyond
// ASCII escaped. Not a whole line: see roff_line in manpages.cc.
std::string roff_escape(std::string_view text);

// Every page, by file name ("wrapp.1", "wrapp-install.1").
std::map<std::string, std::string> manual_pages(const AppInfo& app, std::string_view version);

// Registers the hidden `manpages` command.
void add_manpages_command(Cli& cli);

}  // namespace wrapp::cli
