#include "commands/tree.h"

#include "commands/file_ops.h"
#include "commands/repository.h"
#include "util/error.h"

namespace wrapp::commands {

using storage::Url;

model::IgnoreEvaluator load_ignore_rules(const Url& root, const std::optional<std::string>& ignore_file) {
  model::IgnoreEvaluator evaluator;
  if (ignore_file) {
    Url url = parse_location(*ignore_file);
    auto text = storage::read_all(url);
    if (!text) fail("ignore file '{}' not found", url.display());
    evaluator.add_rules(model::IgnoreRules::parse(*text));
  } else if (auto text = storage::read_all(root.join(".wrappignore"))) {
    evaluator.add_rules(model::IgnoreRules::parse(*text));
  }
  return evaluator;
}

std::vector<storage::ListEntry> walk_tree(const Url& root, const model::IgnoreEvaluator& ignores,
                                          storage::SymlinkPolicy symlinks, const std::string& skip_dir) {
  auto& store = storage::storage_for(root);
  auto info = store.stat(root);
  if (!info) fail("folder '{}' not found", root.display());
  if (!info->is_dir) fail("'{}' is a file, not a folder", root.display());
  storage::ListOptions options;
  options.recursive = true;
  options.symlinks = symlinks;
  options.descend = [&ignores, &skip_dir](const std::string& dir) {
    return dir != skip_dir && !ignores.is_dir_ignored(dir);
  };
  auto entries = store.list(root, options);
  std::erase_if(entries, [&](const storage::ListEntry& e) { return ignores.is_ignored(e.relative_path, false); });
  return entries;
}

model::Catalog hash_tree(CommandContext& ctx, const Url& root, const std::vector<storage::ListEntry>& entries,
                         exec::ProgressJob* progress) {
  model::Catalog catalog;
  catalog.root = root.str();
  catalog.items.resize(entries.size());
  if (progress) {
    uint64_t bytes = 0;
    for (const auto& e : entries) bytes += e.info.size;
    progress->add_total(entries.size(), bytes);
  }
  for_each_transfer(ctx, entries.size(), [&](size_t i) {
    const auto& e = entries[i];
    Url url = root.join(e.relative_path);
    auto& item = catalog.items[i];
    item.relative_path = e.relative_path;
    item.source_path = url.str();
    item.size = e.info.size;
    item.hash = hash_object(ctx, url, e.info, progress);
    if (progress) progress->add_done(1, 0);
  });
  return catalog;
}

std::string_view base_name(std::string_view rel) {
  size_t slash = rel.rfind('/');
  return slash == std::string_view::npos ? rel : rel.substr(slash + 1);
}

bool is_wrapp_file_name(std::string_view name) {
  return name.size() > 6 && name.substr(name.size() - 6) == ".wrapp";
}

}  // namespace wrapp::commands
