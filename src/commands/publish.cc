#include "commands/publish.h"

#include <set>
#include <unordered_map>

#include "commands/file_ops.h"
#include "commands/repository.h"
#include "commands/tree.h"
#include "util/error.h"
#include "util/log.h"

namespace wrapp::commands {

using storage::Url;

Url version_lock_url(const Url& repo, const std::string& name, const std::string& version) {
  model::check_name_and_version(name, version);
  return repo.join(".wrapp-locks").join(name).join(version + ".lock");
}

void refuse_inside_packages(const Url& location, const std::string& what) {
  const std::string& path = location.path();
  for (size_t start = 0; start < path.size();) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (path.compare(start, end - start, ".packages") == 0) {
      fail_with(ErrorCode::kBadInput,
                "{} '{}' lies inside a repository's .packages folder; its files would appear inside a package "
                "version: choose a location outside .packages",
                what, location.display());
    }
    start = end + 1;
  }
}

namespace {

void check_repository(CommandContext& ctx, const Url& repo) {
  refuse_inside_packages(repo, "repository");
  auto& store = ctx.store(repo);
  auto info = store.stat(repo);
  if (info && !info->is_dir) fail_with(ErrorCode::kBadInput, "repository '{}' is a file, not a folder", repo.display());
}

}  // namespace

std::unique_ptr<storage::Lock> take_command_lock(CommandContext& ctx, const Url& url, const std::string& purpose,
                                                 std::optional<storage::LockHolder>* previous) {
  auto options = storage::Lock::Options::from_environment(purpose);
  auto token = ctx.scheduler.token();
  options.on_lost = [token, url] {
    log::error("lost the lock '{}' (taken over, or it could not be refreshed in time): stopping", url.display());
    token.cancel();
  };
  return storage::Lock::acquire(ctx.store(url), url, std::move(options), previous);
}

VersionPublisher::VersionPublisher(CommandContext& ctx, const Url& repo, const std::string& name,
                                   const std::string& version, const std::string& purpose)
    : ctx_(ctx), repo_(repo) {
  check_repository(ctx, repo);
  version_ = version_url(repo, name, version);
  marker_ = version_.join(model::wrapp_file_name(name));
  // Either name of the package file publishes the version (an older
  // repository's `<name>.wrapp` too).
  auto read_published = [&] {
    if (auto found = find_repo_package(ctx, repo, name, version)) published_ = std::move(found->info);
  };
  if (ctx.dry_run) {
    // A dry run writes nothing, so it takes no lock: it reports what a real
    // run would find now.
    read_published();
    return;
  }
  Url lock_url = version_lock_url(repo, name, version);
  std::optional<storage::LockHolder> previous;
  lock_ = take_command_lock(ctx, lock_url, purpose, &previous);
  if (previous) {
    log::info("taking over '{}' from {}: what it left is verified before it is kept", lock_url.display(),
              previous->describe());
  }
  read_published();
}

VersionPublisher::~VersionPublisher() = default;

void VersionPublisher::check_lock() const {
  if (lock_) lock_->check();
}

std::vector<bool> VersionPublisher::resume(const std::vector<PlannedFile>& planned) {
  std::vector<bool> keep(planned.size(), false);
  // Written by the workers: one byte each (vector<bool> packs its flags into
  // shared words, and two workers setting neighbours would race).
  std::vector<char> verified(planned.size(), 0);
  auto& store = ctx_.store(version_);
  storage::ListOptions options;
  options.symlinks = storage::SymlinkPolicy::kReportLinks;  // a link is a leftover, removed itself
  options.include_other = true;
  auto entries = storage::list_all(store, version_, options);
  if (entries.empty()) return keep;
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < planned.size(); ++i) index.emplace(planned[i].relative_path, i);
  // Verification reads the bytes: a leftover is never vouched for by the
  // hash cache (a killed in-place writer leaves files of the right size).
  CommandContext verify = ctx_;
  verify.hash_cache = nullptr;
  std::vector<char> kept(entries.size(), 0);  // not vector<bool>: workers write neighbours
  for_each_transfer(ctx_, entries.size(), [&](size_t e) {
    const auto& entry = entries[e];
    auto it = index.find(entry.relative_path);
    if (it == index.end() || !entry.info.is_file()) return;
    const PlannedFile& p = planned[it->second];
    if (p.hash.empty() || entry.info.size != p.size) return;
    if (hash_object(verify, version_.join(entry.relative_path), entry.info, nullptr) == p.hash) {
      verified[it->second] = 1;
      kept[e] = 1;
    }
  });
  for (size_t i = 0; i < planned.size(); ++i) keep[i] = verified[i] != 0;
  std::vector<std::string> removed;
  for (size_t e = 0; e < entries.size(); ++e) {
    if (kept[e]) continue;
    log::info("removing '{}', left by an interrupted run", version_.join(entries[e].relative_path).display());
    store.remove(version_.join(entries[e].relative_path));
    removed.push_back(entries[e].relative_path);
  }
  remove_emptied_folders(ctx_, version_, removed);
  // A leftover folder where the version needs a file.
  for (const auto& p : planned) {
    Url target = version_.join(p.relative_path);
    if (auto info = store.stat(target); info && info->is_dir) remove_empty_folder_tree(ctx_, target);
  }
  return keep;
}

void VersionPublisher::publish(const model::PackageInfo& package) {
  if (ctx_.dry_run) return;
  check_lock();
  auto& job = ctx_.scheduler.sub_job("write " + marker_.display(), "publishing");
  auto& store = ctx_.store(marker_);
  if (ctx_.durable) store.sync(version_);
  storage::WriteOptions wopts;
  wopts.read_only = true;
  wopts.durable = ctx_.durable;
  write_json(ctx_, marker_, wopts, [&](JsonWriter& w) { package.write(w); });
  job.set_finished();
  published_ = package;
  if (lock_) lock_->release();
}

}  // namespace wrapp::commands
