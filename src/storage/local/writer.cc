#include "storage/local/writer.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <ctime>

#include "storage/local/file_info.h"
#include "util/error.h"

namespace wrapp::storage::local {
namespace {

bool conditional(const WriteOptions& o) { return !o.if_match.empty(); }
bool replaces(const WriteOptions& o) { return o.overwrite || conditional(o); }

[[noreturn]] void already_exists(const std::string& display) {
  fail_with(ErrorCode::kAlreadyExists, "'{}' already exists", display);
}

std::string temp_name(const std::string& name) {
  static std::atomic<uint64_t> counter{0};
  return ".wrapp-partial-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" + name.substr(0, 64);
}

// Holds flock(LOCK_EX) on a folder while a conditional publish checks and
// publishes. flock locks an open file description: each writer locks its
// own descriptor of the folder (a folder shared by threads is opened again
// for the lock), so threads of one process exclude each other as other
// processes do.
class FolderLock {
 public:
  FolderLock(const PlaceRef& place, bool take) : dir_(take ? place.dir : -1) {
    if (take && place.shared_dir) {
      own_.reset(::openat(place.dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!own_.valid()) throw_errno("cannot lock the folder of", place.display, errno);
      dir_ = own_.get();
    }
    while (dir_ >= 0 && ::flock(dir_, LOCK_EX) != 0) {
      if (errno != EINTR) throw_errno("cannot lock the folder of", place.display, errno);
    }
  }
  ~FolderLock() {
    if (dir_ >= 0) ::flock(dir_, LOCK_UN);
  }
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  Fd own_;
  int dir_;
};

// Throws kPreconditionFailed unless the object at `place` has `etag`.
void check_etag(const PlaceRef& place, const std::string& etag) {
  struct stat st;
  if (::fstatat(place.dir, place.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno != ENOENT) throw_errno("cannot stat", place.display, errno);
    fail_with(ErrorCode::kPreconditionFailed, "'{}' was removed since it was read (expected etag {})", place.display,
              etag);
  }
  std::string now = etag_of(st);
  if (now != etag) {
    fail_with(ErrorCode::kPreconditionFailed, "'{}' changed since it was read (etag {}, expected {})",
              place.display, now, etag);
  }
}

void sync_folder(const PlaceRef& place) {
  if (::fsync(place.dir) != 0) throw_errno("cannot sync the folder of", place.display, errno);
}

// Gives a file a name in `place`'s folder with linkat(dir, path, ..., flags):
// an O_TMPFILE file through /proc/self/fd, or an existing file.
struct LinkSource {
  int dir;
  std::string path;
  int flags;
  const struct stat* expected;  // the inode the new name must be (hard links), or nullptr
  std::string display;          // the source, for messages
};

// True when the name `name` of `dir` is the inode `expected` describes;
// its stat goes to `st`.
bool is_inode(int dir, const std::string& name, const struct stat& expected, struct stat* st) {
  return ::fstatat(dir, name.c_str(), st, AT_SYMLINK_NOFOLLOW) == 0 && st->st_ino == expected.st_ino &&
         st->st_dev == expected.st_dev;
}

// Whether this process names its O_TMPFILE files through /proc/self/fd
// because linkat(AT_EMPTY_PATH) is refused to it (tmpfile_source).
std::atomic<bool> tmpfile_links_via_proc{false};

// How an O_TMPFILE file `fd` is given a name: linkat(fd, "",
// AT_EMPTY_PATH), which Linux allows to an owner of CAP_DAC_READ_SEARCH
// and, since 6.10, to the process that opened the file; where refused
// (link_as then retries at once), through its /proc/self/fd link, whose
// path walk was a fifth of linkat's time in a fresh install of small files.
LinkSource tmpfile_source(int fd) {
  if (tmpfile_links_via_proc.load(std::memory_order_relaxed)) {
    return {AT_FDCWD, "/proc/self/fd/" + std::to_string(fd), AT_SYMLINK_FOLLOW, nullptr, ""};
  }
  return {fd, "", AT_EMPTY_PATH, nullptr, ""};
}

// Links `src` as `name`; 0 or the errno of linkat. A hard link that turns
// out not to be the expected inode is removed and refused; `linked` (when
// given) receives the stat of the new name.
int link_as(const LinkSource& src, const PlaceRef& place, const std::string& name, struct stat* linked = nullptr) {
  if (::linkat(src.dir, src.path.c_str(), place.dir, name.c_str(), src.flags) != 0) {
    int err = errno;
    // AT_EMPTY_PATH refused (ENOENT, or EPERM): checked before the target
    // is looked at, so the file is still unnamed and linkable. Through
    // /proc, for this file and every later one.
    if (!(src.flags & AT_EMPTY_PATH) || (err != ENOENT && err != EPERM)) return err;
    tmpfile_links_via_proc.store(true, std::memory_order_relaxed);
    LinkSource proc = tmpfile_source(src.dir);
    if (::linkat(proc.dir, proc.path.c_str(), place.dir, name.c_str(), proc.flags) != 0) return errno;
  }
  struct stat st;
  if (src.expected && !is_inode(place.dir, name, *src.expected, linked ? linked : &st)) {
    ::unlinkat(place.dir, name.c_str(), 0);
    fail("'{}' was replaced while being linked to '{}'; nothing was linked", src.display, place.display);
  }
  return 0;
}

// Links `src` under a fresh temporary name in the target's folder.
int link_as_temp(const LinkSource& src, const PlaceRef& place, std::string* temp) {
  for (int attempt = 0;; ++attempt) {
    *temp = temp_name(place.name);
    int err = link_as(src, place, *temp);
    if (err != EEXIST || attempt == 100) return err;
  }
}

// Errors that mean "this file system cannot link these two": the caller
// copies instead.
bool cannot_link(int err) { return err == EXDEV || err == EPERM || err == EMLINK || err == EOPNOTSUPP; }

// Gives `place`'s name to the file at `temp` (a name in the same folder),
// atomically: a reader of the name finds the old file or the new one, never
// nothing. The two names are exchanged (RENAME_EXCHANGE), then the old file,
// now at `temp`, is removed. A plain rename over a file would make ext4
// (auto_da_alloc) start writing the new file's data back within the call: a
// warm update of 50 files of 5,000 took 3.5-9.5 ms longer that way
// (docs/performance.md). Durability is --fsync's business, not a side effect
// of one file system's heuristic. Where the file system cannot exchange, or
// nothing stands at the name any more, a rename. A folder at the name is
// refused, as rename refuses it, and left where it was.
void replace_with_temp(const PlaceRef& place, const std::string& temp) {
  if (::renameat2(place.dir, temp.c_str(), place.dir, place.name.c_str(), RENAME_EXCHANGE) == 0) {
    // Two names of one inode (a hard link over itself) exchange nothing;
    // either way the extra name goes.
    if (::unlinkat(place.dir, temp.c_str(), 0) == 0 || errno == ENOENT) return;
    int err = errno;  // EISDIR: a folder stood at the name; put it back
    ::renameat2(place.dir, temp.c_str(), place.dir, place.name.c_str(), RENAME_EXCHANGE);
    ::unlinkat(place.dir, temp.c_str(), 0);
    throw_errno("cannot publish", place.display, err);
  }
  if (::renameat(place.dir, temp.c_str(), place.dir, place.name.c_str()) != 0) {
    int rename_err = errno;
    ::unlinkat(place.dir, temp.c_str(), 0);
    throw_errno("cannot publish", place.display, rename_err);
  }
  // rename() of two names of one inode does nothing: the target already
  // was this very file (a hard link made before); drop the extra name.
  ::unlinkat(place.dir, temp.c_str(), 0);
}

// Publishes `src` at `place` (see writer.h). Returns 0, or the errno of the
// first linkat when it failed with an error cannot_link() accepts and
// `may_decline` (hard links); throws on everything else. For a hard link
// (src.expected), `linked` (when given) receives the stat of the published
// name.
int publish_link(const LinkSource& src, const PlaceRef& place, const WriteOptions& o, bool may_decline,
                 struct stat* linked = nullptr) {
  auto failed = [&](int err) {
    if (may_decline && cannot_link(err)) return err;
    throw_errno("cannot publish", place.display, err);
  };
  {
    FolderLock lock(place, !replaces(o) || conditional(o));
    if (conditional(o)) check_etag(place, o.if_match);
    if (!replaces(o)) {
      int err = link_as(src, place, place.name, linked);
      if (err == EEXIST) already_exists(place.display);
      if (err != 0) return failed(err);
    } else {
      // Where nothing stands at the name yet (every file of a fresh
      // install) the file is linked there at once: as atomic as the rename,
      // and three system calls fewer. Something there: a temporary name,
      // renamed over it.
      if (int direct = link_as(src, place, place.name, linked); direct != 0) {
        if (direct != EEXIST) return failed(direct);
        std::string temp;
        if (int err = link_as_temp(src, place, &temp)) return failed(err);
        replace_with_temp(place, temp);
        // A rename may change the inode's ctime: the stat is taken after it,
        // and must still be the inode linked.
        if (linked && src.expected && !is_inode(place.dir, place.name, *src.expected, linked)) {
          fail("'{}' was replaced right after '{}' was linked there", place.display, src.display);
        }
      }
    }
  }
  if (o.durable) sync_folder(place);
  return 0;
}

// Removes what stands at `place` before an in-place overwrite (a read-only
// leftover, or a link: the link itself goes, never its target).
void unlink_existing(const PlaceRef& place) {
  if (::unlinkat(place.dir, place.name.c_str(), 0) == 0 || errno == ENOENT) return;
  if (errno == EISDIR) fail("'{}' is a folder, not a file", place.display);
  throw_errno("cannot replace", place.display, errno);
}

// Conditional publishes stamp the file with a nanosecond mtime: the etag
// of a file that replaces another must differ from every earlier etag,
// even where the new file reuses a freed inode number, has the same size,
// and the file system keeps coarse (jiffy) change times.
void stamp_mtime(int fd, const std::string& display) {
  struct timespec times[2];
  times[0].tv_sec = 0;
  times[0].tv_nsec = UTIME_OMIT;
  ::clock_gettime(CLOCK_REALTIME, &times[1]);
  if (::futimens(fd, times) != 0) throw_errno("cannot set the time of", display, errno);
}

}  // namespace

mode_t result_mode(const WriteOptions& options) {
  mode_t mode = (options.mode ? options.mode : 0644) & 0777;
  if (options.read_only) mode &= ~0222;
  return mode;
}

LocalWriter::LocalWriter(Place place, const WriteOptions& options)
    : place_(std::move(place)), dir_(place_.dir.get()), options_(options) {
  open();
}

LocalWriter::LocalWriter(int dir, std::string name, std::string display, const WriteOptions& options)
    : place_{Fd(), std::move(name), std::move(display)}, dir_(dir), shared_dir_(true), options_(options) {
  open();
}

void LocalWriter::open() {
  int dir = dir_;
  const char* name = place_.name.c_str();
  bool in_place = options_.in_place && !conditional(options_);  // a conditional write replaces atomically
  // A create-only write fails early, before any byte is written, when the
  // name is taken (an in-place one finds out from O_EXCL at once).
  if (!replaces(options_) && !in_place) {
    struct stat st;
    if (::fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0) already_exists(place_.display);
  }
  if (in_place) {
    kind_ = Kind::kInPlace;
    if (options_.overwrite) unlink_existing(place());
    // O_EXCL: a name that appeared meanwhile (a link included) is not ours.
    fd_.reset(::openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd_.valid()) {
      done_ = true;  // nothing of ours to remove
      if (errno == EEXIST) already_exists(place_.display);
      throw_errno("cannot create", place_.display, errno);
    }
  } else {
    if (have_proc_fd()) fd_.reset(::openat(dir, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600));
    if (!fd_.valid()) {
      // No O_TMPFILE here (EOPNOTSUPP; EISDIR before Linux 3.11): a named
      // temporary file, removed on failure.
      kind_ = Kind::kNamedTemp;
      for (int attempt = 0; !fd_.valid() && attempt < 100; ++attempt) {
        temp_ = temp_name(place_.name);
        fd_.reset(::openat(dir, temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!fd_.valid() && errno != EEXIST) break;
      }
      if (!fd_.valid()) {
        done_ = true;
        throw_errno("cannot create", place_.display, errno);
      }
    }
  }
  // fchmod, unlike open's mode, ignores the umask; the descriptor keeps
  // its write access whatever the mode.
  if (::fchmod(fd_.get(), result_mode(options_)) != 0) {
    int err = errno;
    abandon();
    throw_errno("cannot set the mode of", place_.display, err);
  }
}

LocalWriter::~LocalWriter() { abandon(); }

void LocalWriter::abandon() noexcept {
  if (!done_) {
    if (kind_ == Kind::kNamedTemp) {
      ::unlinkat(dir_, temp_.c_str(), 0);
    } else if (kind_ == Kind::kInPlace) {
      // Only the file this Writer made, not one that replaced it meanwhile.
      struct stat ours;
      struct stat named;
      if (::fstat(fd_.get(), &ours) == 0 && is_inode(dir_, place_.name, ours, &named)) {
        ::unlinkat(dir_, place_.name.c_str(), 0);
      }
    }
    // An O_TMPFILE file has no name: closing it frees it.
  }
  done_ = true;
  fd_.reset();
}

void LocalWriter::write_at(uint64_t offset, const void* buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::pwrite(fd_.get(), static_cast<const char*>(buf) + done, len - done,
                         static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot write", place_.display, errno);
    }
    done += static_cast<size_t>(n);
  }
}

void LocalWriter::remember_committed() {
  // Taken after the link or rename that named the file (both may change its
  // ctime); nothing changes it after that but another writer.
  struct stat st;
  if (::fstat(fd_.get(), &st) == 0) committed_ = to_info(st);
}

void LocalWriter::commit() {
  if (done_) fail("'{}': the writer was already committed or discarded", place_.display);
  if (options_.durable && ::fsync(fd_.get()) != 0) throw_errno("cannot sync", place_.display, errno);
  if (kind_ != Kind::kInPlace && (conditional(options_) || !options_.overwrite)) {
    stamp_mtime(fd_.get(), place_.display);
  }
  switch (kind_) {
    case Kind::kInPlace:
      remember_committed();
      if (::close(fd_.release()) != 0) throw_errno("cannot write", place_.display, errno);
      done_ = true;
      if (options_.durable) sync_folder(place());
      return;
    case Kind::kTmpFile:
      publish_link(tmpfile_source(fd_.get()), place(), options_, false);
      done_ = true;
      remember_committed();
      fd_.reset();
      return;
    case Kind::kNamedTemp: {
      // Closed first: some file systems report write errors only here.
      if (::close(fd_.release()) != 0) throw_errno("cannot write", place_.display, errno);
      if (replaces(options_)) {
        FolderLock lock(place(), conditional(options_));
        if (conditional(options_)) check_etag(place(), options_.if_match);
        if (::renameat(dir_, temp_.c_str(), dir_, place_.name.c_str()) != 0) {
          throw_errno("cannot publish", place_.display, errno);
        }
      } else {
        FolderLock lock(place(), true);
        int rc = ::renameat2(dir_, temp_.c_str(), dir_, place_.name.c_str(),
                             RENAME_NOREPLACE);
        if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {  // no RENAME_NOREPLACE here: link + unlink
          rc = ::linkat(dir_, temp_.c_str(), dir_, place_.name.c_str(), 0);
          if (rc == 0) ::unlinkat(dir_, temp_.c_str(), 0);
        }
        if (rc != 0) {
          if (errno == EEXIST) already_exists(place_.display);
          throw_errno("cannot publish", place_.display, errno);
        }
      }
      done_ = true;
      if (options_.durable) sync_folder(place());
      return;
    }
  }
}

bool publish_hard_link(const PlaceRef& source, const struct stat& source_stat, const PlaceRef& target,
                       const WriteOptions& options, struct stat* linked) {
  LinkSource src{source.dir, source.name, 0, &source_stat, source.display};
  if (options.in_place && !conditional(options)) {
    if (options.overwrite) unlink_existing(target);
    int err = link_as(src, target, target.name, linked);
    if (err == EEXIST) already_exists(target.display);
    if (err != 0 && cannot_link(err)) return false;
    if (err != 0) throw_errno("cannot link", target.display, err);
    if (options.durable) sync_folder(target);
    return true;
  }
  return publish_link(src, target, options, true, linked) == 0;
}

void set_tmpfile_links_via_proc_for_testing(bool via_proc) { tmpfile_links_via_proc.store(via_proc); }

bool remove_file(const PlaceRef& place, const std::string& if_match) {
  FolderLock lock(place, !if_match.empty());
  if (!if_match.empty()) {
    struct stat st;
    if (::fstatat(place.dir, place.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return false;
      throw_errno("cannot stat", place.display, errno);
    }
    check_etag(place, if_match);
  }
  if (::unlinkat(place.dir, place.name.c_str(), 0) == 0) return true;
  if (errno == ENOENT) return false;
  if (errno == EISDIR) fail("cannot remove '{}': it is a folder, not a file", place.display);
  throw_errno("cannot remove", place.display, errno);
}

}  // namespace wrapp::storage::local
