#include "commands/import_package.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "commands/archive_layout.h"
#include "commands/file_ops.h"
#include "commands/publish.h"
#include "commands/repository.h"
#include "commands/tree.h"
#include "model/hash.h"
#include "util/error.h"
#include "util/json_writer.h"
#include "util/log.h"
#include "util/paths.h"
#include "util/tar.h"

namespace wrapp::commands {

using storage::Url;

namespace {

// One pass over the archive, from its first byte, through the storage layer.
class OpenArchive {
 public:
  OpenArchive(CommandContext& ctx, const Url& url) {
    file_ = ctx.store(url).open_read(url);
    if (!file_) fail_with(ErrorCode::kNotFound, "archive '{}' not found", url.display());
    tar::Reader::Source source;
    source.read = [this](void* buf, size_t len) {
      size_t n = file_->read_at(offset_, buf, len);
      offset_ += n;
      return n;
    };
    source.skip = [this](uint64_t n) {  // data a pass does not need is not read
      uint64_t size = file_->size();
      uint64_t skipped = std::min(n, size > offset_ ? size - offset_ : 0);
      offset_ += skipped;
      return skipped;
    };
    tar_ = std::make_unique<tar::Reader>(std::move(source), url.display());
  }
  OpenArchive(const OpenArchive&) = delete;
  OpenArchive& operator=(const OpenArchive&) = delete;

  tar::Reader& tar() { return *tar_; }

 private:
  std::unique_ptr<storage::Reader> file_;
  uint64_t offset_ = 0;
  std::unique_ptr<tar::Reader> tar_;
};

[[noreturn]] void refuse_member(const Url& archive, std::string_view member, std::string_view why) {
  fail_with(ErrorCode::kBadInput, "archive '{}': refusing member '{}': {}; nothing was published", archive.display(),
            shorten_for_message(member), why);
}

struct Member {
  enum class Kind { kData, kPackageFile, kFolder } kind = Kind::kData;
  std::string path;  // normalised: no leading "./", no trailing "/"
};

// What one member is. Anything a package archive cannot hold is refused:
// links, devices, FIFOs, unsafe or non-UTF-8 paths. Folders are accepted and
// ignored (tar(1) lists them), and "./" prefixes dropped.
Member classify(const tar::MemberHeader& h, const Url& archive) {
  std::string_view path = h.path;
  while (path.starts_with("./")) path.remove_prefix(2);
  if (h.type == tar::MemberType::kDirectory) {
    while (path.ends_with('/')) path.remove_suffix(1);
    if (path.empty() || path == ".") return {Member::Kind::kFolder, ""};
  } else if (h.type != tar::MemberType::kFile) {
    std::string target = h.link_target.empty() ? "" : fmt::format(" to '{}'", shorten_for_message(h.link_target));
    refuse_member(archive, h.path,
                  fmt::format("it is a {}{}; a package archive holds only files", tar::member_type_name(h.type), target));
  }
  if (path.empty()) refuse_member(archive, h.path, "it has no name");
  if (!is_valid_utf8(path)) refuse_member(archive, h.path, "its name is not valid UTF-8");
  if (auto problem = relative_path_problem(path); !problem.empty()) {
    refuse_member(archive, h.path, fmt::format("unsafe path ({})", problem));
  }
  if (h.type == tar::MemberType::kDirectory) return {Member::Kind::kFolder, std::string(path)};
  if (is_package_file_member(path)) return {Member::Kind::kPackageFile, std::string(path)};
  return {Member::Kind::kData, std::string(path)};
}

[[noreturn]] void refuse_several_package_files(const Url& archive) {
  fail_with(ErrorCode::kBadInput,
            "archive '{}' holds several package files ('.<name>.wrapp' at its root); an archive holds one package "
            "version; nothing was published",
            archive.display());
}

// Reads and checks the package file member (its data is next in `tar`).
model::PackageInfo read_package_member(tar::Reader& tar, const tar::MemberHeader& h, const std::string& member,
                                       const Url& archive) {
  std::string origin = archive.display() + ":" + member;
  if (h.size > kMaxArchivedPackageFileBytes) {
    fail_with(ErrorCode::kBadInput, "'{}': a package file of {} bytes; an archive's may have at most {}", origin,
              h.size, kMaxArchivedPackageFileBytes);
  }
  std::string text;
  text.reserve(std::min<uint64_t>(h.size, 1 << 20));  // grown as read: a header may lie about the size
  char buf[64 * 1024];
  for (size_t n; (n = tar.read(buf, sizeof buf)) > 0;) text.append(buf, n);
  if (text.size() != h.size) fail_with(ErrorCode::kBadInput, "'{}' is cut short", origin);
  auto package = model::PackageInfo::parse(text, origin);
  model::check_name_and_version(package.name, package.version);
  if (member != model::wrapp_file_name(package.name)) {
    fail_with(ErrorCode::kBadInput, "'{}' describes package '{}', whose package file is named '{}'", origin,
              shorten_for_message(package.name), shorten_for_message(model::wrapp_file_name(package.name)));
  }
  return package;
}

// One pass over the headers, for an archive whose first member is not the
// package file: finds it, and refuses a second one.
model::PackageInfo find_package_file(CommandContext& ctx, const Url& archive) {
  OpenArchive file(ctx, archive);
  std::optional<model::PackageInfo> found;
  while (auto h = file.tar().next()) {
    ctx.scheduler.token().throw_if_cancelled();
    Member m = classify(*h, archive);
    if (m.kind != Member::Kind::kPackageFile) continue;
    if (found) refuse_several_package_files(archive);
    found = read_package_member(file.tar(), *h, m.path, archive);
  }
  if (!found) {
    fail_with(ErrorCode::kBadInput,
              "archive '{}' holds no package file ('.<name>.wrapp' at its root); make archives with 'wrapp export'",
              archive.display());
  }
  return std::move(*found);
}

// A member the catalog expects: the items whose bytes it carries (several
// for a --dedup blob), with their hash and size.
struct Expected {
  model::ContentHash hash;
  std::optional<uint64_t> size;
  std::vector<size_t> items;
  bool seen = false;
};

std::unordered_map<std::string, Expected> expected_members(const model::Catalog& catalog, const std::string& origin) {
  for (const auto& [hash, location] : catalog.storage_map) {
    if (location.starts_with('/') || location.find("://") != std::string::npos) {
      fail_with(ErrorCode::kBadInput, "'{}': the storage map points outside the archive ('{}')", origin,
                shorten_for_message(location));
    }
  }
  std::unordered_map<std::string, Expected> expected;
  for (size_t i = 0; i < catalog.items.size(); ++i) {
    const auto& item = catalog.items[i];
    std::string name = catalog.storage_path(item);
    if (is_package_file_member(name)) {
      fail_with(ErrorCode::kBadInput, "'{}': content stored as '{}' could not be told from a package file", origin,
                shorten_for_message(name));
    }
    Expected& e = expected[name];
    if (!e.items.empty() && (e.hash != item.hash || (e.size && item.size && *e.size != *item.size))) {
      fail_with(ErrorCode::kBadInput, "'{}': items of different content are stored as one member '{}'", origin,
                shorten_for_message(name));
    }
    if (e.items.empty()) e.hash = item.hash;
    if (!e.size) e.size = item.size;
    e.items.push_back(i);
  }
  return expected;
}

// One pass over the archive's members, with the catalog known: every member
// must be one the catalog expects, once, with its size and hash; each is
// streamed into the version folder (when given) for the items it carries
// that `keep` does not already hold. Ends by checking that no member was
// missing.
class ImportPass {
 public:
  ImportPass(CommandContext& ctx, const Url& archive, const model::Catalog& catalog,
             std::unordered_map<std::string, Expected> expected, const Url* version, std::vector<bool> keep,
             exec::ProgressJob* progress)
      : ctx_(ctx), archive_(archive), catalog_(catalog), expected_(std::move(expected)), version_(version),
        keep_(std::move(keep)), progress_(progress), buffer_(new char[model::kHashChunkSize]),
        hashes_(catalog.items.size()), sizes_(catalog.items.size()) {}

