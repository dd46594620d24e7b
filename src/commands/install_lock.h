// The lock of an install location, and what it tells about an install that
// was interrupted.
//
// install and uninstall take `<location>/.wrapp-install.lock` (a lock object,
// storage/lock.h) before they change anything, so two of them never mix
// their files in one folder. Before executing, install records its intent
// in the lock: every package of the tree it is about to change, with the
// version and repository it installs. A killed install leaves the lock with
// a dead holder. The next install or uninstall takes it over and reads that
// intent: files equal to the interrupted version's are then known to be the
// package's own (not user modifications), so re-running, going back to the
// old version and uninstall --force all finish cleanly. status names the
// state meanwhile.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/context.h"
#include "model/catalog.h"
#include "storage/lock.h"

namespace wrapp::commands {

inline constexpr std::string_view kInstallLockName = ".wrapp-install.lock";

storage::Url install_lock_url(const storage::Url& location);

struct InstallIntent {
  struct Entry {
    std::string location;  // relative to the locked location ("" for itself)
    std::string name;
    std::string version;
    std::string repository;  // URL
  };
  std::vector<Entry> packages;

  std::string to_json() const;
  // Throws FailedCommand naming `origin` when the text is not an intent.
  static InstallIntent parse(std::string_view text, const std::string& origin);
  const Entry* find(const std::string& location, const std::string& name) const;
};

// Takes the install lock of `location` (not on a dry run: returns nullptr).
// When a dead, abandoned or expired holder is taken over, `interrupted`
// receives its intent, and the new lock carries it on until the command
// ends: release() it on success, abandon() it when the command fails after
// changing files or while an interrupted intent is unfinished.
std::unique_ptr<storage::Lock> take_install_lock(CommandContext& ctx, const storage::Url& location,
                                                 const std::string& purpose,
                                                 std::optional<InstallIntent>* interrupted);

// The catalog of the version an interrupted install was writing for `name`
// at `location` (relative), read from its repository; nullopt when the
// intent has no such entry or that version cannot be read any more.
std::optional<model::Catalog> interrupted_catalog(CommandContext& ctx, const InstallIntent& intent,
                                                  const std::string& location, const std::string& name);

}  // namespace wrapp::commands
