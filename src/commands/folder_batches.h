// Copies of many files of one folder share one resolution of the folders.
//
// A copy opens its source and writes its target by full path: a disk
// resolves both folders again for every file (the anchor, then each
// component beneath it), six of the nineteen system calls a fresh install
// spent per small file. FolderBatches groups consecutive copies whose
// sources share a folder and whose targets share a folder, up to
// kFolderBatch files a group (a plan lists a folder's files together), and
// gives every copy of a group the same two Storage::open_folder handles:
// opened by the first copy of the group that starts, let go when its last
// one ends. Workers copy a group's files in parallel, as before; each
// folder is resolved once per group, at the moment the group starts, as
// Storage::link_batch resolves its two.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "commands/context.h"
#include "commands/file_ops.h"
#include "storage/storage.h"

namespace wrapp::commands {

// Whether `a` and `b` lie in one folder, reached beneath the same anchor
// (which decides the links a resolution of that folder may follow: a
// folder's Url, Url::parent, keeps at most the folder as its anchor), on
// one store: one resolution of the folder serves both.
bool in_one_folder(const storage::Url& a, const storage::Url& b);

// The order in which workers should take runs of work listed in plan
// order, where `same_folder_as_previous[r]` says that run r works in the
// folder of run r - 1: the first run of every folder, then the second of
// every folder, and so on (stable otherwise). Workers that take runs in
// this order start in different folders whenever the plan has several.
std::vector<size_t> spread_by_folder(const std::vector<char>& same_folder_as_previous);

class FolderBatches {
 public:
  // At most this many copies share a pair of folders: a batch, not a
  // command, holds a resolution.
  static constexpr size_t kFolderBatch = 256;

  // Copy i (of n) reads `from(i)` and writes to_root.join(to_path(i));
  // both are read here only. A side whose store has real folders
  // (Features::real_folders, a disk) gets a Folder; elsewhere it works by
  // URL, as it would anyway.
  FolderBatches(CommandContext& ctx, size_t n, const std::function<const storage::Url&(size_t)>& from,
                const storage::Url& to_root, const std::function<std::string_view(size_t)>& to_path);

  // Every copy, in runs for for_each_transfer: a group is a run, and so is
  // each stretch of copies that are not batched; in the order of
  // spread_by_folder.
  std::vector<WorkRun> work_runs() const;

  // Copy i's part in its group, from construction to destruction: the
  // last copy of a group to end lets the group's folders go, whether it
  // copied, failed or had nothing to copy. Construct one for every copy.
  class Use {
   public:
    Use(FolderBatches& batches, size_t i);
    ~Use();
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;

    // Gives `request` the group's folders (CopyRequest::from_folder,
    // to_folder), opening them when the group has none open yet. Throws
    // what open_folder throws (a link on the way) for this copy; the
    // group's next copy tries again.
    void apply(CopyRequest& request);

   private:
    FolderBatches* batches_ = nullptr;  // null: copy i is not batched
    size_t group_ = 0;
  };

 private:
  struct Group {
    // The group's first source and target: their folders are the group's.
    storage::Url from_first;
    storage::Url to_first;
    bool from_folders = false;  // whether each side's store has folders to open
    bool to_folders = false;
    size_t left = 0;  // copies not finished yet
    std::mutex mu;
    std::unique_ptr<storage::Folder> from;
    std::unique_ptr<storage::Folder> to;
    bool opened = false;
  };
  static constexpr uint32_t kNoGroup = UINT32_MAX;

  CommandContext& ctx_;
  std::vector<uint32_t> group_of_;  // per copy; kNoGroup when not batched
  std::vector<std::unique_ptr<Group>> groups_;
};

}  // namespace wrapp::commands
