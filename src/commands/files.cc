#include "commands/files.h"

#include <fnmatch.h>

#include <algorithm>
#include <memory>

#include <nlohmann/json.hpp>

#include "commands/file_ops.h"
#include "commands/item_source.h"
#include "commands/repository.h"
#include "storage/storage.h"
#include "util/error.h"

namespace wrapp::commands {

using storage::Url;

LsResult ls(CommandContext& ctx, const LsOptions& opt) {
  Url url = parse_location(opt.url);
  auto& store = ctx.store(url);
  auto info = store.stat(url);
  if (!info) fail("'{}' not found", url.display());
  std::vector<storage::ListEntry> entries;
  Url base = url;
  if (!info->is_dir) {
    base = url.parent();
    entries.push_back({url.name(), *info});
  } else {
    storage::ListOptions options;
    options.recursive = opt.recursive;
    options.include_dirs = true;
    options.symlinks = storage::SymlinkPolicy::kSkipOutside;
    entries = storage::list_all(store, url, options);
  }
  std::vector<LsItem> out;
  for (const auto& e : entries) {
    if (!opt.patterns.empty()) {
      bool match = false;
      for (const auto& p : opt.patterns) match = match || ::fnmatch(p.c_str(), e.relative_path.c_str(), 0) == 0;
      if (!match) continue;
    }
    out.push_back({e.relative_path, base.join(e.relative_path).str(), e.info.is_dir, e.info.size, ""});
  }
  if (opt.with_hash) {
    for_each_transfer(ctx, out.size(), [&](size_t i) {
      if (out[i].is_dir) return;
      Url u = base.join(out[i].relative_path);
      auto st = store.stat(u);
      if (st) out[i].hash = hash_object(ctx, u, *st, nullptr).str();
    });
  }
  return {url.str(), std::move(out)};
}

nlohmann::json to_json(const LsResult& result) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& i : result.items) {
    out.push_back({{"relative_path", i.relative_path},
                   {"source_path", i.url},
                   {"item_type", i.is_dir ? "folder" : "file"},
                   {"size", i.is_dir ? nlohmann::json(nullptr) : nlohmann::json(i.size)},
                   {"hash", i.hash.empty() ? nlohmann::json(nullptr) : nlohmann::json(i.hash)}});
  }
  return out;
}

CatResult cat(CommandContext& ctx, const CatOptions& opt) {
  Url url = parse_location(opt.url);
  auto reader = ctx.store(url).open_read(url);
  if (!reader) fail("'{}' not found", url.display());
  std::unique_ptr<char[]> buf(new char[1 << 20]);
  CatResult result;
  while (result.bytes < reader->size()) {
    size_t n = reader->read_at(result.bytes, buf.get(), 1 << 20);
    if (n == 0) break;
    opt.sink(std::string_view(buf.get(), n));
    result.bytes += n;
  }
  return result;
}

