// The file, catalog, patch and archive commands as the Python face calls
// them: options from the dict, the result as its to_json.
#include <nlohmann/json.hpp>

#include "commands/apply_patch.h"
#include "commands/catalog.h"
#include "commands/create_patch.h"
#include "commands/export_package.h"
#include "commands/files.h"
#include "commands/freeze.h"
#include "commands/import_package.h"
#include "python/binding.h"
#include "util/error.h"

namespace wrapp::python {

namespace {

using commands::CommandContext;

PreparedCommand prepare_catalog(Fields& f) {
  commands::CatalogOptions o;
  o.root_dir = f.str_or("root_dir", "");
  o.ignore_file = f.opt_str("ignore_file");
  o.ignore_predicate = f.ignore_predicate("ignore_predicate");
  o.file_list = f.opt_str("file_list");
  o.skip_missing = f.flag("skip_missing");
  o.local_hash = f.flag("local_hash");
  o.tags = f.flag("tags");
  o.output = f.opt_str("output");
  return [o](CommandContext& ctx) { return commands::to_json(commands::catalog(ctx, o)); };
}

PreparedCommand prepare_diff(Fields& f) {
  commands::DiffOptions o;
  o.catalog_a = f.str("catalog_a");
  o.catalog_b = f.str("catalog_b");
  o.ignore_tags = f.flag("ignore_tags");
  return [o](CommandContext& ctx) { return commands::to_json(commands::diff(ctx, o)); };
}

PreparedCommand prepare_count(Fields& f) {
  commands::CountOptions o;
  o.catalog_file = f.str("catalog_file");
  return [o](CommandContext& ctx) { return commands::to_json(commands::count(ctx, o)); };
}

PreparedCommand prepare_ls(Fields& f) {
  commands::LsOptions o;
  o.url = f.str("url");
  o.recursive = f.flag("recursive");
  o.patterns = f.strings("patterns");
  o.with_hash = f.flag("with_hash");
  return [o](CommandContext& ctx) { return commands::to_json(commands::ls(ctx, o)); };
}

// The content goes to `sink(bytes)`, a Python callable, as it is read.
PreparedCommand prepare_cat(Fields& f) {
  commands::CatOptions o;
  o.url = f.str("url");
  if (auto sink = f.callable("sink")) {
    o.sink = [sink](std::string_view data) {
      nb::gil_scoped_acquire gil;
      try {
        sink->get()(nb::bytes(data.data(), data.size()));
      } catch (nb::python_error& e) {
        throw StorageError(fmt::format("cannot write the content: {}", e.what()));
      }
    };
  }
  return [o](CommandContext& ctx) { return commands::to_json(commands::cat(ctx, o)); };
}

PreparedCommand prepare_get(Fields& f) {
  commands::GetOptions o;
  o.url = f.str("url");
  o.local_path = f.opt_str("local_path");
  o.overwrite = f.flag("overwrite");
  return [o](CommandContext& ctx) { return commands::to_json(commands::get(ctx, o)); };
}

PreparedCommand prepare_freeze(Fields& f) {
  commands::FreezeOptions o;
  o.source = f.str("source");
  o.destination = f.str("destination");
  o.catalog = f.flag("catalog");
  o.ignore_file = f.opt_str("ignore_file");
  o.ignore_predicate = f.ignore_predicate("ignore_predicate");
  o.skip_missing = f.flag("skip_missing");
  o.overwrite = f.flag("overwrite");
  return [o](CommandContext& ctx) { return commands::to_json(commands::freeze(ctx, o)); };
}

PreparedCommand prepare_create_patch(Fields& f) {
  commands::CreatePatchOptions o;
  o.a_catalog = f.str("a_catalog");
  o.b_catalog = f.str("b_catalog");
  o.baseline = f.str("baseline");
  o.patch = f.opt_str("patch");
  o.tags = f.flag("tags");
  o.overwrite = f.flag("overwrite");
  o.ignore = f.flag("ignore");
  o.force = f.flag("force");
  return [o](CommandContext& ctx) { return commands::to_json(commands::create_patch(ctx, o)); };
}

PreparedCommand prepare_apply_patch(Fields& f) {
  commands::ApplyPatchOptions o;
  o.patch_text = f.json_text("patch_content");
  o.patch = f.str_or("patch", o.patch_text ? "<patch>" : "");
  return [o](CommandContext& ctx) { return commands::to_json(commands::apply_patch(ctx, o)); };
}

PreparedCommand prepare_export(Fields& f) {
  commands::ExportOptions o;
  o.package_name = f.str("package_name");
  o.version = f.str("version");
  o.output = f.str("output");
  o.repo = f.opt_str("repo");
  o.catalog = f.opt_str("catalog");
  o.dedup = f.flag("dedup");
  o.overwrite = f.flag("overwrite");
  return [o](CommandContext& ctx) { return commands::to_json(commands::export_package(ctx, o)); };
}

PreparedCommand prepare_import(Fields& f) {
  commands::ImportOptions o;
  o.package_file = f.str("package_file");
  o.repository = f.str("repository");
  o.overwrite = f.flag("overwrite");
  return [o](CommandContext& ctx) { return commands::to_json(commands::import_package(ctx, o)); };
}

}  // namespace

void add_file_commands(std::map<std::string, CommandPreparer>& t) {
  t["catalog"] = prepare_catalog;
  t["diff"] = prepare_diff;
  t["count"] = prepare_count;
  t["ls"] = prepare_ls;
  t["cat"] = prepare_cat;
  t["get"] = prepare_get;
  t["freeze"] = prepare_freeze;
  t["create-patch"] = prepare_create_patch;
  t["apply-patch"] = prepare_apply_patch;
  t["export"] = prepare_export;
  t["import"] = prepare_import;
}

}  // namespace wrapp::python
