#include "commands/freeze.h"

#include <set>

#include <nlohmann/json.hpp>

#include "commands/catalog.h"
#include "commands/file_ops.h"
#include "commands/publish.h"
#include "commands/repository.h"
#include "commands/tree.h"
#include "util/error.h"
#include "util/log.h"

namespace wrapp::commands {

using storage::Url;

namespace {

struct SourceFile {
  std::string relative_path;
  Url from;
  uint64_t size = 0;
  model::ContentHash hash;  // the catalog's, verified while copying; empty from a folder
};

// A folder: every file its ignore rules keep, `.wrapp` files included (the
// frozen tree is what a later `create` from it would see), wrapp's own
// working files left out.
std::vector<SourceFile> collect_folder(CommandContext& ctx, const Url& src, const FreezeOptions& opt) {
  auto info = ctx.store(src).stat(src);
  if (!info) fail_with(ErrorCode::kNotFound, "source folder '{}' not found", src.display());
  if (!info->is_dir) {
    fail_with(ErrorCode::kBadInput, "source '{}' is not a folder (a catalog file needs --catalog)", src.display());
  }
  auto ignores = load_ignore_rules(ctx, src, opt.ignore_file, opt.ignore_predicate);
  auto entries = walk_tree(ctx, src, ignores);
  check_packable_names(entries);
  std::vector<SourceFile> files;
  files.reserve(entries.size());
  for (const auto& e : entries) files.push_back({e.relative_path, src.join(e.relative_path), e.info.size, {}});
  return files;
}

// A catalog: each item's bytes where the catalog says (storage map, source
// path). Missing and resized files are reported together; missing ones are
// left out instead with --skip-missing.
std::vector<SourceFile> collect_catalog(CommandContext& ctx, const FreezeOptions& opt,
                                        std::vector<std::string>& skipped) {
  Url catalog_url = parse_location(opt.source);
  auto catalog = load_catalog_file(ctx, opt.source);
  std::vector<SourceFile> files(catalog.items.size());
  std::vector<std::string> missing(catalog.items.size()), resized(catalog.items.size());
  for_each_request(ctx, catalog.items.size(), [&](size_t i) {
    const auto& item = catalog.items[i];
    Url from = parse_location(catalog.fetch_url(item));
    auto info = ctx.store(from).stat(from);
    if (!info || !info->is_file()) {
      missing[i] = fmt::format("{} ({})", item.relative_path, from.display());
    } else if (item.size && *item.size != info->size) {
      resized[i] = fmt::format("{} ({}: {} bytes, the catalog records {})", item.relative_path, from.display(),
                               info->size, *item.size);
    }
    files[i] = {item.relative_path, from, info ? info->size : 0, item.hash};
  });
  auto listed = [](const std::vector<std::string>& problems) {
    std::string list;
    for (const auto& p : problems) {
      if (!p.empty()) list += "\n  " + p;
    }
    return list;
  };
  if (auto list = listed(resized); !list.empty()) {
    fail_with(ErrorCode::kModified, "files of catalog '{}' changed size since it was made:{}", catalog_url.display(),
              list);
  }
  if (auto list = listed(missing); !list.empty()) {
    if (!opt.skip_missing) {
      fail_with(ErrorCode::kNotFound, "files of catalog '{}' are missing (pass --skip-missing to freeze the others):{}",
                catalog_url.display(), list);
    }
    log::warn("leaving out the missing files of catalog '{}':{}", catalog_url.display(), list);
  }
  std::vector<SourceFile> present;
  for (size_t i = 0; i < files.size(); ++i) {
    if (missing[i].empty()) {
      present.push_back(std::move(files[i]));
    } else {
      skipped.push_back(files[i].relative_path);
    }
  }
  return present;
}

// The destination: a folder, absent or empty unless `overwrite`. Returns
// whether it existed.
bool check_destination(CommandContext& ctx, const Url& dst, const FreezeOptions& opt) {
  refuse_inside_packages(dst, "destination");
  auto& store = ctx.store(dst);
  auto info = store.stat(dst);
  if (!info) return false;
  if (!info->is_dir) fail_with(ErrorCode::kBadInput, "destination '{}' is not a folder", dst.display());
  if (opt.overwrite) return true;
  storage::ListOptions options;
  options.recursive = false;
  options.include_dirs = true;
  options.include_other = true;
  options.symlinks = storage::SymlinkPolicy::kReportLinks;
  if (!storage::list_all(store, dst, options).empty()) {
    fail_with(ErrorCode::kAlreadyExists,
              "destination '{}' is not empty; pass --overwrite to write into it (files at the same paths are "
              "replaced, the others left alone)",
              dst.display());
  }
  return true;
}

// After a failed freeze into an empty destination: what it wrote goes, so
// the destination is as before.
void remove_copies(CommandContext& ctx, const Url& dst, const std::vector<std::string>& written,
                   const std::set<std::string>& folders, bool existed) {
  try {
    auto& store = ctx.store(dst);
    for (const auto& rel : written) store.remove(dst.join(rel));
    // Children before parents; a folder that is not empty stays.
    for (auto it = folders.rbegin(); it != folders.rend(); ++it) store.remove_folder(dst.join(*it));
    if (!existed) store.remove_folder(dst);
  } catch (const std::exception& e) {
    log::warn("could not remove what the failed freeze wrote in '{}': {}", dst.display(), e.what());
  }
}

}  // namespace

FreezeResult freeze(CommandContext& ctx, const FreezeOptions& opt) {
  Url src = parse_location(opt.source);
  Url dst = parse_location(opt.destination);
  if (opt.catalog && (opt.ignore_file || opt.ignore_predicate)) {
    fail_with(ErrorCode::kBadInput, "--ignore-file applies to a source folder; a catalog lists exactly the files to "
              "freeze");
  }
  if (!opt.catalog && opt.skip_missing) {
    fail_with(ErrorCode::kBadInput, "--skip-missing applies to --catalog; a folder's files are there by definition");
  }
  if (std::string inside; !opt.catalog && dst.relative_to(src, &inside)) {
    fail_with(ErrorCode::kBadInput, "destination '{}' lies inside the source '{}'; choose a folder outside it",
              dst.display(), src.display());
  }
  FreezeResult result;
  auto files = opt.catalog ? collect_catalog(ctx, opt, result.skipped) : collect_folder(ctx, src, opt);
  bool existed = check_destination(ctx, dst, opt);
  result.destination = dst.str();
  result.plan.target = dst.str();
  for (const auto& f : files) {
    result.plan.actions.push_back({PlanAction::Kind::kCopy, f.relative_path, f.from.str(), f.size, f.hash});
  }
  if (ctx.dry_run) return result;

  auto& store = ctx.store(dst);
  std::set<std::string> folders;
  for (const auto& f : files) {
    for (size_t slash = f.relative_path.find('/'); slash != std::string::npos;
         slash = f.relative_path.find('/', slash + 1)) {
      folders.insert(f.relative_path.substr(0, slash));
    }
  }
  auto& progress = ctx.scheduler.sub_job("freeze " + dst.display(), "copying");
  progress.add_total(files.size(), result.plan.bytes(PlanAction::Kind::kCopy));
  std::vector<char> written(files.size(), 0);  // not vector<bool>: workers write neighbours
  try {
    store.prepare_folders(dst, {folders.begin(), folders.end()});
    for_each_transfer(ctx, files.size(), [&](size_t i) {
      const auto& f = files[i];
      CopyRequest req;
      req.from = f.from;
      req.to = dst.join(f.relative_path);
      req.size = f.size;
      req.expected_hash = f.hash;
      req.need_hash = !f.hash.empty();  // the catalog's hash, verified while the bytes pass
      req.write.overwrite = opt.overwrite;
      copy_object(ctx, req, &progress);
      written[i] = 1;
      progress.add_done(1, 0);
    }, &store);
  } catch (...) {
    if (!opt.overwrite) {
      std::vector<std::string> paths;
      for (size_t i = 0; i < files.size(); ++i) {
        if (written[i]) paths.push_back(files[i].relative_path);
      }
      remove_copies(ctx, dst, paths, folders, existed);
    }
    throw;
  }
  progress.set_finished();
  return result;
}

nlohmann::json to_json(const FreezeResult& r) {
  return {{"destination", r.destination}, {"files", r.plan.count(PlanAction::Kind::kCopy)},
          {"bytes", r.plan.bytes(PlanAction::Kind::kCopy)}, {"skipped", r.skipped}, {"plan", r.plan.to_json()}};
}

}  // namespace wrapp::commands
