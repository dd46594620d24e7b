#include "commands/check.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "commands/file_ops.h"
#include "commands/item_source.h"
#include "commands/package_file_argument.h"
#include "commands/repository.h"
#include "commands/tree.h"
#include "util/error.h"

namespace wrapp::commands {

using storage::Url;

const char* check_status_name(FileCheck::Status s) {
  switch (s) {
    case FileCheck::Status::kOk: return "ok";
    case FileCheck::Status::kMissing: return "missing";
    case FileCheck::Status::kSizeMismatch: return "size_mismatch";
    case FileCheck::Status::kHashMismatch: return "hash_mismatch";
    case FileCheck::Status::kUnreadable: return "unreadable";
    case FileCheck::Status::kNotAFile: return "not_a_file";
    case FileCheck::Status::kStray: return "stray";
    case FileCheck::Status::kUnverified: return "unverified";
  }
  return "?";
}

bool is_problem(const FileCheck& r) {
  return r.status != FileCheck::Status::kOk && r.status != FileCheck::Status::kUnverified;
}

size_t CheckResult::problems() const {
  return std::count_if(files.begin(), files.end(), [](const FileCheck& f) { return is_problem(f); });
}

size_t CheckResult::unverified() const {
  return std::count_if(files.begin(), files.end(),
                       [](const FileCheck& f) { return f.status == FileCheck::Status::kUnverified; });
}

size_t CheckResult::by_metadata() const {
  return std::count_if(files.begin(), files.end(), [](const FileCheck& f) { return f.by_metadata; });
}

nlohmann::json to_json(const CheckResult& result) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& r : result.files) {
    files.push_back({{"package", r.package_name}, {"version", r.version}, {"relative_path", r.relative_path},
                     {"url", r.url}, {"status", check_status_name(r.status)}, {"expected_size", r.expected_size},
                     {"actual_size", r.actual_size}, {"expected_hash", r.expected_hash},
                     {"actual_hash", r.actual_hash}, {"detail", r.detail}, {"by_metadata", r.by_metadata}});
  }
  return {{"ok", result.ok()},
          {"unverified", result.unverified()},
          {"by_metadata", result.by_metadata()},
          {"files", std::move(files)}};
}

