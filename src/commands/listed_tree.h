// The files of a few folders on a disk, stat'ed by one listing instead of
// one stat each.
//
// A stat of a file below a destination resolves it beneath the root without
// following links: five system calls a file (open the root, openat2, fstat,
// two closes). A listing reads each folder with getdents and stats each entry
// with one fstatat. Checking an installed tree of 5,000 files (a re-install,
// the check before an update) is mostly these stats, so the difference is
// most of its time.
//
// A listing stats every entry of the folders it reads, the package's or
// not: it pays when the lookups are many (at least kMinLookupsToList), and
// a package of three files in a folder of ten thousand others is stat'ed
// file by file.
//
// The listing answers exactly what stat would: links are reported as
// themselves; a path below a folder that does not exist (or below an absent
// root) is absent; and a path it cannot vouch for (its folder was not
// listed: not asked for, a link) is stat'ed after all. Only on stores with real
// folders: an object store's listing lacks the metadata its stat returns.
// A listing that fails (a folder this user may search but not read) leaves
// every path to stat, as without it.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "commands/context.h"
#include "storage/listing.h"
#include "storage/storage.h"

namespace wrapp::commands {

inline constexpr size_t kMinLookupsToList = 16;

class ListedTree {
 public:
  // Lists `dirs` (relative to `root`, "" being root itself) where the store
  // has real folders and `lookups` (how many paths the caller will stat)
  // is at least kMinLookupsToList; otherwise lists nothing and stat() asks
  // the store.
  ListedTree(CommandContext& ctx, const storage::Url& root, const std::set<std::string>& dirs, size_t lookups);

  // Adds the folders `path` (relative to the root) lies in to `into`
  // ("" is added by the caller: the root).
  static void add_folders_of(std::set<std::string>& into, const std::string& path);

  // What the store's stat of root/`path` says (may call it). Thread-safe.
  std::optional<storage::FileInfo> stat(const std::string& path) const;

 private:
  // The listed entry of `path`, or nullptr.
  const storage::ListEntry* find(std::string_view path) const;

  storage::Storage& store_;
  storage::Url root_;
  storage::Listing entries_;  // sorted by path
  std::set<std::string> listed_;             // folders read whole ("" = root)
  bool root_absent_ = false;                 // the root did not exist when listed
};

}  // namespace wrapp::commands
