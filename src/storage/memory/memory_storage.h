// An in-memory backend with the semantics of an object store (S3, GCS,
// Azure Blob), not of a file system. It exists to prove that commands and
// locks keep to the Storage contract on the stores wrapp is shaped for,
// without a network, and to inject failures at chosen points:
//   - no rename, no real folders: a "folder" exists while an object has its
//     prefix (stat reports it with is_dir), remove_folder returns false and
//     prepare_folders does nothing;
//   - writes are buffered and published whole by commit(); create-only
//     writes and if_match compare-and-swap are atomic, on a generation-number
//     etag that changes with every commit;
//   - per-object metadata: size, etag, content_hash, and an mtime taken from
//     a logical clock (the same counter as the generations);
//   - listings are paginated (pages of at most Options::page_size entries,
//     in key order) and non-recursive listings use "/" as the delimiter;
//   - no symbolic links, no hard links or reflinks (link returns false;
//     Options::claims_reflink makes it a store that may clone yet refuses,
//     as a disk without copy-on-write does), a server-side copy that shares
//     the bytes;
//   - no parallel writes: write_at must be called sequentially with
//     contiguous offsets, and std::logic_error catches a caller that breaks
//     the rule (it would corrupt a multipart upload);
//   - in_place, read_only, mode and durable change nothing (no other way).
// Objects are keyed by the URL's authority and path, so one store can serve
// several buckets. Thread-safe. Writers refer to their store, which must
// outlive them; Readers and Documents hold their own snapshot.
//
// mem://NAME/path URLs: register_memory_store(NAME) makes a store that every
// Resolver of this process then serves for that NAME (tests of commands).
// Memory stores have no long calls, so they ignore cancellation.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "storage/storage.h"

namespace wrapp::storage {

class MemoryStorage : public Storage {
 public:
  // Called before each operation that may fail, with the operation
  // ("stat", "list", "open_read" (also for read_document), "read",
  // "open_write", "write", "commit", "remove", "copy", "link" with the
  // target) and the URL's str();
  // "list" once per page. Throwing
  // from it (a StorageError, say) makes that operation fail, so tests can
  // stop a command at any point.
  using FaultHook = std::function<void(const std::string& op, const std::string& key)>;

  struct Options {
    size_t page_size = 1000;  // entries per listing page (S3's MaxKeys)
    size_t connections = 16;  // Features::connections
    // Features::ranged_read_size and ranged_read_streams: tests of how
    // commands read an object store.
    uint64_t ranged_read_size = 0;
    size_t ranged_read_streams = 1;
    FaultHook fault;
    // Features::reflink: link(kReflink) may succeed. It never does here.
    bool claims_reflink = false;
    // URLs (str()) whose commits, and copies onto them, throw StorageError
    // before anything is published: a failure in the middle of publishing a
    // result.
    std::set<std::string> failing_commits;
  };

  MemoryStorage();
  explicit MemoryStorage(Options options);
  ~MemoryStorage() override;

  Features features() const override;
  std::string name() const override { return "in-memory object store"; }
  std::optional<FileInfo> stat(const Url& url) override;
  void list(const Url& url, const ListOptions& options, const ListPage& on_page) override;
  std::unique_ptr<Reader> open_read(const Url& url) override;
  std::unique_ptr<Document> read_document(const Url& url) override;
  std::unique_ptr<Writer> open_write(const Url& url, const WriteOptions& options) override;
  bool remove(const Url& url, const RemoveOptions& options = {}) override;
  void copy(const Url& from, const Url& to, const WriteOptions& options) override;
  bool link(const Url& from, const Url& to, LinkMode mode, const WriteOptions& options) override;
  void sync(const Url& root) override {}

  // How many objects the store holds (all buckets): proves that nothing was
  // left behind.
  size_t object_count() const;

 private:
  friend class MemoryWriter;

  struct Object {
    std::shared_ptr<const std::string> data;
    uint64_t generation = 0;  // the etag, and the logical mtime
    std::string content_hash;
  };

  struct Found {
    std::shared_ptr<const std::string> data;
    FileInfo info;
  };

  static FileInfo info_of(const Object& object);
  void fault(const char* op, const Url& url) const;
  // The object at `url` for reading; nullopt when absent, FailedCommand for
  // a folder.
  std::optional<Found> find_object(const Url& url);
  // With mu_ held: throws unless an object may be published at `key` now.
  void check_write_locked(const std::string& key, const Url& url, const WriteOptions& options) const;
  // Publishes `data` at `key` if the write options still allow it.
  void publish(const std::string& key, const Url& url, const WriteOptions& options,
               std::shared_ptr<const std::string> data, std::string content_hash);
  // With mu_ held: whether any object lies below `key` + "/".
  bool is_prefix_locked(const std::string& key) const;

  Options options_;
  mutable std::mutex mu_;
  std::map<std::string, Object> objects_;
  uint64_t clock_ = 0;
};

// Registers a new, empty store for mem://NAME URLs (replacing an earlier one
// of that NAME) and returns it. A Resolver serves NAME from the store that
// was registered when it first met NAME, for its whole life.
std::shared_ptr<MemoryStorage> register_memory_store(const std::string& name, MemoryStorage::Options options = {});
// The store registered for NAME, or nullptr.
std::shared_ptr<MemoryStorage> find_memory_store(const std::string& name);
// Forgets NAME (Resolvers that already served it keep their store).
void unregister_memory_store(const std::string& name);

}  // namespace wrapp::storage
