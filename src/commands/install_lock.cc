#include "commands/install_lock.h"

#include <nlohmann/json.hpp>

#include "commands/publish.h"
#include "commands/repository.h"
#include "commands/tree.h"
#include "util/error.h"
#include "util/log.h"

namespace wrapp::commands {

using storage::Url;

Url install_lock_url(const Url& location) { return location.join(std::string(kInstallLockName)); }

std::string InstallIntent::to_json() const {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& e : packages) {
    arr.push_back({{"location", e.location}, {"name", e.name}, {"version", e.version}, {"repository", e.repository}});
  }
  return nlohmann::json{{"installing", arr}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

InstallIntent InstallIntent::parse(std::string_view text, const std::string& origin) {
  InstallIntent out;
  try {
    auto doc = nlohmann::json::parse(text);
    for (const auto& e : doc.at("installing")) {
      out.packages.push_back({e.at("location").get<std::string>(), e.at("name").get<std::string>(),
                              e.at("version").get<std::string>(), e.at("repository").get<std::string>()});
    }
  } catch (const nlohmann::json::exception& e) {
    fail_with(ErrorCode::kBadInput, "'{}': not an install intent ({})", origin, e.what());
  }
  return out;
}

const InstallIntent::Entry* InstallIntent::find(const std::string& location, const std::string& name) const {
  for (const auto& e : packages) {
    if (e.location == location && e.name == name) return &e;
  }
  return nullptr;
}

namespace {

// A killed writer may leave a temporary name behind (the instant between
// naming a finished temporary file and renaming it over its target). Only
// wrapp's own names are removed, links are listed as themselves and never
// followed.
void remove_partial_writes(CommandContext& ctx, const Url& location) {
  auto& store = ctx.store(location);
  storage::ListOptions options;
  options.symlinks = storage::SymlinkPolicy::kReportLinks;
  for (const auto& e : storage::list_all(store, location, options)) {
    if (!e.info.is_file() || !base_name(e.relative_path).starts_with(".wrapp-partial-")) continue;
    log::info("removing '{}', left by an interrupted write", location.join(e.relative_path).display());
    store.remove(location.join(e.relative_path));
  }
}

}  // namespace

std::unique_ptr<storage::Lock> take_install_lock(CommandContext& ctx, const Url& location, const std::string& purpose,
                                                 std::optional<InstallIntent>* interrupted) {
  if (ctx.dry_run) return nullptr;
  Url url = install_lock_url(location);
  std::optional<storage::LockHolder> previous;
  auto lock = take_command_lock(ctx, url, purpose, &previous);
  if (previous) {
    log::warn("'{}': {} was interrupted ({}); finishing from where it stopped", location.display(),
              previous->purpose, previous->describe());
    remove_partial_writes(ctx, location);
    // Kept in our lock until this command succeeds: if it fails or is killed
    // too, the next one still knows what was left unfinished.
    if (!previous->intent.empty()) lock->set_intent(previous->intent);
    if (!previous->intent.empty() && interrupted) {
      try {
        *interrupted = InstallIntent::parse(previous->intent, url.display());
      } catch (const FailedCommand& e) {
        log::warn("{}", e.what());  // then files it wrote show as modified: nothing is lost
      }
    }
  }
  return lock;
}

std::optional<model::Catalog> interrupted_catalog(CommandContext& ctx, const InstallIntent& intent,
                                                  const std::string& location, const std::string& name) {
  const auto* entry = intent.find(location, name);
  if (!entry) return std::nullopt;
  try {
    auto info = read_package_info(ctx, repo_marker_url(parse_location(entry->repository), name, entry->version));
    if (info && info->catalog) return std::move(*info->catalog);
  } catch (const Error& e) {
    log::warn("cannot read the version an interrupted install was writing: {}", e.what());
  }
  return std::nullopt;
}

}  // namespace wrapp::commands
