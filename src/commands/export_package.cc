#include "commands/export_package.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "commands/archive_layout.h"
#include "commands/catalog.h"
#include "commands/file_ops.h"
#include "commands/item_source.h"
#include "commands/publish.h"
#include "commands/repository.h"
#include "commands/tree.h"
#include "model/hash.h"
#include "util/error.h"
#include "util/json_writer.h"
#include "util/log.h"
#include "util/tar.h"

namespace wrapp::commands {

using storage::Url;

namespace {

struct Member {
  std::string name;  // in the archive
  Url from;          // where its bytes are read
  uint64_t size = 0;
  model::ContentHash hash;  // empty when the catalog records none: not verified
};

// The items of the version to export: all, or those the --catalog file
// names, each of which must be an item of the version with the same hash
// and size where the file records them.
std::vector<model::CatalogItem> pick_items(CommandContext& ctx, const model::Catalog& catalog,
                                           const ExportOptions& opt) {
  if (!opt.catalog) return catalog.items;
  auto selection = load_catalog_file(ctx, *opt.catalog);
  std::vector<model::CatalogItem> picked;
  std::string problems;
  for (const auto& wanted : selection.items) {
    const model::CatalogItem* item = catalog.find(wanted.relative_path);
    if (!item) {
      problems += fmt::format("\n  {} (not in the version)", wanted.relative_path);
    } else if ((!wanted.hash.empty() && wanted.hash != item->hash) || (wanted.size && wanted.size != item->size)) {
      problems += fmt::format("\n  {} (other content than the version's)", wanted.relative_path);
    } else {
      picked.push_back(*item);
    }
  }
  if (!problems.empty()) {
    fail_with(ErrorCode::kBadInput, "catalog '{}' names items that package '{}' version '{}' does not hold:{}",
              parse_location(*opt.catalog).display(), opt.package_name, opt.version, problems);
  }
  return picked;
}

// A root-level `.<x>.wrapp` member is how import finds the package file, so
// no content may look like one; --dedup's blob folder is taken too.
void check_member_names(const std::vector<model::CatalogItem>& items, const ExportOptions& opt) {
  for (const auto& item : items) {
    if (is_package_file_member(item.relative_path)) {
      fail_with(ErrorCode::kBadInput,
                "package '{}' version '{}' holds '{}', which an archive could not tell from its package file; "
                "leave it out with --catalog",
                opt.package_name, opt.version, item.relative_path);
    }
    if (opt.dedup && item.relative_path.starts_with(std::string(kBlobFolder) + "/")) {
      fail_with(ErrorCode::kBadInput, "package '{}' version '{}' holds '{}', inside the folder --dedup names "
                "its blobs '{}/'; export it without --dedup",
                opt.package_name, opt.version, item.relative_path, kBlobFolder);
    }
  }
}

// One member per item, or with --dedup one per distinct content (items with
// no recorded hash keep their own). `found` is where each item's bytes are
// (ItemSources: where the catalog says); `storage_map` receives the blobs.
std::vector<Member> plan_members(const std::vector<model::CatalogItem>& items,
                                 const std::vector<ItemSources::Found>& found, bool dedup,
                                 std::map<std::string, std::string, std::less<>>& storage_map) {
  std::vector<Member> members;
  std::map<std::string, size_t> blob_of;  // hash -> member
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& item = items[i];
    // The size recorded, else the file's (located: they agree where both are known).
    uint64_t size = item.size.value_or(found[i].info.size);
    if (!dedup || item.hash.empty()) {
      members.push_back({item.relative_path, found[i].url, size, item.hash});
      continue;
    }
    std::string hash = item.hash.str();
    if (auto it = blob_of.find(hash); it != blob_of.end()) {
      if (size != members[it->second].size) {
        fail_with(ErrorCode::kBadInput, "the catalog records hash {} with {} bytes for '{}' and {} bytes elsewhere",
                  hash, size, item.relative_path, members[it->second].size);
      }
      continue;
    }
    std::string name = blob_member_name(item.hash);
    blob_of.emplace(hash, members.size());
    storage_map.emplace(hash, name);
    members.push_back({name, found[i].url, size, item.hash});
  }
  return members;
}

// Writes the package file as JSON to `sink`, a megabyte at a time.
void stream_package_file(const model::PackageInfo& package, const std::function<void(std::string_view)>& sink) {
  std::string buffer;
  JsonWriter w(buffer, sink);
  package.write(w);
  buffer.push_back('\n');
  w.flush();
}

// Streams one member from its source into the tar, hashing every byte; a
// source that does not match its catalog fails the export.
void stream_member(CommandContext& ctx, tar::Writer& tar, const Member& m, const Url& output,
                   exec::ProgressJob& progress) {
  auto reader = ctx.store(m.from).open_read(m.from);
  if (!reader) fail_with(ErrorCode::kNotFound, "'{}' disappeared before it was exported", m.from.display());
  if (reader->size() != m.size) {
    fail_with(ErrorCode::kDamaged, "'{}' has {} bytes, its catalog records {}", m.from.display(), reader->size(), m.size);
  }
  auto info = reader->info();
  uint32_t mode = info.mode ? info.mode & 0777 : 0444;
  tar.begin_file(m.name, m.size, mode, info.mtime_ns / 1000000000);
  model::FlatHasher hasher;
  std::unique_ptr<char[]> buf(new char[model::kHashChunkSize + 1]);
  auto token = ctx.scheduler.token();
  for (uint64_t offset = 0;;) {
    token.throw_if_cancelled();
    size_t want = static_cast<size_t>(std::min<uint64_t>(model::kHashChunkSize, m.size - offset));
    // The last read asks for one byte more: getting it means the file grew.
    bool last = offset + want == m.size;
    size_t got = reader->read_at(offset, buf.get(), want + (last ? 1 : 0));
    if (got != want) fail("'{}' changed size while being exported (expected {} bytes)", m.from.display(), m.size);
    hasher.update(buf.get(), got);
    tar.write(buf.get(), got);
    progress.add_done(0, got);
    offset += got;
    if (last) break;
  }
  std::string hash = hasher.finish();
  if (!m.hash.empty() && hash != m.hash) {
    fail_with(ErrorCode::kDamaged,
              "content of '{}' does not match its recorded hash (expected {}, read {}); '{}' was not written",
              m.from.display(), m.hash, hash, output.display());
  }
}

}  // namespace