namespace {

// One file get writes.
struct GetCopy {
  Url from;
  Url to;
  uint64_t size = 0;
  model::ContentHash hash;  // verified while copying; empty when unknown
};

// The files of a repository version at or below `url`, when `url` lies in
// a version folder whose package file exists and whose catalog lists
// something there: each read where its catalog item says (a redirect
// package's files lie elsewhere) and verified against its hash. `target`
// is where `url` itself goes. nullopt: not a package's files (get copies
// what the storage holds).
std::optional<std::vector<GetCopy>> package_files_at(CommandContext& ctx, const Url& url, const Url& target,
                                                     bool target_is_folder) {
  const std::string& path = url.path();
  size_t at = path.find("/.packages/");
  if (at == std::string::npos) return std::nullopt;
  std::string below_packages = path.substr(at + std::string("/.packages/").size());
  size_t slash1 = below_packages.find('/');
  if (slash1 == std::string::npos) return std::nullopt;
  size_t slash2 = below_packages.find('/', slash1 + 1);
  std::string name = below_packages.substr(0, slash1);
  std::string version = below_packages.substr(slash1 + 1, slash2 == std::string::npos ? slash2 : slash2 - slash1 - 1);
  std::string below = slash2 == std::string::npos ? "" : below_packages.substr(slash2 + 1);
  Url repo = url;
  size_t up = 2 + static_cast<size_t>(std::count(below_packages.begin(), below_packages.end(), '/'));
  for (size_t k = 0; k < up; ++k) repo = repo.parent();
  std::optional<RepoPackageFile> package;
  try {
    package = find_repo_package(ctx, repo.anchored(), name, version);
  } catch (const FailedCommand& e) {
    if (e.code() == ErrorCode::kBadInput) return std::nullopt;  // no valid name or version: plain files
    throw;
  }
  if (!package || !package->info.catalog) return std::nullopt;
  const model::Catalog& catalog = *package->info.catalog;
  model::Catalog wanted;
  wanted.root = catalog.root;
  for (const auto& item : catalog.items) {
    const std::string& rel = item.relative_path;
    if (below.empty() || rel == below || (rel.starts_with(below) && rel[below.size()] == '/')) {
      wanted.items.push_back(item);
    }
  }
  if (wanted.items.empty()) return std::nullopt;
  ItemSources sources(catalog, package->url, fmt::format("package '{}' {}", name, version));
  auto found = locate_all(ctx, sources, wanted, fmt::format("cannot get '{}'", url.display()));
  std::vector<GetCopy> out;
  for (size_t i = 0; i < wanted.items.size(); ++i) {
    const auto& item = wanted.items[i];
    Url to = target;
    if (item.relative_path != below) {
      to = target.join(below.empty() ? item.relative_path : item.relative_path.substr(below.size() + 1));
    } else if (target_is_folder) {
      to = target.join(url.name());
    }
    out.push_back({found[i].url, to, found[i].info.size, item.hash});
  }
  // The version folder itself: its package file comes along, as it is.
  if (below.empty()) {
    if (auto info = ctx.store(package->url).stat(package->url)) {
      out.push_back({package->url, target.join(package->url.name()), info->size, {}});
    }
  }
  return out;
}

}  // namespace

GetResult get(CommandContext& ctx, const GetOptions& opt) {
  Url url = parse_location(opt.url);
  auto& store = ctx.store(url);
  auto info = store.stat(url);
  std::string name = url.name();
  Url target = parse_location(opt.local_path.value_or(name.empty() ? "." : name));
  auto& target_store = ctx.store(target);
  auto target_info = target_store.stat(target);

  std::vector<GetCopy> copies;
  if (auto files = package_files_at(ctx, url, target, target_info && target_info->is_dir)) {
    copies = std::move(*files);
  } else if (!info) {
    fail_with(ErrorCode::kNotFound, "'{}' not found", url.display());
  } else if (info->is_dir) {
    storage::ListOptions options;
    options.symlinks = storage::SymlinkPolicy::kSkipOutside;
    for (const auto& e : storage::list_all(store, url, options)) {
      copies.push_back({url.join(e.relative_path), target.join(e.relative_path), e.info.size, {}});
    }
  } else {
    if (target_info && target_info->is_dir) target = target.join(name);
    copies.push_back({url, target, info->size, {}});
  }
  if (!opt.overwrite) {
    std::string existing;
    for (const auto& c : copies) {
      if (target_store.stat(c.to)) existing += "\n  " + c.to.display();
    }
    if (!existing.empty()) fail("not overwriting existing file(s) (pass --overwrite):{}", existing);
  }
  if (ctx.dry_run) return {copies.size()};
  auto& progress = ctx.scheduler.sub_job("get " + url.display(), "copying");
  uint64_t total = 0;
  for (const auto& c : copies) total += c.size;
  progress.add_total(copies.size(), total);
  for_each_transfer(ctx, copies.size(), [&](size_t i) {
    CopyRequest req;
    req.from = copies[i].from;
    req.to = copies[i].to;
    req.size = copies[i].size;
    req.expected_hash = copies[i].hash;
    req.need_hash = true;  // a package's file is verified against its catalog
    req.write.overwrite = true;  // existing files were refused above unless --overwrite
    req.owner_writable = true;
    copy_object(ctx, req, &progress);
    progress.add_done(1, 0);
  });
  progress.set_finished();
  return {copies.size()};
}

nlohmann::json to_json(const GetResult& r) { return {{"files", r.files}}; }

nlohmann::json to_json(const CatResult& r) { return {{"bytes", r.bytes}}; }

}  // namespace wrapp::commands
