#include "commands/files.h"

#include <fnmatch.h>

#include <memory>

#include "commands/file_ops.h"
#include "commands/repository.h"
#include "storage/storage.h"
#include "util/error.h"

namespace wrapp::commands {

using storage::Url;

std::vector<LsItem> ls(CommandContext& ctx, const LsOptions& opt) {
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
  return out;
}

void cat(CommandContext& ctx, const std::string& text, std::FILE* out) {
  Url url = parse_location(text);
  auto reader = ctx.store(url).open_read(url);
  if (!reader) fail("'{}' not found", url.display());
  std::unique_ptr<char[]> buf(new char[1 << 20]);
  for (uint64_t off = 0; off < reader->size();) {
    size_t n = reader->read_at(off, buf.get(), 1 << 20);
    if (n == 0) break;
    if (std::fwrite(buf.get(), 1, n, out) != n) throw_errno("cannot write", "standard output", errno);
    off += n;
  }
  if (std::fflush(out) != 0) throw_errno("cannot write", "standard output", errno);
}

size_t get(CommandContext& ctx, const GetOptions& opt) {
  Url url = parse_location(opt.url);
  auto& store = ctx.store(url);
  auto info = store.stat(url);
  if (!info) fail("'{}' not found", url.display());
  std::string name = url.name();
  Url target = parse_location(opt.local_path.value_or(name.empty() ? "." : name));
  auto& target_store = ctx.store(target);

  std::vector<std::pair<Url, Url>> copies;  // from, to
  std::vector<uint64_t> sizes;
  if (info->is_dir) {
    storage::ListOptions options;
    options.symlinks = storage::SymlinkPolicy::kSkipOutside;
    for (const auto& e : storage::list_all(store, url, options)) {
      copies.push_back({url.join(e.relative_path), target.join(e.relative_path)});
      sizes.push_back(e.info.size);
    }
  } else {
    if (auto t = target_store.stat(target); t && t->is_dir) target = target.join(name);
    copies.push_back({url, target});
    sizes.push_back(info->size);
  }
  if (!opt.overwrite) {
    std::string existing;
    for (const auto& [from, to] : copies) {
      if (target_store.stat(to)) existing += "\n  " + to.display();
    }
    if (!existing.empty()) fail("not overwriting existing file(s) (pass --overwrite):{}", existing);
  }
  if (ctx.dry_run) return copies.size();
  auto& progress = ctx.scheduler.sub_job("get " + url.display());
  uint64_t total = 0;
  for (auto s : sizes) total += s;
  progress.add_total(copies.size(), total);
  for_each_transfer(ctx, copies.size(), [&](size_t i) {
    CopyRequest req;
    req.from = copies[i].first;
    req.to = copies[i].second;
    req.size = sizes[i];
    req.write.overwrite = true;  // existing files were refused above unless --overwrite
    req.owner_writable = true;
    copy_object(ctx, req, &progress);
    progress.add_done(1, 0);
  });
  progress.set_finished();
  return copies.size();
}

}  // namespace wrapp::commands
