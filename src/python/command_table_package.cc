// The package commands as the Python face calls them: options from the
// dict (keys = the C++ Options' field names), the result as its to_json.
#include <nlohmann/json.hpp>

#include "commands/check.h"
#include "commands/create.h"
#include "commands/create_metapackage.h"
#include "commands/install.h"
#include "commands/list_repo.h"
#include "commands/mirror.h"
#include "commands/new_package.h"
#include "commands/publish_redirect.h"
#include "commands/status.h"
#include "commands/uninstall.h"
#include "model/package_info.h"
#include "python/binding.h"

namespace wrapp::python {

namespace {

using commands::CommandContext;

PreparedCommand prepare_create(Fields& f) {
  commands::CreateOptions o;
  o.package_name = f.str("package_name");
  o.version = f.str("version");
  o.source = f.str("source");
  o.catalog = f.flag("catalog");
  o.repo = f.opt_str("repo");
  o.ignore_file = f.opt_str("ignore_file");
  o.ignore_predicate = f.ignore_predicate("ignore_predicate");
  o.skip_dirty_check = f.flag("skip_dirty_check");
  o.check_subpackage = f.flag("check_subpackage");
  return [o](CommandContext& ctx) { return commands::to_json(commands::create(ctx, o)); };
}

PreparedCommand prepare_install(Fields& f) {
  commands::InstallOptions o;
  o.package_name = f.str("package_name");
  o.version = f.str("version");
  o.destination = f.str("destination");
  o.repo = f.opt_str("repo");
  o.link_mode = commands::parse_link_mode(f.str_or("link_mode", "copy"));
  o.patch_file = f.opt_str("patch_file");
  o.ignore_file = f.opt_str("ignore_file");
  o.ignore_predicate = f.ignore_predicate("ignore_predicate");
  o.dependency_file = f.opt_str("dependency_file");
  return [o](CommandContext& ctx) { return commands::to_json(commands::install(ctx, o)); };
}

PreparedCommand prepare_uninstall(Fields& f) {
  commands::UninstallOptions o;
  o.package_name = f.str("package_name");
  o.install_location = f.str("install_location");
  o.force = f.flag("force");
  return [o](CommandContext& ctx) { return commands::to_json(commands::uninstall(ctx, o)); };
}

PreparedCommand prepare_status(Fields& f) {
  commands::StatusOptions o;
  o.wrapp_file = f.str("wrapp_file");
  o.ignore_file = f.opt_str("ignore_file");
  o.ignore_predicate = f.ignore_predicate("ignore_predicate");
  return [o](CommandContext& ctx) { return commands::to_json(commands::status(ctx, o)); };
}

PreparedCommand prepare_check(Fields& f) {
  commands::CheckOptions o;
  o.wrapp_file = f.str("wrapp_file");
  o.recursive = f.flag("recursive");
  return [o](CommandContext& ctx) { return commands::to_json(commands::check_package_content(ctx, o)); };
}

PreparedCommand prepare_list_repo(Fields& f) {
  commands::ListRepoOptions o;
  o.repo = f.str("repo");
  return [o](CommandContext& ctx) { return commands::to_json(commands::list_repo(ctx, o)); };
}

PreparedCommand prepare_mirror(Fields& f) {
  commands::MirrorOptions o;
  o.package_name = f.str("package_name");
  o.version = f.str("version");
  o.source_repo = f.str("source_repo");
  o.destination_repo = f.str("destination_repo");
  o.resume = f.flag("resume");
  o.tags = f.flag("tags");
  o.template_version = f.opt_str("template_version");
  o.recursive = f.flag("recursive");
  o.repo_mapping = f.string_pairs("repo_mapping");
  o.redirect_dependencies = f.flag("redirect_dependencies");
  return [o](CommandContext& ctx) { return commands::to_json(commands::mirror(ctx, o)); };
}

PreparedCommand prepare_new(Fields& f) {
  commands::NewOptions o;
  o.package_name = f.str("package_name");
  o.version = f.str("version");
  o.destination = f.str("destination");
  o.create_catalog = f.flag("create_catalog");
  o.ignore_file = f.opt_str("ignore_file");
  o.ignore_predicate = f.ignore_predicate("ignore_predicate");
  return [o](CommandContext& ctx) { return commands::to_json(commands::new_package(ctx, o)); };
}

PreparedCommand prepare_create_metapackage(Fields& f) {
  commands::CreateMetapackageOptions o;
  o.package_name = f.str("package_name");
  o.version = f.str("version");
  o.repo = f.str("repo");
  if (auto text = f.json_text("dependencies")) o.dependencies = model::parse_dependency_list(*text, "dependencies");
  o.dependencies_file = f.opt_str("dependencies_file");
  o.skip_dependency_check = f.flag("skip_dependency_check");
  return [o](CommandContext& ctx) { return commands::to_json(commands::create_metapackage(ctx, o)); };
}

PreparedCommand prepare_publish_redirect(Fields& f) {
  commands::PublishRedirectOptions o;
  o.source_repos = f.strings("source_repos");
  o.redirect_repo = f.str("redirect_repo");
  o.external_url = f.opt_str("external_url");
  return [o](CommandContext& ctx) { return commands::to_json(commands::publish_redirect(ctx, o)); };
}

}  // namespace

void add_package_commands(std::map<std::string, CommandPreparer>& t) {
  t["create"] = prepare_create;
  t["install"] = prepare_install;
  t["uninstall"] = prepare_uninstall;
  t["status"] = prepare_status;
  t["check"] = prepare_check;
  t["list-repo"] = prepare_list_repo;
  t["mirror"] = prepare_mirror;
  t["new"] = prepare_new;
  t["create-metapackage"] = prepare_create_metapackage;
  t["publish-redirect"] = prepare_publish_redirect;
}

}  // namespace wrapp::python
