// The one interface through which wrapp reaches any storage.
//
// Modelled on LevelDB's Env: a small set of operations, each with its
// contract. It is shaped for object stores as much as for disks: there are no
// folders to create (writing a file makes whatever parents the backend
// needs), no rename (a Writer publishes its object atomically on commit), and
// optional capabilities are announced in Features, so commands ask "can you
// copy server-side?" instead of switching on the backend type.
//
// Thread safety: every method of Storage may be called concurrently from any
// thread. A Reader or Writer is used by one owner, but read_at / write_at may
// be called concurrently for disjoint ranges (see Features::parallel_write).
//
// Errors: absence is reported by return values as documented per method;
// every other failure throws StorageError whose message names the URL and the
// cause. Invalid requests (e.g. a path that escapes its root) throw
// FailedCommand.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/url.h"

namespace wrapp::storage {

struct Features {
  bool real_folders = false;      // folders exist on their own (local FS), may be left empty
  bool server_side_copy = false;  // copy() moves no data through this process
  bool hardlink = false;          // link(kHardlink) may succeed
  bool reflink = false;           // link(kReflink) may succeed (decided per file system)
  bool parallel_write = false;    // Writer::write_at may run concurrently on disjoint ranges
  bool stable_identity = false;   // FileInfo carries mtime_ns and inode fit for a hash cache
};

struct FileInfo {
  uint64_t size = 0;
  int64_t mtime_ns = 0;  // modification time, nanoseconds since the epoch
  uint64_t inode = 0;    // 0 where the backend has none
  bool is_dir = false;
};

struct ListEntry {
  std::string relative_path;  // forward slashes, relative to the listed URL
  FileInfo info;
};

// What list() does with a symbolic link found in the tree. Links whose target
// stays inside the listed folder are followed (listed as what they point to);
// the policy decides about links that leave it, dangle, or loop.
enum class SymlinkPolicy {
  kRefuseOutside,  // throw FailedCommand naming the link and its target
  kSkipOutside,    // leave such links out of the listing
};

struct ListOptions {
  bool recursive = true;
  SymlinkPolicy symlinks = SymlinkPolicy::kRefuseOutside;
  // Asked once per directory before descending into it (relative path);
  // returning false skips the directory and everything below. May be called
  // concurrently from several threads.
  std::function<bool(const std::string& relative_dir)> descend;
  bool include_dirs = false;  // also return directory entries
};

// Random-access reader of one object.
class Reader {
 public:
  virtual ~Reader() = default;
  virtual uint64_t size() const = 0;
  // Reads up to `len` bytes at `offset`; returns the count, short only at
  // the end of the object. Safe to call concurrently.
  virtual size_t read_at(uint64_t offset, void* buf, size_t len) = 0;
};

// Writes one new object. Nothing is visible at the target URL until commit();
// destroying a Writer without commit() discards everything written.
class Writer {
 public:
  virtual ~Writer() = default;
  // Writes `len` bytes at `offset`. Without Features::parallel_write, calls
  // must be sequential and offsets increasing.
  virtual void write_at(uint64_t offset, const void* buf, size_t len) = 0;
  // Publishes the object atomically. When the Writer was opened without
  // overwrite and the target appeared meanwhile, throws FailedCommand.
  virtual void commit() = 0;
};

enum class LinkMode { kHardlink, kReflink };

struct WriteOptions {
  bool overwrite = false;   // replace an existing object instead of failing
  bool read_only = false;   // mark the result read-only where the backend can
  // The target is not visible to readers yet (a version folder before its
  // .wrapp exists): write it in place, skipping the temporary name and the
  // rename. A failed write still removes what it wrote.
  bool in_place = false;
  uint64_t size_hint = 0;   // expected size (object stores pick multipart sizes from it)
};

class Storage {
 public:
  virtual ~Storage() = default;

  virtual Features features() const = 0;
  // A human name for messages and progress ("local file system").
  virtual std::string name() const = 0;

  // Returns nullopt when nothing exists at `url`.
  virtual std::optional<FileInfo> stat(const Url& url) = 0;

  // Lists files below `url` (which must be a folder or prefix), sorted by
  // relative_path. A missing folder returns an empty list; a file throws
  // FailedCommand.
  virtual std::vector<ListEntry> list(const Url& url, const ListOptions& options) = 0;

  // Opens an existing object; returns nullptr when absent.
  virtual std::unique_ptr<Reader> open_read(const Url& url) = 0;

  // Starts a new object at `url`. With !overwrite and an existing object,
  // throws FailedCommand naming the URL.
  virtual std::unique_ptr<Writer> open_write(const Url& url, const WriteOptions& options) = 0;

  // Removes one object. Returns false when it was already absent.
  virtual bool remove(const Url& url) = 0;

  // Copies `from` to `to` inside this storage without streaming the bytes
  // through the caller (copy_file_range, server-side copy). Only call when
  // features().server_side_copy. Same overwrite contract as open_write.
  virtual void copy(const Url& from, const Url& to, const WriteOptions& options) = 0;

  // Makes `to` share `from`'s data. Returns false when this file system or
  // this pair of locations cannot do it (the caller then copies); throws on
  // other failures.
  virtual bool link(const Url& from, const Url& to, LinkMode mode, const WriteOptions& options) = 0;

  // A hint before many writes: the folders (relative to `root`) the objects
  // will land in. A backend with real folders creates them now, once each,
  // instead of discovering them missing file by file; others ignore it.
  virtual void prepare_folders(const Url& root, const std::vector<std::string>& folders) {}

  // Makes every object committed below `root` durable (one syncfs on a disk;
  // a no-op where commit is already durable). Commands call it before writing
  // the marker that makes their result visible.
  virtual void sync(const Url& root) = 0;
};

// Routes a URL to the backend that serves its scheme. Backends live as long
// as the process. Throws FailedCommand "No storage backend available to
// handle URL '...'" for an unknown scheme.
Storage& storage_for(const Url& url);

// Small whole-object helpers for metadata files (.wrapp, catalogs).
// read_all returns nullopt when the object is absent.
std::optional<std::string> read_all(const Url& url);
void write_all(const Url& url, const std::string& content, const WriteOptions& options);

}  // namespace wrapp::storage