  // `package_files_seen`: 1 when `tar` is already past the package file.
  void run(tar::Reader& tar, size_t package_files_seen) {
    while (auto h = tar.next()) {
      ctx_.scheduler.token().throw_if_cancelled();
      Member m = classify(*h, archive_);
      if (m.kind == Member::Kind::kFolder) continue;
      if (m.kind == Member::Kind::kPackageFile) {
        if (++package_files_seen > 1) refuse_several_package_files(archive_);
        continue;
      }
      auto it = expected_.find(m.path);
      if (it == expected_.end()) refuse_member(archive_, h->path, "the package's catalog does not list it");
      Expected& e = it->second;
      if (e.seen) refuse_member(archive_, h->path, "it appears twice");
      e.seen = true;
      if (e.size && *e.size != h->size) {
        refuse_member(archive_, h->path, fmt::format("it has {} bytes, the catalog records {}", h->size, *e.size));
      }
      receive(tar, *h, m.path, e);
      if (progress_) progress_->add_done(1, 0);
    }
    std::vector<std::string> missing;
    for (const auto& [name, e] : expected_) {
      if (!e.seen) missing.push_back(name);
    }
    if (!missing.empty()) {
      std::sort(missing.begin(), missing.end());
      std::string list;
      for (size_t i = 0; i < missing.size() && i < 20; ++i) list += "\n  " + shorten_for_message(missing[i]);
      if (missing.size() > 20) list += fmt::format("\n  ... and {} more", missing.size() - 20);
      fail_with(ErrorCode::kBadInput, "archive '{}' lacks {} member(s) its catalog lists; nothing was published:{}",
                archive_.display(), missing.size(), list);
    }
  }

