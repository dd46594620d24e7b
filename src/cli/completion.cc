#include "cli/completion.h"

#include "cli/completion_scripts.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>

#ifndef WRAPP_VERSION
#define WRAPP_VERSION "dev"
#endif

namespace wrapp::cli {

namespace completion_detail {

// A word for a POSIX shell (bash, zsh): single-quoted when it needs to be.
std::string sq(const std::string& s) {
  bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '/' || c == ',' || c == '+' || c == '=';
  });
  if (plain) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A single-quoted fish string (fish knows \\ and \' inside one).
std::string fish_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

// Values the scripts may carry as bare words (a fixed set's values are
// joined with '|', the kinds of a tuple's values with '+').
bool safe_word(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

bool all_safe(const std::vector<std::string>& words) {
  return !words.empty() && std::all_of(words.begin(), words.end(), safe_word);
}

// How the bash and fish scripts name a kind of value.
std::string kind_word(ValueKind kind, const std::vector<std::string>& choices) {
  switch (kind) {
    case ValueKind::kChoice: return all_safe(choices) ? "choice:" + join(choices, "|") : "none";
    case ValueKind::kPackage: return "package";
    case ValueKind::kVersion: return "version";
    case ValueKind::kRepository: return "repository";
    case ValueKind::kPath: return "path";
    case ValueKind::kText:
    case ValueKind::kNumber: return "none";
  }
  return "none";
}

// The kinds of one use's values: "package+version+repository".
std::string kinds_word(const ArgumentInfo& a) {
  std::vector<std::string> words;
  for (ValueKind k : a.kinds) words.push_back(kind_word(k, a.choices));
  return join(words, "+");
}

// One kind per positional value; a last "*" repeats the one before.
std::vector<std::string> positional_kinds(const CommandInfo& c) {
  std::vector<std::string> kinds;
  for (const auto& p : c.positionals) {
    for (ValueKind k : p.kinds) kinds.push_back(kind_word(k, p.choices));
  }
  if (!c.positionals.empty() && c.positionals.back().repeatable) kinds.push_back("*");
  return kinds;
}

const char* const kWrappVersion = WRAPP_VERSION;

}  // namespace completion_detail

using completion_detail::bash_script;
using completion_detail::fish_script;
using completion_detail::join;
using completion_detail::zsh_script;

const std::vector<std::string>& completion_shells() {
  static const std::vector<std::string> kShells = {"bash", "zsh", "fish"};
  return kShells;
}

std::string completion_script(const AppInfo& app, std::string_view shell) {
  if (shell == "bash") return bash_script(app);
  if (shell == "zsh") return zsh_script(app);
  if (shell == "fish") return fish_script(app);
  return "";
}

void add_completion_command(Cli& cli) {
  auto* sub = cli.app.add_subcommand(
      "completion",
      "Print a shell completion script for bash, zsh or fish (commands, options, their fixed values, file names, "
      "and package names and versions of a local --repo)");
  auto shell = std::make_shared<std::string>();
  // The accepted shells as a fixed set: --help, the man page and the
  // completion scripts list them like any other fixed set.
  CLI::Validator shells(
      [](std::string& value) -> std::string {
        const auto& known = completion_shells();
        if (std::find(known.begin(), known.end(), value) != known.end()) return "";
        return "unknown shell '" + value.substr(0, 100) + "': the shells are bash, zsh and fish";
      },
      "{" + join(completion_shells(), ",") + "}", "shell");
  sub->add_option("shell", *shell, "The shell: bash, zsh or fish")->required()->check(shells);
  sub->footer(
      "Enable it: bash: source <(wrapp completion bash), or write it to "
      "~/.local/share/bash-completion/completions/wrapp; zsh: source <(wrapp completion zsh) after compinit, or "
      "write it to _wrapp in a folder of $fpath; fish: wrapp completion fish > "
      "~/.config/fish/completions/wrapp.fish.\n" +
      cli.app.get_footer());
  sub->callback([&cli, shell] {
    out(completion_script(describe_app(cli.app), *shell));
    cli.exit_code = 0;
  });
}

}  // namespace wrapp::cli
