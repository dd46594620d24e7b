// The pieces the three completion scripts share, and the function that
// writes each (completion_bash.cc, completion_zsh.cc, completion_fish.cc).
// Internal to cli/completion.cc; see completion.h for what the scripts do.
#pragma once

#include <string>
#include <vector>

#include "cli/cli_tree.h"

namespace wrapp::cli::completion_detail {

// A word for a POSIX shell (bash, zsh): single-quoted when it needs to be.
std::string sq(const std::string& s);
// A single-quoted fish string (fish knows \\ and \' inside one).
std::string fish_quote(const std::string& s);
// Values the scripts may carry as bare words (a fixed set's values are
// joined with '|', the kinds of a tuple's values with '+'); all_safe: every
// one of `words` is, and there is one at least.
bool safe_word(const std::string& s);
bool all_safe(const std::vector<std::string>& words);
std::string join(const std::vector<std::string>& parts, const std::string& sep);
std::string replace_all(std::string text, const std::string& from, const std::string& to);
// How the bash and fish scripts name a kind of value.
std::string kind_word(ValueKind kind, const std::vector<std::string>& choices);
// The kinds of one use's values: "package+version+repository".
std::string kinds_word(const ArgumentInfo& a);
// One kind per positional value; a last "*" repeats the one before.
std::vector<std::string> positional_kinds(const CommandInfo& c);
// The version the scripts name in their first lines.
extern const char* const kWrappVersion;

std::string bash_script(const AppInfo& app);
std::string zsh_script(const AppInfo& app);
std::string fish_script(const AppInfo& app);

}  // namespace wrapp::cli::completion_detail
