// Subcommands about redirect packages: publish-redirect.
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "cli/app.h"
#include "commands/publish_redirect.h"
#include "commands/repository.h"

namespace wrapp::cli {

namespace {

void add_publish_redirect(Cli& cli) {
  auto* sub = cli.app.add_subcommand(
      "publish-redirect",
      "Write redirect packages (a package file only, its items pointing at the source repository or an external "
      "URL) for every package version of the source repositories");
  auto o = std::make_shared<commands::PublishRedirectOptions>();
  auto external_url = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  sub->add_option("--source-repo", o->source_repos,
                  "Repository whose package versions get redirect packages (repeatable; identical duplicates are "
                  "written once)")
      ->required();
  sub->add_option("--redirect-repo", o->redirect_repo, "Repository the redirect packages are written into")
      ->required();
  sub->add_option("--external-url", *external_url,
                  "Base URL that replaces each source repository's in the URLs written (a CDN serving the source "
                  "repositories' files)");
  sub->add_flag("--json", *as_json, "Print machine-readable results");
  add_generic_options(*sub, cli.generic);
  sub->callback([&cli, o, external_url, as_json] {
    if (!external_url->empty()) o->external_url = *external_url;
    cli.exit_code = run_command(cli, [&](commands::CommandContext& ctx) {
      auto result = commands::publish_redirect(ctx, *o);
      if (*as_json) {
        out(commands::to_json(result).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
        return 0;
      }
      for (const auto& url : result.written) {
        out(fmt::format("{} {}\n", ctx.dry_run ? "would write" : "wrote", commands::parse_location(url).display()));
      }
      for (const auto& url : result.unchanged) {
        out(fmt::format("unchanged {}\n", commands::parse_location(url).display()));
      }
      out(fmt::format("{} redirect package(s) {}, {} already there\n", result.written.size(),
                      ctx.dry_run ? "to write" : "written", result.unchanged.size()));
      return 0;
    });
  });
}

}  // namespace

void add_redirect_commands(CommandRegistry& registry) { registry["publish-redirect"] = add_publish_redirect; }

}  // namespace wrapp::cli
