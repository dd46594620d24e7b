#include "commands/repository.h"

#include <algorithm>

#include "commands/list_repo.h"
#include "model/patch.h"
#include "storage/storage.h"
#include "util/error.h"
#include "util/log.h"
#include "util/suggest.h"

namespace wrapp::commands {

using storage::Url;

Url packages_url(const Url& repo) { return repo.join(".packages"); }

Url version_url(const Url& repo, const std::string& name, const std::string& version) {
  model::check_name_and_version(name, version);
  return packages_url(repo).join(name).join(version);
}

Url repo_marker_url(const Url& repo, const std::string& name, const std::string& version) {
  return version_url(repo, name, version).join(model::wrapp_file_name(name));
}

template <typename T>
std::optional<T> parse_document(CommandContext& ctx, const Url& url,
                                const std::function<T(std::string_view, const TextWindow*)>& parse) {
  auto doc = ctx.store(url).read_document(url);
  if (!doc) return std::nullopt;
  TextWindow window{[&](size_t offset) { doc->release_before(offset); }, [&] { doc->restart(); }};
  return parse(doc->text(), &window);
}

template std::optional<model::PackageInfo> parse_document(
    CommandContext&, const Url&, const std::function<model::PackageInfo(std::string_view, const TextWindow*)>&);
template std::optional<model::Catalog> parse_document(
    CommandContext&, const Url&, const std::function<model::Catalog(std::string_view, const TextWindow*)>&);
template std::optional<model::Patch> parse_document(
    CommandContext&, const Url&, const std::function<model::Patch(std::string_view, const TextWindow*)>&);

std::optional<model::PackageInfo> read_package_info(CommandContext& ctx, const Url& wrapp_file) {
  std::string origin = wrapp_file.display();
  return parse_document<model::PackageInfo>(ctx, wrapp_file, [&](std::string_view text, const TextWindow* window) {
    return model::PackageInfo::parse(text, origin, window);
  });
}

model::PackageInfo require_package_info(CommandContext& ctx, const Url& wrapp_file, const std::string& what) {
  auto info = read_package_info(ctx, wrapp_file);
  if (!info) fail_with(ErrorCode::kNotFound, "{} '{}' not found", what, wrapp_file.display());
  return std::move(*info);
}

std::string legacy_wrapp_file_name(std::string_view package_name) {
  std::string out(package_name);
  out += ".wrapp";
  return out;
}

std::optional<RepoPackageFile> find_repo_package(CommandContext& ctx, const Url& repo, const std::string& name,
                                                 const std::string& version) {
  Url marker = repo_marker_url(repo, name, version);
  if (auto info = read_package_info(ctx, marker)) return RepoPackageFile{marker, std::move(*info)};
  Url legacy = version_url(repo, name, version).join(legacy_wrapp_file_name(name));
  if (auto info = read_package_info(ctx, legacy)) return RepoPackageFile{legacy, std::move(*info)};
  return std::nullopt;
}

model::PackageInfo require_repo_package(CommandContext& ctx, const Url& repo, const std::string& name,
                                        const std::string& version, Url* found_at) {
  if (auto found = find_repo_package(ctx, repo, name, version)) {
    if (found_at) *found_at = found->url;
    return std::move(found->info);
  }
  std::vector<std::string> names, versions;
  for (auto& pkg : repo_packages(ctx, repo)) {
    if (pkg.name == name) versions = std::move(pkg.versions);
    names.push_back(std::move(pkg.name));
  }
  if (versions.empty()) {
    fail_with(ErrorCode::kNotFound, "package '{}' not found in repository '{}'{}", name, repo.display(),
              did_you_mean(closest_words(name, names)));
  }
  // The versions closest to the one asked for first, then the others in
  // the repository's order, at most kVersionsListed.
  constexpr size_t kVersionsListed = 20;
  std::vector<std::string> listed = closest_words(version, versions, kVersionsListed);
  for (const auto& v : versions) {
    if (listed.size() >= kVersionsListed) break;
    if (std::find(listed.begin(), listed.end(), v) == listed.end()) listed.push_back(v);
  }
  std::string known;
  for (const auto& v : listed) known += (known.empty() ? "" : ", ") + v;
  if (versions.size() > listed.size()) known += fmt::format(" and {} more", versions.size() - listed.size());
  fail_with(ErrorCode::kNotFound, "package '{}' version '{}' not found in repository '{}' (available: {})", name,
            version, repo.display(), known);
}

void check_no_marker_item(const model::Catalog& catalog, const std::string& package_name, const std::string& origin) {
  std::string marker = model::wrapp_file_name(package_name);
  if (catalog.find(marker)) fail("{}: the catalog lists the package file '{}' itself as content", origin, marker);
}

void write_json(CommandContext& ctx, const Url& url, const storage::WriteOptions& options,
                const std::function<void(JsonWriter&)>& fill) {
  auto writer = ctx.store(url).open_write(url, options);
  uint64_t offset = 0;
  std::string buffer;
  // Room for a chunk and the value that passes it, so that the buffer is
  // not regrown by copying (a value over 64 KiB still may).
  buffer.reserve(JsonWriter::kDefaultChunk + (64 << 10));
  JsonWriter w(buffer, [&](std::string_view chunk) {
    writer->write_at(offset, chunk.data(), chunk.size());
    offset += chunk.size();
  });
  fill(w);
  buffer.push_back('\n');
  w.flush();
  writer->commit();
}

void check_package_depth(size_t depth, const Url& wrapp_file) {
  if (depth > kMaxPackageDepth) {
    fail_with(ErrorCode::kBadInput,
              "'{}': package dependencies nest deeper than {} levels (a package that depends on itself?)",
              wrapp_file.display(), kMaxPackageDepth);
  }
}

Url parse_location(const std::string& text) {
  if (text.empty()) fail("empty path or URL");
  return Url::parse(text);
}

storage::Url default_repository(CommandContext& ctx, const storage::Url& start) {
  // Each ancestor as if a user had named it: .packages below it is then
  // resolved without following a link.
  storage::Url at = storage::Url::parse(start.str());
  std::optional<storage::Url> below;  // the level under `at`
  while (true) {  // each turn one segment shorter, to the root
    std::optional<storage::FileInfo> info;
    try {
      info = ctx.store(at).stat(at.join(".packages"));
    } catch (const Error& e) {
      // Above a bucket or container a URL names none (an Azure account, an
      // S3 endpoint): its backend refuses it as bad input, and the level
      // below is the root. Any other failure (network, credentials), or one
      // at `start` itself, is the user's to see.
      if (start.is_local() || !below || e.code() != ErrorCode::kBadInput) throw;
      at = *below;
      break;
    }
    if (info && info->is_dir && !info->is_link) {
      log::info("repository: {} (the nearest folder holding .packages; --repo chooses another)", at.display());
      return at;
    }
    storage::Url up = storage::Url::parse(at.parent().str());
    if (up.path().size() >= at.path().size()) break;
    below = at;
    at = up;
  }
  if (!start.is_local()) {
    log::info("repository: {} (the root of its bucket or container; --repo chooses another)", at.display());
    return at;
  }
  fail_with(ErrorCode::kNotFound,
            "no repository given, and no folder at or above '{}' holds .packages: pass --repo (the folder or URL "
            "that holds .packages)",
            start.display());
}

}  // namespace wrapp::commands
