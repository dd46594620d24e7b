#include "commands/item_source.h"

#include <algorithm>
#include <mutex>

#include "commands/file_ops.h"
#include "util/error.h"
#include "util/paths.h"

namespace wrapp::commands {

using storage::Url;

Url recorded_location(std::string_view text) {
  Url full = Url::parse(text);
  const std::string& path = full.path();
  // Below the anchor: from the first ".packages" segment on (the
  // repository is the anchor), else the file's name (its folder is).
  std::string below = full.name();
  for (size_t start = 1; start < path.size();) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (path.compare(start, end - start, ".packages") == 0) {
      below = path.substr(start);
      break;
    }
    start = end + 1;
  }
  if (below.empty()) return full;
  Url base = full;
  size_t segments = 1 + static_cast<size_t>(std::count(below.begin(), below.end(), '/'));
  for (size_t k = 0; k < segments; ++k) base = base.parent();
  return base.anchored().join(below);
}

ItemSources::ItemSources(const model::Catalog& catalog, const Url& package_file, std::string label)
    : root_text_(catalog.root), storage_map_(catalog.storage_map), folder_(package_file.parent()),
      label_(std::move(label)), catalog_items_(catalog.items.size()) {
  if (model::is_absolute_location(root_text_)) {
    try {
      root_ = Url::parse(root_text_);
    } catch (const FailedCommand&) {
      // Not a URL: nothing is rebased onto the folder found; items are read
      // where recorded.
    }
  }
}

std::string ItemSources::describe(const model::CatalogItem& item) const {
  return fmt::format("file '{}' of {}", shorten_for_message(item.relative_path), label_);
}

std::vector<Url> ItemSources::candidates(const model::CatalogItem& item) const {
  if (!storage_map_.empty() && !item.hash.empty()) {
    auto it = storage_map_.find(item.hash.str());
    if (it != storage_map_.end()) {
      if (model::is_absolute_location(it->second)) return {recorded_location(it->second)};
      return {folder_.join(it->second)};  // a safe path below the root: checked when read
    }
  }
  // The recorded source, and the same place below the folder found when it
  // lies below the catalog's root.
  // (`recorded` is made only when the root is another place: in the usual
  // case, a version read where it was written, it would be thrown away.)
  auto rebased = [&](const std::string& below_root, const auto& recorded) {
    std::vector<Url> out{folder_.join(below_root)};
    if (root_ && !(*root_ == folder_)) out.push_back(recorded_location(recorded()));
    return out;
  };
  const std::string& source = item.source_path();
  if (source.empty()) {  // root + "/" + relative_path (not held twice in memory)
    if (!root_) return {folder_.join(item.relative_path)};
    return rebased(item.relative_path, [&] { return root_->join(item.relative_path).str(); });
  }
  if (!model::is_absolute_location(source)) {
    // Relative to the catalog's root, like a storage_map location.
    if (std::string_view problem = relative_path_problem(source); !problem.empty()) {
      fail_with(ErrorCode::kBadInput, "refusing unsafe source_path '{}' ({})", shorten_for_message(source), problem);
    }
    return {folder_.join(source)};
  }
  Url recorded = Url::parse(source);
  std::string below;
  if (root_ && recorded.relative_to(*root_, &below) && !below.empty()) {
    return rebased(below, [&]() -> const std::string& { return source; });
  }
  return {recorded_location(source)};
}

namespace {

const char* what_is(const storage::FileInfo& info) {
  return info.is_dir ? "a folder" : info.is_link ? "a symbolic link" : "a special file";
}

}  // namespace

bool ItemSources::listing_answers(CommandContext& ctx, bool need_metadata) const {
  auto features = ctx.store(folder_).features();
  // Object stores only: they hold no links, so a listed object is what a
  // stat would report.
  if (features.real_folders || features.symbolic_links) return false;
  return !need_metadata || features.listed_metadata;
}

void ItemSources::list_folder_once(CommandContext& ctx, size_t lookups, bool need_metadata) {
  if (!listed_.empty() || lookups < kListingPaysFrom || lookups * 100 < catalog_items_) return;
  if (!listing_answers(ctx, need_metadata)) return;
  ctx.store(folder_).list(folder_, storage::ListOptions{}, [&](std::vector<storage::ListEntry>&& page) {
    for (auto& entry : page) {
      if (entry.info.is_file()) listed_.emplace(std::move(entry.relative_path), std::move(entry.info));
    }
  });
}

void ItemSources::list_folders_once(CommandContext& ctx, size_t lookups, const std::set<std::string>& folders) {
  if (tree_ || !ctx.store(folder_).features().real_folders) return;
  if (lookups < kMinLookupsToList || lookups * kListedFilesPerLookup < catalog_items_) return;
  try {
    tree_ = std::make_shared<const ListedTree>(ctx, folder_, folders, lookups);
  } catch (const Cancelled&) {
    throw;
  } catch (const Error&) {
    // The folder cannot be stat'ed (a link on its way): each lookup meets
    // that on its own, as without a listing, with its own message.
  }
}

