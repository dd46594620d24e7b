// Where the bytes of a package's files are read from: where its catalog
// says (the storage_map entry of the item's hash, else its source_path),
// not wherever the .wrapp file happens to sit. This is what makes redirect
// packages work (a .wrapp with no data, its items pointing into another
// repository or a CDN), and what install, mirror, check, export and get share.
//
// The rules (docs/design.md, "Where a package's bytes are read from"):
//   - a storage_map location relative to the catalog's root, and a
//     source_path that lies below the catalog's root (the usual case: the
//     version's own files), are read below the folder the package file was
//     found in: a repository moved or copied by hand is read where it is now.
//     When that file is absent and the recorded URL is another place, the
//     recorded URL is tried next (a redirect package that kept its source's
//     root);
//   - any other location is read where it is recorded: another repository,
//     a file:// location, a URL of a scheme this build may lack (the
//     Resolver then fails with "No storage backend available ...").
// Recorded locations are only ever read, through the storage layer's read
// rules; nothing is written through them.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "commands/context.h"
#include "commands/listed_tree.h"
#include "model/catalog.h"
#include "storage/storage.h"
#include "storage/url.h"
#include "util/error.h"

namespace wrapp::commands {

// A location recorded in a package file (a source_path, an absolute
// storage_map entry), anchored as the storage layer anchors what a user
// gives: at the repository when the path runs through a `.packages` folder,
// else at the file's own folder. Links beneath that anchor are followed only
// while they stay beneath it. Throws FailedCommand for a malformed URL.
storage::Url recorded_location(std::string_view text);

class ItemSources {
 public:
  // The catalog of the package file found at `package_file`; `label` names
  // the package in messages ("package 'p' 1"). Copies what it needs.
  ItemSources(const model::Catalog& catalog, const storage::Url& package_file, std::string label);

  // Where `item`'s bytes may be, in the order they are looked for (one or
  // two URLs). Throws FailedCommand for a location that is neither a URL nor
  // a safe relative path.
  std::vector<storage::Url> candidates(const model::CatalogItem& item) const;

  struct Found {
    storage::Url url;
    storage::FileInfo info;
  };

  // The candidates looked at in order (stat), stopping at the first one
  // that exists. `follow_links`: a symbolic link (or one on the way) is read
  // through when it stays beneath its anchor, as reads do; otherwise it is
  // reported as not a file. Failures of the store (no backend for the
  // scheme, a link leading out, I/O) propagate.
  struct Lookup {
    enum class State { kFound, kMissing, kNotAFile };
    State state = State::kMissing;
    storage::Url url;         // where it was found, else the first candidate
    storage::FileInfo info;   // kFound
    std::string detail;       // kMissing: every place looked at; kNotAFile: what is there
  };
  Lookup lookup(CommandContext& ctx, const model::CatalogItem& item, bool follow_links) const;

  // lookup() that must find a file: throws FailedCommand kNotFound naming
  // the item and every place looked at, and kDamaged when the file found
  // has another size than the item records (its bytes would be refused
  // while copying); any other failure is rethrown with the same code and
  // class, its message prefixed with the item.
  Found locate(CommandContext& ctx, const model::CatalogItem& item) const;

  // "file 'a.txt' of package 'p' 1"
  std::string describe(const model::CatalogItem& item) const;

  const storage::Url& folder() const { return folder_; }

  // Lists the folder the package file was found in, once, so that lookups
  // below it are answered from the listing instead of one request each: on
  // an object store a stat is a request (HEAD) while a listing page answers
  // for a thousand files. Does nothing where a stat costs a system call
  // only (a store with real folders); when `lookups` (how many files the
  // caller will look up) is below kListingPaysFrom or below 1% of the
  // catalog's files (an update of a few files of a big package: their HEADs
  // cost less than listing everything); or when `need_metadata` (the
  // lookups need the stored hash) and the store's listings carry none. A
  // file the listing lacks is still stat'ed. Call before the lookups start
  // (not thread-safe with them).
  void list_folder_once(CommandContext& ctx, size_t lookups, bool need_metadata = false);
  static constexpr size_t kListingPaysFrom = 8;

  // The same on a disk, where a stat costs five system calls (resolving
  // the path beneath its root) and a listing one per entry: `folders`
  // (relative to folder(), "" for itself) are listed once (ListedTree) when
  // the lookups are at least a quarter of the catalog's files (a fresh
  // install, not an update of a few files of a big package): a listing
  // pays while each lookup saves the stat of at most kListedFilesPerLookup
  // listed files. Does nothing on other stores. Call before the lookups
  // start.
  void list_folders_once(CommandContext& ctx, size_t lookups, const std::set<std::string>& folders);
  static constexpr size_t kListedFilesPerLookup = 4;

  // The same with a listing of the folder the caller made anyway (check
  // lists a version folder for strays): used where list_folder_once would
  // list, whatever the number of lookups.
  void use_listing(CommandContext& ctx, const std::vector<storage::ListEntry>& entries, bool need_metadata = false);

 private:
  std::string root_text_;
  std::optional<storage::Url> root_;  // the catalog's root, when it is a valid URL
  std::map<std::string, std::string, std::less<>> storage_map_;
  storage::Url folder_;  // where the package file was found
  std::string label_;
  size_t catalog_items_ = 0;
  // Whether a listing of folder_ answers lookups on its store (above).
  bool listing_answers(CommandContext& ctx, bool need_metadata) const;
  // list_folder_once(): the files below folder_, by path relative to it.
  std::unordered_map<std::string, storage::FileInfo> listed_;
  // list_folders_once(): the same on a disk, answering as stat would.
  std::shared_ptr<const ListedTree> tree_;
};

// An item that could not be located or read: its message (which names it)
// and what kind of failure it was.
struct ItemFailure {
  std::string message;
  ErrorCode code = ErrorCode::kGeneric;
  bool storage = false;  // a StorageError (exit 2), else a FailedCommand

  static ItemFailure of(const Error& e);
};

// Throws the failures of several items as one error, before anything was
// written: "<what>: N file(s) cannot be read where the catalog says;
// nothing was changed:" and one line per item (also the payload). The code
// and class are those of the first failure.
[[noreturn]] void fail_unreadable(const std::string& what, std::vector<ItemFailure> failures);

// The items of `catalog` located for reading (ItemSources::locate), on the
// transfer workers; all failures are collected into one fail_unreadable.
// Lists the folder first where that saves requests (list_folder_once).
std::vector<ItemSources::Found> locate_all(CommandContext& ctx, ItemSources& sources,
                                           const model::Catalog& catalog, const std::string& what);

}  // namespace wrapp::commands
