// The one interface through which wrapp reaches any storage.
//
// Modelled on LevelDB's Env: a small set of operations, each with its
// contract. It is shaped for object stores as much as for disks: there are no
// folders to create (writing a file makes whatever parents the backend
// needs), no rename (a Writer publishes its object atomically on commit),
// conditional writes (create-only, compare-and-swap on an etag) instead of
// locks held by the OS, and optional capabilities announced in Features, so
// commands ask "can you copy server-side?" instead of switching on the
// backend type.
//
// Anchors and symbolic links. Every Url remembers its anchor: the part of its
// path that a user gave (see storage/url.h). What lies beneath the anchor is
// resolved at the moment of each call, never from an earlier check, and:
//   - writes, deletes, links and folder creation never follow a symbolic
//     link beneath the anchor: a link on the way fails the call with
//     FailedCommand code kLinkOnPath, naming the path; nothing is written;
//   - stat never follows one either: a link is reported as a link;
//   - reads (open_read, list) follow a link only when its target stays
//     beneath the anchor (SymlinkPolicy decides about the others in list).
// Backends without links (object stores) have nothing to resolve.
//
// Thread safety: every method of Storage may be called concurrently from any
// thread. A Reader or Writer is used by one owner, but read_at / write_at may
// be called concurrently for disjoint ranges (see Features::parallel_write).
//
// Errors: absence is reported by return values as documented per method;
// every other failure throws StorageError (exit 2) whose message names the
// URL and the cause. Invalid requests (a path escaping its root, a link on
// the way, a target that exists) throw FailedCommand (exit 1) with a code.
//
// Cancellation: a backend is created by a Resolver for one command and calls
// the command's cancellation check (Resolver::Options::check_cancelled)
// between pages, parts and retries, so a Ctrl-C stops long calls.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/url.h"

namespace wrapp::storage {

struct Features {
  bool real_folders = false;        // folders exist on their own (local FS), may be left empty
  bool server_side_copy = false;    // copy() moves no data through this process
  bool hardlink = false;            // link(kHardlink) may succeed
  bool reflink = false;             // link(kReflink) may succeed (decided per file system)
  bool parallel_write = false;      // Writer::write_at may run concurrently on disjoint ranges
  bool stable_identity = false;     // FileInfo's identity fields are fit for a hash cache
  bool conditional_write = false;   // if_match / create-only are atomic against other processes
  bool object_metadata = false;     // WriteOptions::content_hash is kept and returned by stat/list
  // list() returns content_hash too; false where listings carry no metadata
  // (S3's ListObjectsV2): then only stat and readers return it.
  bool listed_metadata = false;
  bool symbolic_links = false;      // the store can hold links (the rules in the header apply)
  // The most requests this backend wants in flight at once; the scheduler's
  // request throttle for this store never exceeds it.
  size_t connections = 64;
  // Reads are requests (an object store, the web): one read should ask for
  // this many bytes, and a big object is read by up to `ranged_read_streams`
  // ranged requests at once. 0: a read costs a system call at most (a disk,
  // memory), any size will do.
  uint64_t ranged_read_size = 0;
  size_t ranged_read_streams = 1;
};

// Object stores' ranged reads: 8 MiB keeps a request's fixed cost small (a
// first byte 20 ms away is a fifth of one stream's time at 100 MB/s, and the
// other streams hide it) while 8 streams of one object hold 64 MiB.
constexpr uint64_t kRangedReadSize = 8 << 20;
constexpr size_t kRangedReadStreams = 8;

struct FileInfo {
  uint64_t size = 0;
  int64_t mtime_ns = 0;  // modification time, nanoseconds since the epoch
  int64_t ctime_ns = 0;  // status change time (0 where the backend has none)
  uint64_t inode = 0;    // 0 where the backend has none
  uint64_t device = 0;   // 0 where the backend has none
  uint32_t mode = 0;     // permission bits (07777), 0 where the backend has none
  bool is_dir = false;
  bool is_link = false;   // a symbolic link, reported as itself (stat never follows)
  bool is_other = false;  // a socket, FIFO or device: never package content
  // Changes whenever the object's content or metadata is replaced: the
  // compare-and-swap token for WriteOptions::if_match. Empty where unknown.
  std::string etag;
  // The sha-256-flat hash stored with the object (Features::object_metadata),
  // empty when none was stored. Metadata, not proof: verification reads bytes.
  std::string content_hash;