  // Relative paths of the files this pass wrote.
  const std::vector<std::string>& written() const { return written_; }
  // Per catalog item, the hash and size of the bytes the archive holds for
  // it (after a complete run).
  const model::ContentHash& hash(size_t item) const { return hashes_[item]; }
  uint64_t size(size_t item) const { return sizes_[item]; }

 private:
  void receive(tar::Reader& tar, const tar::MemberHeader& h, const std::string& name, const Expected& e) {
    std::vector<std::string> targets;
    if (version_) {
      for (size_t i : e.items) {
        if (!keep_[i]) targets.push_back(catalog_.items[i].relative_path);
      }
    }
    storage::WriteOptions wopts;
    wopts.in_place = true;  // unpublished, and the version's lock keeps other writers out
    wopts.read_only = true;
    wopts.mode = h.mode & 0777;
    wopts.size_hint = h.size;
    if (!e.hash.empty()) wopts.content_hash = e.hash.str();
    std::unique_ptr<storage::Writer> out;
    if (!targets.empty()) out = ctx_.store(*version_).open_write(version_->join(targets[0]), wopts);
    model::FlatHasher hasher;
    uint64_t offset = 0;
    for (size_t n; (n = tar.read(buffer_.get(), model::kHashChunkSize)) > 0;) {
      ctx_.scheduler.token().throw_if_cancelled();
      hasher.update(buffer_.get(), n);
      if (out) out->write_at(offset, buffer_.get(), n);
      offset += n;
      if (progress_) progress_->add_done(0, n);
    }
    if (offset != h.size) refuse_member(archive_, h.path, "it is cut short");
    std::string hash = hasher.finish();
    if (!e.hash.empty() && hash != e.hash) {
      fail_with(ErrorCode::kDamaged,
                "archive '{}': member '{}' does not match its catalog (expected {}, read {}); nothing was published",
                archive_.display(), shorten_for_message(name), e.hash, hash);
    }
    for (size_t i : e.items) {
      hashes_[i] = hash;
      sizes_[i] = h.size;
    }
    if (!out) return;
    out->commit();
    written_.push_back(targets[0]);
    // The other items of a --dedup blob: copies of the file just verified.
    for (size_t t = 1; t < targets.size(); ++t) {
      CopyRequest req;
      req.from = version_->join(targets[0]);
      req.to = version_->join(targets[t]);
      req.size = h.size;
      req.expected_hash = hash;
      req.write = wopts;
      req.remember_target_hash = false;
      copy_object(ctx_, req, nullptr);
      written_.push_back(targets[t]);
    }
  }

