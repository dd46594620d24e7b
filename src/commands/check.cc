#include "commands/check.h"

#include <set>

#include "commands/file_ops.h"
#include "commands/repository.h"
#include "commands/tree.h"
#include "util/error.h"

namespace wrapp::commands {

using storage::Url;

const char* check_status_name(CheckResult::Status s) {
  switch (s) {
    case CheckResult::Status::kOk: return "ok";
    case CheckResult::Status::kMissing: return "missing";
    case CheckResult::Status::kSizeMismatch: return "size_mismatch";
    case CheckResult::Status::kHashMismatch: return "hash_mismatch";
    case CheckResult::Status::kUnreadable: return "unreadable";
    case CheckResult::Status::kNotAFile: return "not_a_file";
    case CheckResult::Status::kStray: return "stray";
  }
  return "?";
}

namespace {

// Entries of a repository version folder that the version does not hold:
// nothing but the catalog's files and the package file belongs there.
void report_strays(CommandContext& ctx, const Url& folder, const model::PackageInfo& info,
                   const model::Catalog& catalog, std::vector<CheckResult>& out) {
  storage::ListOptions options;
  options.symlinks = storage::SymlinkPolicy::kReportLinks;
  options.include_other = true;
  options.include_dirs = true;
  std::string marker = model::wrapp_file_name(info.name);
  for (const auto& e : storage::list_all(ctx.store(folder), folder, options)) {
    std::string_view name = base_name(e.relative_path);
    const char* what = nullptr;
    if (e.info.is_dir) {
      if (name == ".packages") what = "a nested .packages folder";
    } else if (e.info.is_link) {
      if (!catalog.find(e.relative_path)) what = "a symbolic link";
    } else if (e.info.is_other) {
      if (!catalog.find(e.relative_path)) what = "a special file";
    } else if (e.relative_path != marker && !catalog.find(e.relative_path)) {
      what = "a file that is not in the catalog";
    }
    if (!what) continue;
    CheckResult r;
    r.package_name = info.name;
    r.version = info.version;
    r.relative_path = e.relative_path;
    r.url = folder.join(e.relative_path).str();
    r.status = CheckResult::Status::kStray;
    r.detail = what;
    out.push_back(std::move(r));
  }
}

void check_one(CommandContext& ctx, const Url& wrapp_file, bool recursive, std::vector<CheckResult>& out,
               std::set<std::string>& visited) {
  if (!visited.insert(wrapp_file.str()).second) return;
  auto info = require_package_info(ctx, wrapp_file, "package file");
  Url folder = wrapp_file.parent();
  auto& store = ctx.store(folder);
  model::Catalog catalog = info.catalog ? *info.catalog : model::Catalog{};
  size_t base = out.size();
  out.resize(base + catalog.items.size());
  auto& progress = ctx.scheduler.sub_job("check " + info.name + " " + info.version);
  progress.add_total(catalog.items.size(), catalog.total_size());
  for_each_transfer(ctx, catalog.items.size(), [&](size_t i) {
    const auto& item = catalog.items[i];
    Url url = folder.join(item.relative_path);
    CheckResult& r = out[base + i];
    r.package_name = info.name;
    r.version = info.version;
    r.relative_path = item.relative_path;
    r.url = url.str();
    r.expected_size = item.size.value_or(0);
    r.expected_hash = item.hash.str();
    try {
      auto st = store.stat(url);
      if (!st) {
        r.status = CheckResult::Status::kMissing;
      } else if (!st->is_file()) {
        r.status = CheckResult::Status::kNotAFile;
        r.detail = st->is_link ? "a symbolic link" : st->is_dir ? "a folder" : "a special file";
      } else if (r.actual_size = st->size; item.size && *item.size != st->size) {
        r.status = CheckResult::Status::kSizeMismatch;
      } else {
        r.actual_hash = hash_object(ctx, url, *st, &progress).str();
        if (!item.hash.empty() && r.actual_hash != item.hash) r.status = CheckResult::Status::kHashMismatch;
      }
    } catch (const Error& e) {
      if (dynamic_cast<const Cancelled*>(&e)) throw;
      r.status = e.code() == ErrorCode::kLinkOnPath ? CheckResult::Status::kNotAFile : CheckResult::Status::kUnreadable;
      r.detail = e.what();
    }
    progress.add_done(1, 0);
  }, &store);
  progress.set_finished();
  if (folder.parent().parent().name() == ".packages") report_strays(ctx, folder, info, catalog, out);
  if (!recursive) return;
  for (const auto& d : info.dependencies) {
    Url repo = d.repository.empty() ? folder.parent().parent().parent() : parse_location(d.repository);
    Url marker = repo_marker_url(repo, d.package, d.version);
    if (!ctx.store(marker).stat(marker)) {
      CheckResult r;
      r.package_name = d.package;
      r.version = d.version;
      r.relative_path = model::wrapp_file_name(d.package);
      r.url = marker.str();
      r.status = CheckResult::Status::kMissing;
      out.push_back(std::move(r));
      continue;
    }
    check_one(ctx, marker, recursive, out, visited);
  }
}

}  // namespace

std::vector<CheckResult> check_package_content(CommandContext& ctx, const CheckOptions& opt) {
  Url wrapp_file = parse_location(opt.wrapp_file);
  std::vector<CheckResult> out;
  std::set<std::string> visited;
  check_one(ctx, wrapp_file, opt.recursive, out, visited);
  return out;
}

}  // namespace wrapp::commands
