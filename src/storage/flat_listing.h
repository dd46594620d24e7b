// The listing of an object store, where folders are only name prefixes: the
// names of a flat listing (sorted, as S3 and Azure return them) become
// ListEntries, with the folders they imply, as ListOptions asks.
//
// Names come in order, so a folder is new exactly when it differs from the
// folder at its depth of the name before: each folder is announced once
// (include_dirs), descend() is asked once per folder, and every name below a
// folder it refuses is dropped. Names ending in "/" (the folder markers some
// tools write) are not files and are dropped too.
#pragma once

#include <string>
#include <vector>

#include "storage/storage.h"

namespace wrapp::storage {

// The FileInfo of a folder that exists because names lie below it.
FileInfo prefix_folder_info();

class FlatListing {
 public:
  explicit FlatListing(const ListOptions& options) : options_(options) {}

  // Adds the file `relative` (relative to the listed folder) to `page`, after
  // the folders it opens; drops it when it lies in a refused folder.
  void add_file(const std::string& relative, FileInfo info, std::vector<ListEntry>& page);

  // Adds a folder of a delimited (one-level) listing, given as its name
  // relative to the listed folder with the delimiter ("dir/").
  void add_folder(const std::string& relative_with_slash, std::vector<ListEntry>& page) const;

  // The folder refused last ("dir/"), "" when none: a service that can
  // start a listing after a name (S3's StartAfter) skips the rest of it.
  const std::string& pruned() const { return pruned_; }

 private:
  const ListOptions& options_;
  std::vector<std::string> open_folders_;  // of the last name, outermost first
  std::string pruned_;
};

}  // namespace wrapp::storage
