// Publishing a version into a repository: the protocol that create and
// mirror and import share, written down in docs/design.md
// ("Write ordering").
//
//   1. the repository is checked (a file, or a folder inside another
//      repository's .packages, is refused);
//   2. the version's lock object is taken (<repo>/.wrapp-locks/<name>/
//      <version>.lock): one writer at a time; a live holder makes this
//      writer fail at once, a dead or expired one is taken over;
//   3. only then is the marker looked for: a published version is never
//      written again (the caller decides between "exists" and "no-op");
//   4. what an earlier, interrupted writer left in the unpublished folder is
//      inspected: files the version will not hold are deleted, files it
//      will hold are kept only when their bytes verify against the hash the
//      version records for them, and replaced otherwise;
//   5. data files are written (in place: nobody reads an unpublished
//      folder, and the lock keeps other writers out);
//   6. the lock is checked to be still ours, everything is synced (with
//      --fsync), and the package file is written last, create-only;
//   7. the lock is released.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "commands/context.h"
#include "model/package_info.h"
#include "storage/lock.h"
#include "storage/url.h"

namespace wrapp::commands {

// <repo>/.wrapp-locks: lock objects of the versions being written.
storage::Url version_lock_url(const storage::Url& repo, const std::string& name, const std::string& version);

// Refuses (FailedCommand) a location that lies inside a repository's
// .packages folder: writing there would make files appear inside versions.
void refuse_inside_packages(const storage::Url& location, const std::string& what);

// Takes the lock object at `url` for this command: a lost lock cancels the
// command (its writers stop), and a dead or expired holder taken over is
// handed back in `previous`.
std::unique_ptr<storage::Lock> take_command_lock(CommandContext& ctx, const storage::Url& url,
                                                 const std::string& purpose,
                                                 std::optional<storage::LockHolder>* previous);

class VersionPublisher {
 public:
  // Steps 1-3. `purpose` names the command in the lock ("create p 1").
  VersionPublisher(CommandContext& ctx, const storage::Url& repo, const std::string& name,
                   const std::string& version, const std::string& purpose);
  ~VersionPublisher();

  const storage::Url& version_folder() const { return version_; }
  const storage::Url& marker() const { return marker_; }
  // The published package file (`.<name>.wrapp`, or an older repository's
  // `<name>.wrapp`), read after taking the lock; nullopt when the version is
  // not published.
  const std::optional<model::PackageInfo>& published() const { return published_; }

  // Step 4. For each planned path (relative) with its expected hash ("" when
  // not known yet), whether a file already there verifies (size and hash)
  // and can be kept. Every other file in the folder is deleted, and the
  // folders that leaves empty. Reads only files that exist.
  struct PlannedFile {
    std::string relative_path;
    uint64_t size = 0;
    model::ContentHash hash;
  };
  std::vector<bool> resume(const std::vector<PlannedFile>& planned);

  // Step 6 and 7: publishes `package` as the version's package file.
  void publish(const model::PackageInfo& package);

  // The lock, for commands that must stop when it is lost.
  void check_lock() const;

 private:
  CommandContext& ctx_;
  storage::Url repo_;
  storage::Url version_;
  storage::Url marker_;
  std::unique_ptr<storage::Lock> lock_;
  std::optional<model::PackageInfo> published_;
};

}  // namespace wrapp::commands
