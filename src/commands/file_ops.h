// Moving and hashing file content: the data path shared by every command.
//
// Every byte is read once: a copy hashes what it reads, so a new catalog or a
// verification costs no second pass. Files larger than one segment are split
// into segments of whole 1 MiB chunks that are read, hashed and written in
// parallel, so one huge file uses every core. Where every read is a request
// (Features::ranged_read_size, an object store) a file is read in ranges of
// that size instead, a big one by several ranges in flight at once when a
// connection to its store is free. Callers hold a file-transfer slot
// (Scheduler::transfers()) around each call, which bounds open files.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "commands/context.h"
#include "exec/progress.h"
#include "model/hash.h"
#include "storage/storage.h"

namespace wrapp::commands {

// How installed files are made from repository files.
enum class LinkMode {
  kCopy,      // new bytes (copy_file_range where possible)
  kHardlink,  // share the inode; falls back to copy across file systems
  kReflink,   // share extents copy-on-write; falls back to copy where unsupported
};
LinkMode parse_link_mode(const std::string& text);  // "copy" | "hardlink" | "reflink"
const char* link_mode_name(LinkMode mode);

// The hash cache's view of a file's identity.
model::FileStamp stamp_of(const storage::FileInfo& info);

// Where the hash cache keeps the hash of the object at `url` as `info`
// describes it; nullopt where its store gives no identity to trust.
// - A local file (Features::stable_identity): its absolute path, and its
//   size, mtime, ctime and inode.
// - An object in an object store: its URL (without any user name), and its
//   size and ETag, the ETag folded into the stamp's inode field (its first
//   64 bits of SHA-256; mtime_ns and ctime_ns 0). The service changes the
//   ETag whenever the bytes are replaced, and no writer chooses it, unlike
//   metadata. A weak ETag (W/..., HTTP servers) promises no bytes: none.
struct HashCacheKey {
  std::string key;
  model::FileStamp stamp;
  bool operator==(const HashCacheKey&) const = default;
};
std::optional<HashCacheKey> hash_cache_key(storage::Storage& store, const storage::Url& url,
                                           const storage::FileInfo& info);

// The content hash of `url`, whose stat is `info`. Consults the hash cache
// first and feeds it afterwards (hash_cache_key). Adds the bytes read to
// `progress`.
model::ContentHash hash_object(CommandContext& ctx, const storage::Url& url, const storage::FileInfo& info,
                        exec::ProgressJob* progress);

struct CopyRequest {
  storage::Url from;
  storage::Url to;
  uint64_t size = 0;
  // Known hash of the source ("" if unknown). When the bytes are streamed the
  // copy is verified against it, and a mismatch fails naming the file.
  model::ContentHash expected_hash;
  // Verify expected_hash by streaming and hashing, even when a server-side
  // copy exists. (Links, which share the source's bytes, are made by
  // link_objects, never here.)
  bool need_hash = false;
  // ...unless the hash cache vouches for the source (unchanged size, mtime,
  // ctime and inode since it was hashed to that value). Only for copies
  // that publish nothing (install): a version is only ever written from
  // bytes read while writing it.
  bool trust_hash_cache = false;
  // The result's permission bits: WriteOptions::mode when set, else the
  // source's (the owner's bits kept, never more access than the source
  // had), plus the owner's write bit for working copies.
  bool owner_writable = false;
  storage::WriteOptions write;
  // Record the target's hash in the hash cache (one more stat), so status
  // of a working folder needs no reading.
  bool remember_target_hash = true;
  // When given and the bytes were streamed: the source's identity after the
  // copy, from the open file (tells whether it changed while being read,
  // without opening it again).
  storage::FileInfo* source_after = nullptr;
  // The folders of `from` and `to` (Storage::open_folder), when the caller
  // copies a batch of one folder's files: the source is opened and the
  // target written through them, by name. Either may be null.
  storage::Folder* from_folder = nullptr;
  storage::Folder* to_folder = nullptr;
};

// Copies one object; returns the hash of the copied bytes (the expected hash
// when the content was not streamed through this process). Feeds the hash
// cache with the destination when it is local.
model::ContentHash copy_object(CommandContext& ctx, const CopyRequest& request, exec::ProgressJob* progress);

// One file for link_objects: the source, its path below the target root,
// its size and its catalog hash. Points into data the caller keeps alive.
struct LinkItem {
  const storage::Url* from = nullptr;
  std::string_view to;
  uint64_t size = 0;
  const model::ContentHash* hash = nullptr;
};

// Links the items that can be linked (a known hash, the source in the
// target's store) under `mode` (not kCopy) and `write`, in batches of one
// source folder and one target folder (Storage::link_batch: each folder
// resolved once per batch, not once per file), on the I/O pool. Feeds the
// hash cache with each new link's identity, and adds each linked file (one
// item and its bytes) to `progress`. Returns for each item whether it was
// linked: the others (a file system that cannot link them included) are
// left for copy_object. A link shares the source's bytes: nothing to
// verify, as in copy_object.
std::vector<char> link_objects(CommandContext& ctx, const storage::Url& to_root, const std::vector<LinkItem>& items,
                               LinkMode mode, const storage::WriteOptions& write, exec::ProgressJob* progress);

// Records a known hash for a local file that was just written or verified.
// `written` is its stat when the writer reported it (Writer::committed_info);
// otherwise the file is stat'ed.
void remember_hash(CommandContext& ctx, const storage::Url& url, const model::ContentHash& hash,
                   const std::optional<storage::FileInfo>& written = std::nullopt);

// Runs fn(i) for i in [0, n) on the I/O pool, each under a file-transfer
// slot, and under a connection slot of `store` when given (its
// Features::connections, shared by every command on this scheduler). The
// first failure cancels the rest and is rethrown.
void for_each_transfer(CommandContext& ctx, size_t n, const std::function<void(size_t)>& fn,
                       storage::Storage* store = nullptr);

// Items [begin, end) that one worker takes in order, as far as it can: one
// folder's files. Two threads creating files in one folder wait on its
// lock (and spin while they wait): a fresh install of 100,000 files in 100
// folders spent a third more system time with two workers than with one.
struct WorkRun {
  size_t begin;
  size_t end;
};

// for_each_transfer over the items of `runs` (disjoint), which workers
// take whole in the order given (each worker a run of its own while runs
// are left), then help the runs with the most items left. Give the runs of
// one folder apart (spread_by_folder) so that workers that start together
// work in different folders.
void for_each_transfer(CommandContext& ctx, const std::vector<WorkRun>& runs, const std::function<void(size_t)>& fn,
                       storage::Storage* store = nullptr);

// Runs fn(i) for i in [0, n) on the I/O pool under a storage-request slot
// (metadata work: stat, remove), and a connection slot of `store`.
void for_each_request(CommandContext& ctx, size_t n, const std::function<void(size_t)>& fn,
                      storage::Storage* store = nullptr);

}  // namespace wrapp::commands
