#include "commands/repo_package_read_ahead.h"

#include "commands/repository.h"
#include "util/error.h"

namespace wrapp::commands {

RepoPackageReadAhead::~RepoPackageReadAhead() {
  if (!group_) return;
  try {
    group_->wait();
  } catch (...) {  // the task keeps its own error; nothing else can fail
  }
}

void RepoPackageReadAhead::start(const storage::Url& repo, const std::string& name, const std::string& version) {
  if (group_) fail("internal error: a package file is already being read ahead");
  group_ = std::make_unique<exec::TaskGroup>(ctx_.scheduler.io_pool(), ctx_.scheduler.token().child());
  group_->spawn([this, repo, name, version] {
    // Every error is kept for take(), Cancelled too: the group must not
    // cancel on it, and the caller decides when to report it.
    try {
      info_ = require_repo_package(ctx_, repo, name, version, &found_at_);
    } catch (...) {
      error_ = std::current_exception();
    }
  });
}

model::PackageInfo RepoPackageReadAhead::take(storage::Url* found_at) {
  if (!group_) fail("internal error: no package file was read ahead");
  group_->wait();
  if (error_) std::rethrow_exception(error_);
  if (!info_) fail("internal error: the package file read ahead was taken twice");
  if (found_at) *found_at = found_at_;
  model::PackageInfo info = std::move(*info_);
  info_.reset();
  return info;
}

}  // namespace wrapp::commands