void ItemSources::use_listing(CommandContext& ctx, const std::vector<storage::ListEntry>& entries,
                              bool need_metadata) {
  if (!listed_.empty() || !listing_answers(ctx, need_metadata)) return;
  for (const auto& entry : entries) {
    if (entry.info.is_file()) listed_.emplace(entry.relative_path, entry.info);
  }
}

ItemSources::Lookup ItemSources::lookup(CommandContext& ctx, const model::CatalogItem& item, bool follow_links) const {
  std::vector<Url> places = candidates(item);
  Lookup out;
  out.url = places.front();
  for (size_t k = 0; k < places.size(); ++k) {
    const Url& url = places[k];
    // Made only for a place that fails: formatting it for every file found
    // cost a fresh install a message per file.
    auto where = [&] { return fmt::format("{} '{}'", k == 0 ? "not at" : " nor at", url.display()); };
    std::string below;
    if (!listed_.empty() && url.relative_to(folder_, &below)) {
      if (auto it = listed_.find(below); it != listed_.end()) return {Lookup::State::kFound, url, it->second, ""};
    }
    try {
      auto& store = ctx.store(url);
      std::optional<storage::FileInfo> info;
      bool link = false;
      try {
        std::string below_folder;
        info = tree_ && url.relative_to(folder_, &below_folder) ? tree_->stat(below_folder) : store.stat(url);
        link = info && info->is_link;
      } catch (const FailedCommand& e) {
        // stat follows no link beneath the anchor; a read follows those that
        // stay beneath it.
        if (e.code() != ErrorCode::kLinkOnPath || !follow_links) throw;
        link = true;
      }
      if (link && follow_links) {
        auto reader = store.open_read(url);  // refuses a link that leads out
        if (reader) return {Lookup::State::kFound, url, reader->info(), ""};
        info.reset();
      }
      if (info && info->is_file()) return {Lookup::State::kFound, url, *info, ""};
      if (info) return {Lookup::State::kNotAFile, url, *info, what_is(*info)};
    } catch (const Error& e) {
      // The first place is where the bytes belong: its failure is the
      // answer. A later one (the recorded URL, tried after the first was
      // absent) only adds to the message.
      if (k == 0 || dynamic_cast<const Cancelled*>(&e)) throw;
      out.detail += where() + fmt::format(" ({})", e.what());
      continue;
    }
    out.detail += where();
  }
  return out;
}

ItemSources::Found ItemSources::locate(CommandContext& ctx, const model::CatalogItem& item) const {
  Lookup found;
  try {
    found = lookup(ctx, item, /*follow_links=*/true);
  } catch (const Cancelled&) {
    throw;
  } catch (const StorageError& e) {
    throw StorageError(describe(item) + ": " + e.what(), e.code());
  } catch (const Error& e) {
    throw FailedCommand(describe(item) + ": " + e.what(), e.code());
  }
  switch (found.state) {
    case Lookup::State::kFound:
      if (item.size && *item.size != found.info.size) {
        fail_with(ErrorCode::kDamaged, "{} has {} bytes at '{}', the catalog records {}", describe(item),
                  found.info.size, found.url.display(), *item.size);
      }
      return {found.url, found.info};
    case Lookup::State::kMissing: fail_with(ErrorCode::kNotFound, "{} is {}", describe(item), found.detail);
    case Lookup::State::kNotAFile:
      fail_with(ErrorCode::kNotFound, "{}: '{}' is {}, not a file", describe(item), found.url.display(), found.detail);
  }
  fail("unreachable");
}

ItemFailure ItemFailure::of(const Error& e) {
  return {e.what(), e.code(), dynamic_cast<const StorageError*>(&e) != nullptr};
}

void fail_unreadable(const std::string& what, std::vector<ItemFailure> failures) {
  std::sort(failures.begin(), failures.end(),
            [](const ItemFailure& a, const ItemFailure& b) { return a.message < b.message; });
  std::string message = fmt::format("{}: {} file(s) cannot be read where the catalog says; nothing was changed:",
                                    what, failures.size());
  std::vector<std::string> payload;
  for (const auto& f : failures) {
    message += "\n  " + f.message;
    payload.push_back(f.message);
  }
  if (failures.front().storage) throw StorageError(message, failures.front().code, std::move(payload));
  throw FailedCommand(message, failures.front().code, std::move(payload));
}

std::vector<ItemSources::Found> locate_all(CommandContext& ctx, ItemSources& sources,
                                           const model::Catalog& catalog, const std::string& what) {
  sources.list_folder_once(ctx, catalog.items.size());
  std::vector<ItemSources::Found> out(catalog.items.size());
  std::mutex mu;
  std::vector<ItemFailure> failures;
  for_each_transfer(ctx, catalog.items.size(), [&](size_t i) {
    const auto& item = catalog.items[i];
    try {
      out[i] = sources.locate(ctx, item);
    } catch (const Cancelled&) {
      throw;
    } catch (const Error& e) {
      std::lock_guard lock(mu);
      failures.push_back(ItemFailure::of(e));
    }
  });
  if (!failures.empty()) fail_unreadable(what, std::move(failures));
  return out;
}

}  // namespace wrapp::commands