  bool is_file() const { return !is_dir && !is_link && !is_other; }
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
  kReportLinks,    // follow none: list every link as itself (is_link), for checks
};

struct ListOptions {
  bool recursive = true;
  SymlinkPolicy symlinks = SymlinkPolicy::kRefuseOutside;
  // Asked once per directory before descending into it (relative path);
  // returning false skips the directory and everything below. May be called
  // concurrently from several threads.
  std::function<bool(const std::string& relative_dir)> descend;
  bool include_dirs = false;   // also return directory entries
  bool include_other = false;  // also return sockets, FIFOs and devices (is_other)
};

// Receives one page of a listing. Pages come in no particular order and
// entries within a page in no particular order; the callback is called from
// one thread at a time. Throwing from it stops the listing.
using ListPage = std::function<void(std::vector<ListEntry>&& page)>;

// Random-access reader of one object.
class Reader {
 public:
  virtual ~Reader() = default;
  virtual uint64_t size() const = 0;
  // Reads up to `len` bytes at `offset`; returns the count, short only at
  // the end of the object. Safe to call concurrently.
  virtual size_t read_at(uint64_t offset, void* buf, size_t len) = 0;
  // The identity of the object being read, as stat would report it (the
  // local backend: of the open file, not of whatever the name holds now).
  virtual FileInfo info() const = 0;
  // info() as it was when the object was opened, where the reader kept it
  // (a disk: the fstat taken by open_read), saving a call; else info().
  virtual FileInfo opened_info() const { return info(); }

  // Optional, to hash without copying: calls visit(data, len, arg) once
  // with the bytes [offset, offset + len) where they already lie (the local
  // backend: the file's pages, mapped) and returns true. Returns false
  // without calling it when this reader has no such place (the local
  // backend: unless the range is wholly in the page cache); the caller then
  // reads with read_at. `visit` runs under util::run_catching_bus_error and
  // keeps its contract (nothing with a destructor alive while it touches
  // the bytes); it may throw. Throws FailedCommand naming the object when
  // the object shrank during the visit. Safe to call concurrently.
  using Visitor = void (*)(const char* data, size_t len, void* arg);
  virtual bool visit_in_place(uint64_t offset, size_t len, Visitor visit, void* arg) { return false; }

  // Optional, a hint on how to read: true when the bytes [offset, offset +
  // len) are in memory now (the local backend: every page in the page
  // cache; the in-memory store: always), so that reading them costs CPU
  // time and no waiting; false when some are not, or the reader cannot
  // tell. Reads nothing and changes nothing. Safe to call concurrently.
  virtual bool in_memory(uint64_t offset, size_t len) { return false; }
};

// Writes one new object. Nothing is visible at the target URL until commit();
// destroying a Writer without commit() discards everything written.
class Writer {
 public:
  virtual ~Writer() = default;
  // Writes `len` bytes at `offset`. Without Features::parallel_write, calls
  // must be sequential and offsets increasing.
  virtual void write_at(uint64_t offset, const void* buf, size_t len) = 0;
  // The content hash of the bytes written, when it was computed while they
  // streamed instead of being known at open (WriteOptions::content_hash):
  // kept with the object like that one where Features::object_metadata, a
  // no-op elsewhere. Called before commit().
  virtual void set_content_hash(const std::string& hash) {}
  // Publishes the object atomically. Throws FailedCommand code
  // kAlreadyExists when the Writer was opened create-only and the target
  // appeared meanwhile, kPreconditionFailed when if_match no longer holds.
  virtual void commit() = 0;
  // After commit(): the published object's stat, where the backend knows it
  // without asking again (a disk: fstat of the file just named, after the
  // link or rename that named it); nullopt elsewhere.
  virtual std::optional<FileInfo> committed_info() const { return std::nullopt; }
};

// A whole object's bytes, for parsing big metadata documents (.wrapp files,
// catalogs): mapped where the backend can, read into memory otherwise.
class Document {
 public:
  virtual ~Document() = default;
  virtual std::string_view text() const = 0;
  // The parser is done with everything before `offset` (a mapping may drop
  // those pages); restart() announces a new pass from the beginning.
  virtual void release_before(size_t offset) {}
  virtual void restart() {}
};

enum class LinkMode { kHardlink, kReflink };

struct WriteOptions {
  bool overwrite = false;  // replace an existing object instead of failing
  // Replace only if the current object's etag is this one (compare-and-swap);
  // implies overwrite. Fails with kPreconditionFailed otherwise.
  std::string if_match;
  bool read_only = false;  // clear every write bit of the result where the backend can
  // Permission bits of the source (0: the backend's default, 0644). The
  // result keeps the owner's bits and never gets more access than this mode
  // grants (read_only then clears the write bits).
  uint32_t mode = 0;
  // The target is not visible to readers yet (a version folder before its
  // .wrapp exists, written under the version's lock): write it in place,
  // skipping the temporary name and the rename. A failed write still removes
  // what it wrote.
  bool in_place = false;
  // Make the object durable before commit returns (fsync of the file and,
  // after publishing, of its folder), for the files that publish a result.
  bool durable = false;
  uint64_t size_hint = 0;    // expected size (object stores pick multipart sizes from it)
  std::string content_hash;  // stored as metadata where Features::object_metadata
};

struct RemoveOptions {
  // Remove only if the current object's etag is this one.
  std::string if_match;
};

// What a backend that talks to a server sent it: requests (each attempt,
// retries included) and body bytes each way, for --stats.
struct Traffic {
  uint64_t requests = 0;
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
};

// One folder of a store, resolved once for reading or writing many of its
// objects (Storage::open_folder): a batch of copies into one folder pays
// for the folder's path once instead of once per file. Names are plain
// (no '/', not "." or ".."). Thread-safe: workers may share one Folder. A
// Folder outlives the readers and writers it opened.
class Folder {
 public:
  virtual ~Folder() = default;
  // Storage::open_read of the object `name` in this folder.
  virtual std::unique_ptr<Reader> open_read(const std::string& name) = 0;
  // Storage::open_write of the object `name` in this folder.
  virtual std::unique_ptr<Writer> open_write(const std::string& name, const WriteOptions& options) = 0;
};

class Storage {
 public:
  virtual ~Storage() = default;

