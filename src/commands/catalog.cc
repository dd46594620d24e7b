#include "commands/catalog.h"

#include <unordered_set>

#include "commands/repository.h"
#include "commands/tree.h"
#include "storage/storage.h"
#include "util/error.h"

namespace wrapp::commands {

using storage::Url;

model::Catalog catalog(CommandContext& ctx, const CatalogOptions& opt) {
  Url root = parse_location(opt.root_dir);
  auto ignores = load_ignore_rules(ctx, root, opt.ignore_file);
  auto entries = walk_tree(ctx, root, ignores);
  check_packable_names(entries);
  auto& job = ctx.scheduler.sub_job("catalog " + root.display());
  auto result = hash_tree(ctx, root, entries, &job);
  job.set_finished();
  return result;
}

void write_catalog_file(CommandContext& ctx, const model::Catalog& catalog, const std::string& output) {
  storage::WriteOptions wopts;
  wopts.overwrite = true;
  write_json(ctx, parse_location(output), wopts, [&](JsonWriter& w) { model::write_catalog_file(w, catalog); });
}

model::Catalog load_catalog_file(CommandContext& ctx, const std::string& location) {
  Url url = parse_location(location);
  std::string origin = url.display();
  auto catalog = parse_document<model::Catalog>(ctx, url, [&](std::string_view text, const TextWindow* window) {
    return model::parse_catalog_file(text, origin, window);
  });
  if (!catalog) fail("catalog file '{}' not found", origin);
  return std::move(*catalog);
}

model::CatalogDiff diff(CommandContext& ctx, const std::string& a, const std::string& b) {
  return model::diff_catalogs(load_catalog_file(ctx, a), load_catalog_file(ctx, b));
}

CatalogCount count(CommandContext& ctx, const std::string& catalog_file) {
  auto catalog = load_catalog_file(ctx, catalog_file);
  CatalogCount c;
  std::unordered_set<std::string> hashes, folders;
  for (const auto& item : catalog.items) {
    ++c.files;
    uint64_t size = item.size.value_or(0);
    c.bytes += size;
    if (item.hash.empty() || hashes.insert(item.hash.str()).second) {
      ++c.unique_contents;
      c.unique_bytes += size;
    } else {
      ++c.duplicate_files;
    }
    size_t slash = item.relative_path.rfind('/');
    folders.insert(slash == std::string::npos ? "" : item.relative_path.substr(0, slash));
  }
  c.folders = folders.size();
  return c;
}

}  // namespace wrapp::commands
