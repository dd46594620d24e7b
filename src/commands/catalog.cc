#include "commands/catalog.h"

#include <algorithm>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands/catalog_tree.h"
#include "commands/file_ops.h"
#include "commands/repository.h"
#include "commands/tree.h"
#include "storage/storage.h"
#include "util/error.h"
#include "util/log.h"

namespace wrapp::commands {

using storage::Url;

std::vector<std::pair<std::string, std::string>> parse_file_list(std::string_view text, std::string_view origin) {
  std::vector<std::pair<std::string, std::string>> lines;
  size_t number = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    size_t tab = line.find('\t');
    if (tab == std::string_view::npos) {
      fail("{}:{}: expected '<base URL><tab><file URL>', found no tab", origin, number);
    }
    size_t tab2 = line.find('\t', tab + 1);
    std::string_view base = line.substr(0, tab);
    std::string_view file = line.substr(tab + 1, tab2 == std::string_view::npos ? std::string_view::npos : tab2 - tab - 1);
    if (base.empty() || file.empty()) fail("{}:{}: an empty base URL or file URL", origin, number);
    if (lines.size() == kMaxFileListLines) fail("{}: more than {} lines", origin, kMaxFileListLines);
    lines.emplace_back(std::string(base), std::string(file));
  }
  return lines;
}

namespace {

// The catalog of the files a TSV file list names.
model::Catalog catalog_file_list(CommandContext& ctx, const CatalogOptions& opt) {
  Url list_url = parse_location(*opt.file_list);
  auto doc = ctx.store(list_url).read_document(list_url);
  if (!doc) fail("file list '{}' not found", list_url.display());
  auto lines = parse_file_list(doc->text(), list_url.display());
  if (lines.empty()) fail("file list '{}' lists no files", list_url.display());
  Url root = parse_location(lines.front().first);
  auto ignores = load_ignore_rules(ctx, root, opt.ignore_file, opt.ignore_predicate);
  std::vector<std::string> relative(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!(parse_location(lines[i].first) == root)) {
      fail("file list '{}': line {} has base URL '{}', other lines '{}'; a catalog has one root", list_url.display(),
           i + 1, lines[i].first, lines.front().first);
    }
    Url file = parse_location(lines[i].second);
    if (!file.relative_to(root, &relative[i]) || relative[i].empty()) {
      fail("file list '{}': line {}: '{}' is not below its base URL '{}'", list_url.display(), i + 1,
           lines[i].second, lines[i].first);
    }
  }
  // Stat every listed file (in parallel: a list may name a million files).
  auto& store = ctx.store(root);
  std::vector<std::optional<storage::FileInfo>> infos(lines.size());
  for_each_request(ctx, lines.size(), [&](size_t i) { infos[i] = store.stat(root.join(relative[i])); }, &store);
  std::vector<storage::ListEntry> entries;
  std::vector<std::string> missing;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (ignores.is_ignored(relative[i])) continue;
    if (!infos[i] || !infos[i]->is_file()) {
      missing.push_back(relative[i]);
      continue;
    }
    entries.push_back({std::move(relative[i]), std::move(*infos[i])});
  }
  if (!missing.empty()) {
    std::string names;
    for (size_t i = 0; i < missing.size() && i < 10; ++i) names += (i ? ", " : "") + missing[i];
    if (missing.size() > 10) names += fmt::format(" and {} more", missing.size() - 10);
    if (!opt.skip_missing) {
      fail_with(ErrorCode::kNotFound, "file list '{}': {} listed file(s) not found below '{}': {} (--skip-missing leaves them out)",
                list_url.display(), missing.size(), root.display(), names);
    }
    log::warn("left out {} listed file(s) not found below '{}': {}", missing.size(), root.display(), names);
  }
  storage::Listing sorted(std::move(entries));
  for (size_t i = 1; i < sorted.size(); ++i) {
    if (sorted[i].relative_path == sorted[i - 1].relative_path) {
      fail("file list '{}' lists '{}' twice", list_url.display(), sorted[i].relative_path);
    }
  }
  check_packable_names(sorted);
  auto& job = ctx.scheduler.sub_job("catalog " + list_url.display(), "hashing");
  auto result = hash_tree(ctx, root, std::move(sorted), &job);
  job.set_finished();
  return result;
}

model::Catalog walk_and_hash(CommandContext& ctx, const CatalogOptions& opt) {
  if (opt.file_list) {
    if (!opt.root_dir.empty()) fail("give a folder or --file-list, not both");
    return catalog_file_list(ctx, opt);
  }
  if (opt.root_dir.empty()) fail("give a folder to catalog, or --file-list");
  Url root = parse_location(opt.root_dir);
  auto ignores = load_ignore_rules(ctx, root, opt.ignore_file, opt.ignore_predicate);
  auto& job = ctx.scheduler.sub_job("catalog " + root.display(), "hashing");
  auto result = catalog_tree(ctx, root, ignores, &job);
  job.set_finished();
  return result;
}

}  // namespace

CatalogResult catalog(CommandContext& ctx, const CatalogOptions& opt) {
  CatalogResult result{walk_and_hash(ctx, opt), ""};
  if (opt.output) {
    result.output = parse_location(*opt.output).str();
    if (!ctx.dry_run) write_catalog_file(ctx, result.catalog, *opt.output);
  }
  return result;
}

void write_catalog_file(CommandContext& ctx, const model::Catalog& catalog, const std::string& output,
                        bool overwrite) {
  storage::WriteOptions wopts;
  wopts.overwrite = overwrite;
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

DiffResult diff(CommandContext& ctx, const DiffOptions& opt) {
  return {model::diff_catalogs(load_catalog_file(ctx, opt.catalog_a), load_catalog_file(ctx, opt.catalog_b),
                               opt.ignore_tags)};
}

namespace {

nlohmann::json item_json(const model::CatalogItem& i) {
  return {{"relative_path", i.relative_path},
          {"hash", i.hash.str()},
          {"size", i.size ? nlohmann::json(*i.size) : nlohmann::json(nullptr)}};
}

}  // namespace

nlohmann::json to_json(const DiffResult& result) {
  nlohmann::json a = nlohmann::json::array(), b = nlohmann::json::array(), different = nlohmann::json::array();
  for (const auto& i : result.diff.only_in_a) a.push_back(item_json(i));
  for (const auto& i : result.diff.only_in_b) b.push_back(item_json(i));
  for (const auto& [x, y] : result.diff.different) different.push_back({{"a", item_json(x)}, {"b", item_json(y)}});
  return {{"only_in_a", std::move(a)}, {"only_in_b", std::move(b)}, {"different", std::move(different)}};
}

CountResult count(CommandContext& ctx, const CountOptions& opt) {
  auto catalog = load_catalog_file(ctx, opt.catalog_file);
  CountResult c;
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

nlohmann::json to_json(const CountResult& c) {
  return {{"files", c.files},
          {"bytes", c.bytes},
          {"folders", c.folders},
          {"unique_contents", c.unique_contents},
          {"unique_bytes", c.unique_bytes},
          {"duplicate_files", c.duplicate_files}};
}

nlohmann::json to_json(const CatalogResult& r) {
  return {{"catalog", nlohmann::json::parse(model::serialize_catalog_file(r.catalog))}, {"output", r.output}};
}

}  // namespace wrapp::commands