  virtual Features features() const = 0;
  // A human name for messages and progress ("local file system").
  virtual std::string name() const = 0;

  // Returns nullopt when nothing exists at `url`. Never follows a link
  // beneath the anchor: a link is reported with is_link.
  virtual std::optional<FileInfo> stat(const Url& url) = 0;

  // Streams the entries below `url` (a folder or prefix) to `on_page`, in
  // pages. A missing folder lists nothing; a file throws FailedCommand.
  // Entries that vanish during the listing are left out. An entry's etag
  // may be empty where the backend derives it from the other fields (local
  // folders: a million-file listing would hold a million strings nobody
  // reads); stat() and readers always report it.
  virtual void list(const Url& url, const ListOptions& options, const ListPage& on_page) = 0;

  // Opens an existing regular object; returns nullptr when absent. A folder
  // throws FailedCommand.
  virtual std::unique_ptr<Reader> open_read(const Url& url) = 0;

  // The whole object for parsing; nullptr when absent. The default reads it
  // into memory; the local backend maps it.
  virtual std::unique_ptr<Document> read_document(const Url& url);

  // Starts a new object at `url`. Create-only unless overwrite or if_match:
  // an existing object throws FailedCommand code kAlreadyExists naming it.
  virtual std::unique_ptr<Writer> open_write(const Url& url, const WriteOptions& options) = 0;

  // Removes one object (a link is removed itself, never followed). Returns
  // false when it was already absent: removing twice is not an error. A
  // folder is not removed (see remove_folder).
  virtual bool remove(const Url& url, const RemoveOptions& options = {}) = 0;

  // Removes the folder at `url` if it is empty; returns whether it did. A
  // no-op returning false on stores without real folders.
  virtual bool remove_folder(const Url& url) { return false; }

  // Copies `from` to `to` inside this storage without streaming the bytes
  // through the caller (copy_file_range, server-side copy). Only call when
  // features().server_side_copy. Same overwrite contract as open_write. The
  // source must be a regular object.
  virtual void copy(const Url& from, const Url& to, const WriteOptions& options) = 0;

  // Makes `to` share `from`'s data. Returns false when this file system or
  // this pair of locations cannot do it (the caller then copies); throws on
  // other failures. The source must be a regular object, never a link.
  virtual bool link(const Url& from, const Url& to, LinkMode mode, const WriteOptions& options) = 0;

  // One file of a link_batch: its name in the source folder, and the name
  // it gets in the target folder (plain names, without '/').
  struct LinkName {
    std::string from;
    std::string to;
  };