  CommandContext& ctx_;
  const Url& archive_;
  const model::Catalog& catalog_;
  std::unordered_map<std::string, Expected> expected_;
  const Url* version_;
  std::vector<bool> keep_;
  exec::ProgressJob* progress_;
  std::unique_ptr<char[]> buffer_;
  std::vector<std::string> written_;
  std::vector<model::ContentHash> hashes_;
  std::vector<uint64_t> sizes_;
};

// Whether a published version holds what the archive describes: the same
// paths, with the archive's hash and size wherever it records them (an
// import fills in what it does not).
bool holds_archive(const model::Catalog& published, const model::Catalog& archive) {
  if (published.items.size() != archive.items.size()) return false;
  for (size_t i = 0; i < archive.items.size(); ++i) {
    const auto &p = published.items[i], &a = archive.items[i];
    if (p.relative_path != a.relative_path || !p.same_known_content(a)) return false;
  }
  return true;
}

// Best effort, after a refused or failed import: the files it wrote, and the
// folders that leaves empty.
void remove_written(CommandContext& ctx, const Url& version, const std::vector<std::string>& written) {
  try {
    auto& store = ctx.store(version);
    for (const auto& rel : written) store.remove(version.join(rel));
    remove_emptied_folders(ctx, version, written);
    store.remove_folder(version);
  } catch (const std::exception& e) {
    log::warn("could not remove what the failed import wrote in '{}' ({}); the next import of this version will",
              version.display(), e.what());
  }
}

}  // namespace

ImportResult import_package(CommandContext& ctx, const ImportOptions& opt) {
  Url archive = parse_location(opt.package_file);
  Url repo = parse_location(opt.repository);
  auto info = ctx.store(archive).stat(archive);
  if (!info) fail_with(ErrorCode::kNotFound, "archive '{}' not found", archive.display());
  if (!info->is_file()) fail_with(ErrorCode::kBadInput, "archive '{}' is not a file", archive.display());

  // The package file first: export writes it as the first member, and then
  // the same pass goes on with the data; otherwise one pass over the
  // headers finds it.
  auto first = std::make_unique<OpenArchive>(ctx, archive);
  std::optional<model::PackageInfo> package;
  if (auto head = first->tar().next()) {
    Member m = classify(*head, archive);
    if (m.kind == Member::Kind::kPackageFile) package = read_package_member(first->tar(), *head, m.path, archive);
  }
  if (!package) {
    first.reset();
    package = find_package_file(ctx, archive);
  }
  const std::string& name = package->name;
  const std::string& version = package->version;
  std::string origin = archive.display() + ":" + model::wrapp_file_name(name);
  model::Catalog catalog = package->catalog ? *package->catalog : model::Catalog{};
  check_no_marker_item(catalog, name, origin);
  auto expected = expected_members(catalog, origin);
  // Each pass consumes the archive once: the first goes on where the
  // package file ended, the others start again.
  auto run_pass = [&](ImportPass& pass) {
    if (first) {
      auto open = std::move(first);
      pass.run(open->tar(), 1);
    } else {
      OpenArchive open(ctx, archive);
      pass.run(open.tar(), 0);
    }
  };

  VersionPublisher publisher(ctx, repo, name, version, "import " + name + " " + version);
  const Url& folder = publisher.version_folder();
  ImportResult result;
  result.package_name = name;
  result.version = version;
  result.wrapp_file = publisher.marker().str();
  result.plan.target = folder.str();
  if (const auto& existing = publisher.published()) {
    if (existing->catalog && holds_archive(*existing->catalog, catalog)) {
      result.no_op = true;
      return result;
    }
    if (!opt.overwrite) {
      fail_with(ErrorCode::kAlreadyExists,
                "package '{}' version '{}' already exists in '{}' with different content; versions are immutable: "
                "pass --overwrite to replace it, or remove it first with 'wrapp delete-packages --package {} {} {}'",
                name, version, repo.display(), name, version, repo.display());
    }
    result.replaced = true;
  }
  uint64_t total = 0;
  for (const auto& [member, e] : expected) total += e.size.value_or(0);
  auto& progress = ctx.scheduler.sub_job("import " + name + " " + version, "importing");
  progress.add_total(expected.size(), total);
  // The whole archive is verified before a published version is replaced,
  // and for a dry run.
  if (result.replaced || ctx.dry_run) {
    ImportPass verify(ctx, archive, catalog, expected, nullptr, std::vector<bool>(catalog.items.size()),
                      ctx.dry_run ? &progress : nullptr);
    run_pass(verify);
  }
  std::vector<bool> keep(catalog.items.size(), false);
  if (!ctx.dry_run) {
    if (result.replaced) {
      // The version stops existing first: its package file goes, under
      // either name, before any of its files.
      auto& store = ctx.store(folder);
      store.remove(publisher.marker());
      store.remove(folder.join(legacy_wrapp_file_name(name)));
      log::warn("unpublished {} {} in {} to replace it with the archive's content", name, version, repo.display());
    }
    std::vector<VersionPublisher::PlannedFile> planned;
    planned.reserve(catalog.items.size());
    for (const auto& item : catalog.items) planned.push_back({item.relative_path, item.size.value_or(0), item.hash});
    keep = publisher.resume(planned);
  }
  for (size_t i = 0; i < catalog.items.size(); ++i) {
    const auto& item = catalog.items[i];
    result.plan.actions.push_back({keep[i] ? PlanAction::Kind::kKeep : PlanAction::Kind::kCopy, item.relative_path,
                                   keep[i] ? "" : catalog.storage_path(item), item.size.value_or(0), item.hash});
  }
  if (ctx.dry_run) return result;

  ImportPass write(ctx, archive, catalog, std::move(expected), &folder, keep, &progress);
  try {
    run_pass(write);
  } catch (...) {
    remove_written(ctx, folder, write.written());
    throw;
  }
  progress.set_finished();

  model::PackageInfo out = *package;
  out.catalog.emplace();
  out.catalog->root = folder.str();
  out.catalog->items = catalog.items;
  for (size_t i = 0; i < out.catalog->items.size(); ++i) {
    auto& item = out.catalog->items[i];
    item.set_source_path("");  // source: the imported file
    // What the archive left unknown, its bytes tell: every later install
    // and check verifies against a complete catalog.
    if (item.hash.empty()) item.hash = write.hash(i);
    if (!item.size) item.size = write.size(i);
  }
  publisher.publish(out);
  log::info("imported {} {} into {}", name, version, repo.display());
  return result;
}

nlohmann::json to_json(const ImportResult& r) {
  return {{"package", r.package_name}, {"version", r.version}, {"wrapp_file", r.wrapp_file}, {"no_op", r.no_op},
          {"replaced", r.replaced},    {"plan", r.plan.to_json()}};
}

}  // namespace wrapp::commands