ExportResult export_package(CommandContext& ctx, const ExportOptions& opt) {
  model::check_name_and_version(opt.package_name, opt.version);
  if (!opt.repo) fail("no repository given: pass --repo (the folder or URL that holds .packages)");
  Url repo = parse_location(*opt.repo);
  Url output = parse_location(opt.output);
  refuse_inside_packages(output, "output");

  Url marker;
  model::PackageInfo package = require_repo_package(ctx, repo, opt.package_name, opt.version, &marker);
  model::Catalog catalog = package.catalog ? *package.catalog : model::Catalog{};
  check_no_marker_item(catalog, opt.package_name, marker.display());
  auto items = pick_items(ctx, catalog, opt);
  check_member_names(items, opt);

  // What the archive's package file says: the version's, with only the
  // exported items, and where --dedup stores each content.
  model::PackageInfo exported = package;
  exported.catalog.emplace();
  exported.catalog->root = catalog.root;
  exported.catalog->items = std::move(items);
  // Every file located before anything is written (missing ones and ones of
  // another size listed together), read where the catalog says.
  ItemSources sources(catalog, marker, fmt::format("package '{}' {}", opt.package_name, opt.version));
  auto found = locate_all(ctx, sources, *exported.catalog,
                          fmt::format("cannot export {} {}", opt.package_name, opt.version));
  auto members = plan_members(exported.catalog->items, found, opt.dedup, exported.catalog->storage_map);

  auto& out_store = ctx.store(output);
  if (auto info = out_store.stat(output)) {
    if (info->is_dir) fail_with(ErrorCode::kBadInput, "output '{}' is a folder", output.display());
    if (!opt.overwrite) {
      fail_with(ErrorCode::kAlreadyExists, "output '{}' already exists; pass --overwrite to replace it",
                output.display());
    }
  }

  ExportResult result;
  result.output = output.str();
  result.wrapp_file = marker.str();
  result.files = exported.catalog->items.size();
  result.plan.target = output.str();
  for (const auto& m : members) {
    result.plan.actions.push_back({PlanAction::Kind::kCopy, m.name, m.from.str(), m.size, m.hash});
  }
  if (ctx.dry_run) return result;
  uint64_t total = result.plan.bytes(PlanAction::Kind::kCopy);

  auto& progress = ctx.scheduler.sub_job("export " + opt.package_name + " " + opt.version, "exporting");
  progress.add_total(members.size(), total);
  storage::WriteOptions wopts;
  wopts.overwrite = opt.overwrite;
  wopts.durable = ctx.durable;
  wopts.size_hint = total;
  // Published on commit: a half-written archive never sits under OUTPUT.
  auto writer = out_store.open_write(output, wopts);
  uint64_t offset = 0;
  {
    tar::Writer tar([&](const void* data, size_t len) {
      writer->write_at(offset, data, len);
      offset += len;
    }, output.display());
    // The package file first, so that import knows the catalog before the
    // data. Its size is needed before its bytes: counted in a first pass.
    uint64_t package_file_size = 0;
    stream_package_file(exported, [&](std::string_view chunk) { package_file_size += chunk.size(); });
    auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    tar.begin_file(model::wrapp_file_name(opt.package_name), package_file_size, 0444, now.count());
    stream_package_file(exported, [&](std::string_view chunk) { tar.write(chunk.data(), chunk.size()); });
    for (const auto& m : members) {
      stream_member(ctx, tar, m, output, progress);
      progress.add_done(1, 0);
    }
    tar.finish();
  }
  writer->commit();
  progress.set_finished();
  log::info("exported {} {} ({} files) to {}", opt.package_name, opt.version, result.files, output.display());
  return result;
}

nlohmann::json to_json(const ExportResult& r) {
  nlohmann::json members = nlohmann::json::array();
  for (const auto& a : r.plan.actions) {
    members.push_back({{"member", a.relative_path}, {"from", a.from}, {"size", a.size}, {"hash", a.hash.str()}});
  }
  return {{"output", r.output}, {"wrapp_file", r.wrapp_file}, {"files", r.files}, {"members", std::move(members)}};
}

}  // namespace wrapp::commands