  // link() for many files of the folder `from_folder` into the folder
  // `to_folder`, which is made when missing. Each folder is resolved once,
  // when the call starts, instead of once per file: a disk opens each one
  // link-free beneath its anchor and acts on the two descriptors (a
  // fresh hardlink install spends three system calls per file instead of
  // sixteen). Returns, for each name in order, the new object's stat as
  // stat() reports it right after the link, or nullopt where this pair
  // cannot be linked (the caller copies it). Throws as link() does; the
  // names before the failing one stay linked. Thread-safe. The default
  // calls link() and stat() per name; once a reflink is refused it tries
  // no other name (a file system without copy-on-write refuses them all).
  virtual std::vector<std::optional<FileInfo>> link_batch(const Url& from_folder, const Url& to_folder,
                                                          const std::vector<LinkName>& names, LinkMode mode,
                                                          const WriteOptions& options);

  // The folder `url`, for many open_read calls (`for_write` false) or
  // open_write calls (true) of the objects in it. A disk resolves the folder
  // now, link-free beneath its anchor as every call does, and opens each
  // object relative to that descriptor; it holds what it resolved for as
  // long as the Folder lives, so keep one for a batch, as link_batch does,
  // not for a whole command. `for_write` makes the folder when missing;
  // otherwise a disk gives nullptr for a missing folder. Throws as open_read
  // and open_write do (kLinkOnPath for a link on the way). The default
  // forwards each call to open_read / open_write of url.join(name).
  virtual std::unique_ptr<Folder> open_folder(const Url& url, bool for_write);

  // A hint before many writes: the folders (relative to `root`) the objects
  // will land in. A backend with real folders creates them now, once each,
  // instead of discovering them missing file by file; others ignore it.
  virtual void prepare_folders(const Url& root, const std::vector<std::string>& folders) {}

  // Makes every object committed below `root` durable (one syncfs on a disk;
  // a no-op where commit is already durable). Commands call it before writing
  // the marker that makes their result visible.
  virtual void sync(const Url& root) = 0;

  // Requests and bytes sent to servers so far, by every thread; nullopt for
  // a backend that has no server (a disk, memory).
  virtual std::optional<Traffic> traffic() const { return std::nullopt; }
};

// Every entry below `url`, collected from the pages and sorted by path, as
// one vector: for small listings. A tree of any size: list_sorted
// (storage/listing.h), which keeps no second copy.
std::vector<ListEntry> list_all(Storage& storage, const Url& url, const ListOptions& options);

// Routes URLs to the backends that serve their schemes. One Resolver serves
// one command (or one Python context): the backends it creates are bound to
// that command's cancellation check. Thread-safe.
class Resolver {
 public:
  struct Options {
    // Throws (wrapp::Cancelled) when the command was cancelled; backends
    // call it between pages, parts and retries. May be empty.
    std::function<void()> check_cancelled;
    // Runs `work` on `workers` threads of the command's io pool and returns
    // when every call has returned (rethrowing the first exception), so a
    // backend's parallel work (a directory walk) runs on the scheduler's
    // pools and within its limits. Empty: the backend starts its own.
    std::function<void(size_t workers, const std::function<void()>& work)> run_workers;
  };

  Resolver();
  explicit Resolver(Options options);
  ~Resolver();

  // The backend for `url`'s scheme. Throws FailedCommand "No storage backend
  // available to handle URL '...'" for a scheme that this build lacks.
  Storage& for_url(const Url& url);

  // Serves `scheme` with `backend` from now on (tests: an in-memory store).
  void add(const std::string& scheme, std::shared_ptr<Storage> backend);

  // The traffic of each backend this Resolver made or was given that sent
  // at least one request, by backend name, each backend once.
  std::vector<std::pair<std::string, Traffic>> traffic() const;

  const Options& options() const { return options_; }

 private:
  Options options_;
  std::map<std::string, std::shared_ptr<Storage>> backends_;
};

// A Document over bytes held in memory (backends without mappings).
std::unique_ptr<Document> make_string_document(std::string text);

// Small whole-object helpers for metadata files (.wrapp, catalogs, locks).
// read_all returns nullopt when the object is absent.
std::optional<std::string> read_all(Storage& storage, const Url& url);
void write_all(Storage& storage, const Url& url, const std::string& content, const WriteOptions& options);

}  // namespace wrapp::storage
