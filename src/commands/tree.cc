#include "commands/tree.h"


#include <algorithm>
#include <set>

#include "commands/file_ops.h"
#include "commands/repository.h"
#include "util/error.h"
#include "util/json_writer.h"
#include "util/log.h"
#include "util/paths.h"

namespace wrapp::commands {

using storage::Url;

model::IgnoreEvaluator load_ignore_rules(CommandContext& ctx, const Url& root, const std::optional<std::string>& ignore_file,
                                         const model::IgnoreEvaluator::Predicate& predicate) {
  model::IgnoreEvaluator evaluator;
  if (predicate) {
    evaluator.add_predicate(predicate);
  } else if (ignore_file) {
    Url url = parse_location(*ignore_file);
    auto text = storage::read_all(ctx.store(url), url);
    if (!text) fail("ignore file '{}' not found", url.display());
    evaluator.add_rules(model::IgnoreRules::parse(*text));
  } else if (auto text = storage::read_all(ctx.store(root), root.join(".wrappignore"))) {
    evaluator.add_rules(model::IgnoreRules::parse(*text));
  }
  return evaluator;
}

void walk_tree_pages(CommandContext& ctx, const Url& root, const model::IgnoreEvaluator& ignores,
                     storage::SymlinkPolicy symlinks, const std::vector<std::string>& skip_dirs,
                     const storage::ListPage& on_page) {
  auto& store = ctx.store(root);
  auto info = store.stat(root);
  if (!info) fail("folder '{}' not found", root.display());
  if (!info->is_dir) fail("'{}' is a file, not a folder", root.display());
  storage::ListOptions options;
  options.recursive = true;
  options.symlinks = symlinks;
  options.descend = [&ignores, &skip_dirs](const std::string& dir) {
    return std::find(skip_dirs.begin(), skip_dirs.end(), dir) == skip_dirs.end() && !ignores.is_dir_ignored(dir);
  };
  store.list(root, options, [&](std::vector<storage::ListEntry>&& page) {
    std::erase_if(page, [&](const storage::ListEntry& e) {
      return is_wrapp_work_file(base_name(e.relative_path)) || ignores.is_ignored(e.relative_path, false);
    });
    if (!page.empty()) on_page(std::move(page));
  });
}

storage::Listing walk_tree(CommandContext& ctx, const Url& root, const model::IgnoreEvaluator& ignores,
                           storage::SymlinkPolicy symlinks, const std::vector<std::string>& skip_dirs) {
  std::vector<std::vector<storage::ListEntry>> pages;
  walk_tree_pages(ctx, root, ignores, symlinks, skip_dirs,
                  [&](std::vector<storage::ListEntry>&& page) { pages.push_back(std::move(page)); });
  return storage::Listing(std::move(pages));
}

void check_packable_names(const storage::Listing& entries) {
  UnpackableNames names;
  for (const auto& e : entries) names.check(e.relative_path);
  names.throw_if_any();
}

void UnpackableNames::check(const std::string& relative_path) {
  std::string_view problem = relative_path_problem(relative_path);
  if (problem.empty() && !is_valid_utf8(relative_path)) problem = "not valid UTF-8";
  if (!problem.empty()) refused_.emplace_back(relative_path, problem);
}

void UnpackableNames::throw_if_any() {
  if (refused_.empty()) return;
  std::sort(refused_.begin(), refused_.end());
  std::string bad;
  std::vector<std::string> payload;
  for (const auto& [path, problem] : refused_) {
    payload.push_back(shorten_for_message(path));
    bad += fmt::format("\n  {:?}: {}", payload.back(), problem);
  }
  throw FailedCommand(fmt::format("cannot catalog these file names (they could not be installed everywhere); "
                                  "rename or ignore them:{}",
                                  bad),
                      ErrorCode::kBadInput, std::move(payload));
}

model::Catalog hash_tree(CommandContext& ctx, const Url& root, storage::Listing entries,
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
    auto& e = entries[i];
    Url url = root.join(e.relative_path);
    auto& item = catalog.items[i];
    item.relative_path = std::move(e.relative_path);
    item.size = e.info.size;
    item.hash = hash_object(ctx, url, e.info, progress);
    if (progress) progress->add_done(1, 0);
  });
  return catalog;
}

void remove_emptied_folders(CommandContext& ctx, const Url& root, const std::vector<std::string>& removed) {
  auto& store = ctx.store(root);
  if (!store.features().real_folders) return;
  std::set<std::string, std::greater<>> dirs;  // reverse order: children before parents
  for (const auto& rel : removed) {
    for (size_t slash = rel.rfind('/'); slash != std::string::npos && slash > 0; slash = rel.rfind('/', slash - 1)) {
      if (!dirs.insert(rel.substr(0, slash)).second) break;  // its parents are in already
    }
  }
  for (const auto& d : dirs) store.remove_folder(root.join(d));  // fails harmlessly when not empty
}

void remove_empty_folder_tree(CommandContext& ctx, const Url& dir) {
  auto& store = ctx.store(dir);
  if (!store.features().real_folders) return;
  storage::ListOptions options;
  options.include_dirs = true;
  options.symlinks = storage::SymlinkPolicy::kSkipOutside;
  auto entries = storage::list_all(store, dir, options);
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {  // children before parents
    if (it->info.is_dir) store.remove_folder(dir.join(it->relative_path));
  }
  store.remove_folder(dir);
}

void remove_unpublished_leftovers(CommandContext& ctx, const Url& version, const model::Catalog& catalog) {
  auto& store = ctx.store(version);
  storage::ListOptions options;
  options.symlinks = storage::SymlinkPolicy::kSkipOutside;
  std::vector<std::string> removed;
  for (const auto& e : storage::list_all(store, version, options)) {
    if (catalog.find(e.relative_path)) continue;
    log::info("removing '{}', left over by an interrupted run", version.join(e.relative_path).display());
    store.remove(version.join(e.relative_path));
    removed.push_back(e.relative_path);
  }
  remove_emptied_folders(ctx, version, removed);
  // A leftover folder where the version needs a file.
  for (const auto& item : catalog.items) {
    Url target = version.join(item.relative_path);
    if (auto info = store.stat(target); info && info->is_dir) remove_empty_folder_tree(ctx, target);
  }
}

bool behind_link(CommandContext& ctx, const Url& url, std::optional<storage::FileInfo>* info) {
  try {
    auto found = ctx.store(url).stat(url);
    if (found && found->is_link) return true;
    if (info) *info = std::move(found);
    return false;
  } catch (const FailedCommand& e) {
    if (e.code() == ErrorCode::kLinkOnPath) return true;
    throw;
  }
}

std::string_view base_name(std::string_view rel) {
  size_t slash = rel.rfind('/');
  return slash == std::string_view::npos ? rel : rel.substr(slash + 1);
}

std::string_view parent_dir(std::string_view rel) {
  size_t slash = rel.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : rel.substr(0, slash);
}

bool is_wrapp_work_file(std::string_view name) {
  return name == ".wrapp-install.lock" || name.starts_with(".wrapp-partial-");
}

bool is_wrapp_file_name(std::string_view name) {
  return name.size() > 6 && name.substr(name.size() - 6) == ".wrapp";
}

}  // namespace wrapp::commands
