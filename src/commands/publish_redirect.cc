#include "commands/publish_redirect.h"

#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

#include "commands/file_ops.h"
#include "commands/item_source.h"
#include "commands/list_repo.h"
#include "commands/publish.h"
#include "commands/repository.h"
#include "util/error.h"
#include "util/log.h"

namespace wrapp::commands {

using storage::Url;

namespace {

// One package version to publish as a redirect.
struct Redirect {
  Url source_repo;
  model::PackageInfo source;    // the source repository's package file
  model::PackageInfo redirect;  // what the redirect repository gets
};

// The same package, as publish-redirect compares them: catalog items by
// path, hash and size, and dependencies. Pointers (source, repository,
// source_path) may differ.
bool same_package(const model::PackageInfo& a, const model::PackageInfo& b) {
  if (a.dependencies != b.dependencies || a.catalog.has_value() != b.catalog.has_value()) return false;
  if (!a.catalog) return true;
  const auto& x = a.catalog->items;
  const auto& y = b.catalog->items;
  if (x.size() != y.size()) return false;
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i].relative_path != y[i].relative_path || !x[i].same_content(y[i])) return false;
  }
  return true;
}

// Where each item's bytes are in the source repository, as an absolute URL,
// its base replaced by `external` when given. A repository moved since the
// package was written (two candidate places) is looked at to take the place
// that has the file.
void point_items(CommandContext& ctx, Redirect& r, const Url& found_at, const std::optional<Url>& external,
                 const Url& redirect_version, std::vector<ItemFailure>& failures, std::mutex& mu) {
  const model::Catalog& catalog = *r.source.catalog;
  ItemSources sources(catalog, found_at, fmt::format("package '{}' {}", r.source.name, r.source.version));
  model::Catalog out;
  out.root = redirect_version.str();  // where the package file lies; every item is read elsewhere
  out.items.resize(catalog.items.size());
  for_each_transfer(ctx, catalog.items.size(), [&](size_t i) {
    const auto& item = catalog.items[i];
    model::CatalogItem& pointed = out.items[i] = item;
    try {
      std::vector<Url> places = sources.candidates(item);
      Url from = places.size() == 1 ? places.front() : sources.locate(ctx, item).url;
      std::string below;
      pointed.set_source_path(external && from.relative_to(r.source_repo, &below) ? external->join(below).str()
                                                                                : from.str());
    } catch (const Cancelled&) {
      throw;
    } catch (const Error& e) {
      std::lock_guard lock(mu);
      failures.push_back(ItemFailure::of(e));
    }
  });
  // The storage_map only told where the source's bytes are: the redirect's
  // source_paths say it now.
  r.redirect.catalog = std::move(out);
}

}  // namespace

PublishRedirectResult publish_redirect(CommandContext& ctx, const PublishRedirectOptions& opt) {
  if (opt.source_repos.empty()) fail_with(ErrorCode::kBadInput, "no source repository given (--source-repo)");
  Url redirect_repo = parse_location(opt.redirect_repo);
  std::vector<Url> source_repos;
  for (const auto& text : opt.source_repos) {
    Url repo = parse_location(text);
    if (repo == redirect_repo) {
      fail_with(ErrorCode::kBadInput, "the redirect repository '{}' is also a source repository",
                redirect_repo.display());
    }
    source_repos.push_back(repo);
  }
  std::optional<Url> external;
  if (opt.external_url) external = Url::parse(*opt.external_url);

  // 1-2. Every version of every source repository; duplicates merged or refused.
  std::vector<Redirect> redirects;
  std::map<std::pair<std::string, std::string>, size_t> index;
  std::vector<std::string> clashes;
  std::vector<ItemFailure> failures;
  std::mutex mu;
  for (const Url& repo : source_repos) {
    auto& store = ctx.store(repo);
    if (auto info = store.stat(repo); !info || !info->is_dir) {
      fail_with(ErrorCode::kNotFound, "source repository '{}' not found", repo.display());
    }
    for (const auto& package : repo_packages(ctx, repo)) {
      for (const auto& version : package.versions) {
        auto found = find_repo_package(ctx, repo, package.name, version);
        if (!found) continue;  // removed since it was listed
        auto [it, added] = index.emplace(std::make_pair(package.name, version), redirects.size());
        if (!added) {
          const Redirect& first = redirects[it->second];
          if (!same_package(first.source, found->info)) {
            clashes.push_back(fmt::format("package '{}' version '{}' differs between '{}' and '{}'", package.name,
                                          version, first.source_repo.display(), repo.display()));
          }
          continue;  // identical: written once, from the first repository
        }
        if (found->info.catalog) check_no_marker_item(*found->info.catalog, package.name, found->url.display());
        Redirect r{repo, found->info, found->info};
        r.redirect.repository = repo.str();
        if (r.source.catalog) {
          point_items(ctx, r, found->url, external, version_url(redirect_repo, package.name, version), failures, mu);
        }
        redirects.push_back(std::move(r));
      }
    }
  }
  if (!clashes.empty()) {
    std::string message = fmt::format(
        "cannot publish redirect packages: {} version(s) exist in several source repositories with different "
        "content; nothing was written:",
        clashes.size());
    for (const auto& c : clashes) message += "\n  " + c;
    throw FailedCommand(message, ErrorCode::kConflict, clashes);
  }
  if (!failures.empty()) fail_unreadable("cannot publish redirect packages", std::move(failures));

  // 3. What the redirect repository already holds.
  PublishRedirectResult result;
  std::vector<const Redirect*> to_write;
  std::vector<std::string> refused;
  for (const auto& r : redirects) {
    auto existing = find_repo_package(ctx, redirect_repo, r.source.name, r.source.version);
    if (!existing) {
      to_write.push_back(&r);
    } else if (same_package(existing->info, r.redirect)) {
      result.unchanged.push_back(existing->url.str());
    } else {
      refused.push_back(existing->url.display());
    }
  }
  if (!refused.empty()) {
    std::string message = fmt::format(
        "cannot publish redirect packages: {} version(s) already exist in '{}' with different content; versions "
        "are immutable, nothing was written:",
        refused.size(), redirect_repo.display());
    for (const auto& r : refused) message += "\n  " + r;
    throw FailedCommand(message, ErrorCode::kAlreadyExists, refused);
  }

  // 4. Publish.
  for (const Redirect* r : to_write) {
    const std::string& name = r->source.name;
    const std::string& version = r->source.version;
    VersionPublisher publisher(ctx, redirect_repo, name, version, "publish-redirect " + name + " " + version);
    if (const auto& published = publisher.published()) {  // written meanwhile by another process
      if (!same_package(*published, r->redirect)) {
        fail_with(ErrorCode::kAlreadyExists,
                  "package '{}' version '{}' appeared in '{}' with different content while publishing", name, version,
                  redirect_repo.display());
      }
      result.unchanged.push_back(publisher.marker().str());
      continue;
    }
    result.written.push_back(publisher.marker().str());
    if (ctx.dry_run) continue;
    publisher.resume({});  // a redirect version holds nothing but its package file
    publisher.publish(r->redirect);
    log::info("published redirect package {} {} in {}", name, version, redirect_repo.display());
  }
  return result;
}

nlohmann::json to_json(const PublishRedirectResult& result) {
  return {{"written", result.written}, {"unchanged", result.unchanged}};
}

}  // namespace wrapp::commands
