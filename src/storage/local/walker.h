// The parallel directory walk behind LocalStorage::list (docs/design.md,
// "Listing" and "Symbolic links in a walk").
//
// A few threads share a stack of folders; each folder is read from a
// descriptor opened relative to its parent's (openat, O_NOFOLLOW), never
// from a rebuilt absolute path, and each entry is fstatat'ed without
// following links. Links are followed only when they resolve beneath the
// listed folder (resolved from its descriptor, as reads are), unless the
// policy is kReportLinks.
#pragma once

#include <functional>
#include <string>

#include "storage/local/fd.h"
#include "storage/local/resolve.h"
#include "storage/storage.h"

namespace wrapp::storage::local {

// Lists the folder open at `root` (O_RDONLY | O_DIRECTORY), which is
// `display` in messages, delivering pages of at most kListPageSize entries
// to `on_page` from one thread at a time. `check_cancelled` (may be empty)
// runs before each folder is read. `run_workers` (may be empty) runs the
// walk's workers on threads the caller lends (the command's io pool);
// without it the walk starts its own.
void walk(Fd root, const std::string& display, const ListOptions& options, const ListPage& on_page,
          const std::function<void()>& check_cancelled, Method method,
          const std::function<void(size_t, const std::function<void()>&)>& run_workers = {});

inline constexpr size_t kListPageSize = 1000;

}  // namespace wrapp::storage::local
