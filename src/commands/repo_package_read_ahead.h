// A version's package file read on another thread while the caller does
// other work: an update reads two package files (the installed one and the
// repository's), each a millisecond or more a thousand items, and on two
// cores they are read at once.
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <string>

#include "commands/context.h"
#include "exec/task_group.h"
#include "model/package_info.h"
#include "storage/url.h"

namespace wrapp::commands {

class RepoPackageReadAhead {
 public:
  explicit RepoPackageReadAhead(CommandContext& ctx) : ctx_(ctx) {}
  // Waits for a read still running (it refers to this object), its result
  // or error unused.
  ~RepoPackageReadAhead();
  RepoPackageReadAhead(const RepoPackageReadAhead&) = delete;
  RepoPackageReadAhead& operator=(const RepoPackageReadAhead&) = delete;

  // Starts require_repo_package(repo, name, version) on the io pool. Once.
  void start(const storage::Url& repo, const std::string& name, const std::string& version);
  bool started() const { return group_ != nullptr; }

  // The started read's package file, and where it was found; throws what
  // require_repo_package threw, so the caller reports errors where the
  // read would have stood. Once, after start().
  model::PackageInfo take(storage::Url* found_at);

 private:
  CommandContext& ctx_;
  std::unique_ptr<exec::TaskGroup> group_;
  std::optional<model::PackageInfo> info_;
  storage::Url found_at_;
  std::exception_ptr error_;
};

}  // namespace wrapp::commands