namespace {

// Everything in a repository version folder: files, folders, links and
// special files, for report_strays (and, on an object store, to answer the
// check's lookups: one listing instead of two).
std::vector<storage::ListEntry> list_version_folder(CommandContext& ctx, const Url& folder) {
  storage::ListOptions options;
  options.symlinks = storage::SymlinkPolicy::kReportLinks;
  options.include_other = true;
  options.include_dirs = true;
  return storage::list_all(ctx.store(folder), folder, options);
}

// Entries of a repository version folder (`entries`, list_version_folder)
// that the version does not hold: nothing but the catalog's files and the
// package file belongs there.
void report_strays(const Url& wrapp_file, const model::PackageInfo& info, const model::Catalog& catalog,
                   const std::vector<storage::ListEntry>& entries, std::vector<FileCheck>& out) {
  Url folder = wrapp_file.parent();
  std::string marker = model::wrapp_file_name(info.name);
  // Where a storage_map keeps the bytes of items below the root belongs to
  // the version too.
  std::set<std::string, std::less<>> mapped;
  for (const auto& item : catalog.items) {
    if (std::string at = catalog.storage_path(item); at != item.relative_path) mapped.insert(std::move(at));
  }
  auto listed = [&](const std::string& path) { return catalog.find(path) || mapped.count(path); };
  for (const auto& e : entries) {
    std::string_view name = base_name(e.relative_path);
    const char* what = nullptr;
    if (e.info.is_dir) {
      if (name == ".packages") what = "a nested .packages folder";
    } else if (e.info.is_link) {
      if (!listed(e.relative_path)) what = "a symbolic link";
    } else if (e.info.is_other) {
      if (!listed(e.relative_path)) what = "a special file";
    } else if (e.relative_path != marker && e.relative_path != wrapp_file.name() && !listed(e.relative_path)) {
      what = "a file that is not in the catalog";
    }
    if (!what) continue;
    FileCheck r;
    r.package_name = info.name;
    r.version = info.version;
    r.relative_path = e.relative_path;
    r.url = folder.join(e.relative_path).str();
    r.status = FileCheck::Status::kStray;
    r.detail = what;
    out.push_back(std::move(r));
  }
}

void check_one(CommandContext& ctx, const CheckOptions& opt, const Url& wrapp_file, std::vector<FileCheck>& out,
               std::set<std::string>& visited) {
  if (!visited.insert(wrapp_file.str()).second) return;
  auto info = require_package_info(ctx, wrapp_file, "package file");
  Url folder = wrapp_file.parent();
  model::Catalog catalog = info.catalog ? *info.catalog : model::Catalog{};
  ItemSources sources(catalog, wrapp_file, fmt::format("package '{}' {}", info.name, info.version));
  size_t base = out.size();
  out.resize(base + catalog.items.size());
  auto& progress = ctx.scheduler.sub_job("check " + info.name + " " + info.version, "verifying");
  progress.add_total(catalog.items.size(), catalog.total_size());
  // A repository's version folder is listed for strays anyway: that one
  // listing also answers the lookups where a listing can.
  bool version_folder = folder.parent().parent().name() == ".packages";
  std::vector<storage::ListEntry> entries;
  if (version_folder) {
    entries = list_version_folder(ctx, folder);
    sources.use_listing(ctx, entries, opt.trust_metadata);
  } else {
    sources.list_folder_once(ctx, catalog.items.size(), opt.trust_metadata);
  }
  for_each_transfer(ctx, catalog.items.size(), [&](size_t i) {
    const auto& item = catalog.items[i];
    FileCheck& r = out[base + i];
    r.package_name = info.name;
    r.version = info.version;
    r.relative_path = item.relative_path;
    r.url = folder.join(item.relative_path).str();
    r.expected_size = item.size.value_or(0);
    r.expected_hash = item.hash.str();
    try {
      // Where the catalog says the bytes are (a redirect package's lie in
      // another repository); links are reported, not followed.
      auto found = sources.lookup(ctx, item, /*follow_links=*/false);
      r.url = found.url.str();
      const auto& st = found.info;
      if (found.state == ItemSources::Lookup::State::kMissing) {
        r.status = FileCheck::Status::kMissing;
        if (sources.candidates(item).size() > 1) r.detail = found.detail;
      } else if (found.state == ItemSources::Lookup::State::kNotAFile) {
        r.status = FileCheck::Status::kNotAFile;
        r.detail = found.detail;
      } else if (r.actual_size = st.size; item.size && *item.size != st.size) {
        r.status = FileCheck::Status::kSizeMismatch;
      } else {
        r.by_metadata = opt.trust_metadata && !st.content_hash.empty();
        r.actual_hash = r.by_metadata ? st.content_hash : hash_object(ctx, found.url, st, &progress).str();
        if (item.hash.empty()) {
          // Read, but nothing to compare with: never reported as ok.
          r.status = FileCheck::Status::kUnverified;
          r.detail = item.size ? "no hash recorded" : "no size or hash recorded";
        } else if (r.actual_hash != item.hash) {
          r.status = FileCheck::Status::kHashMismatch;
        }
      }
    } catch (const Error& e) {
      if (dynamic_cast<const Cancelled*>(&e)) throw;
      r.status = e.code() == ErrorCode::kLinkOnPath ? FileCheck::Status::kNotAFile : FileCheck::Status::kUnreadable;
      r.detail = e.what();
    }
    progress.add_done(1, 0);
  }, &ctx.store(folder));
  progress.set_finished();
  if (version_folder) report_strays(wrapp_file, info, catalog, entries, out);
  if (!opt.recursive) return;
  for (const auto& d : info.dependencies) {
    Url repo = d.repository.empty() ? folder.parent().parent().parent() : parse_location(d.repository);
    Url marker = repo_marker_url(repo, d.package, d.version);
    if (auto found = find_repo_package(ctx, repo, d.package, d.version)) marker = found->url;  // either name
    if (!ctx.store(marker).stat(marker)) {
      FileCheck r;
      r.package_name = d.package;
      r.version = d.version;
      r.relative_path = model::wrapp_file_name(d.package);
      r.url = marker.str();
      r.status = FileCheck::Status::kMissing;
      out.push_back(std::move(r));
      continue;
    }
    check_one(ctx, opt, marker, out, visited);
  }
}

}  // namespace

CheckResult check_package_content(CommandContext& ctx, const CheckOptions& opt) {
  Url wrapp_file = package_file_argument(ctx, opt.wrapp_file);
  CheckResult result;
  std::set<std::string> visited;
  check_one(ctx, opt, wrapp_file, result.files, visited);
  return result;
}

}  // namespace wrapp::commands
