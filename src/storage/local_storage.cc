#include "storage/local_storage.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include "util/error.h"
#include "util/mapped_file.h"

namespace wrapp::storage {
namespace {

FileInfo to_info(const struct stat& st) {
  FileInfo info;
  info.size = S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
  info.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  info.ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  info.inode = st.st_ino;
  info.device = st.st_dev;
  info.mode = st.st_mode & 07777;
  info.is_dir = S_ISDIR(st.st_mode);
  info.is_link = S_ISLNK(st.st_mode);
  info.is_other = !S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode);
  return info;
}

// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    reset(o.release());
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

std::string temp_name_for(const std::string& target) {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  size_t slash = target.rfind('/');
  static const std::string pid = std::to_string(::getpid());
  return target.substr(0, slash + 1) + ".wrapp-partial-" + pid + "-" +
         std::to_string(counter++) + "-" + std::to_string(rng() % 1000000) + "-" +
         target.substr(slash + 1, 64);
}

void ensure_parent(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash > 0) make_directories(path.substr(0, slash));
}

// Moves the finished temp file to `target`. Without overwrite the target must
// not exist: renameat2(RENAME_NOREPLACE), falling back to link()+unlink() on
// file systems without it. Either way the object appears whole or not at all.
void publish(const std::string& temp, const std::string& target, bool overwrite) {
  if (overwrite) {
    if (::rename(temp.c_str(), target.c_str()) != 0) {
      int err = errno;
      ::unlink(temp.c_str());
      throw_errno("cannot write", target, err);
    }
    return;
  }
  if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) == 0) return;
  int err = errno;
  if (err == EINVAL || err == ENOSYS) {
    if (::link(temp.c_str(), target.c_str()) == 0) {
      ::unlink(temp.c_str());
      return;
    }
    err = errno;
  }
  ::unlink(temp.c_str());
  if (err == EEXIST) fail("'{}' already exists", target);
  throw_errno("cannot write", target, err);
}

class LocalReader : public Reader {
 public:
  LocalReader(Fd fd, uint64_t size, std::string path) : fd_(std::move(fd)), size_(size), path_(std::move(path)) {}
  uint64_t size() const override { return size_; }
  FileInfo info() const override {
    struct stat st;
    if (::fstat(fd_.get(), &st) != 0) throw_errno("cannot stat", path_, errno);
    return to_info(st);
  }
  size_t read_at(uint64_t offset, void* buf, size_t len) override {
    size_t done = 0;
    while (done < len) {
      ssize_t n = ::pread(fd_.get(), static_cast<char*>(buf) + done, len - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_errno("cannot read", path_, errno);
      }
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    return done;
  }

 private:
  Fd fd_;
  uint64_t size_;
  std::string path_;
};

class LocalWriter : public Writer {
 public:
  LocalWriter(std::string target, const WriteOptions& options) : target_(std::move(target)), options_(options) {
    if (!options_.overwrite && ::access(target_.c_str(), F_OK) == 0) fail("'{}' already exists", target_);
    temp_ = options_.in_place ? target_ : temp_name_for(target_);
    if (options_.in_place && options_.overwrite) ::unlink(target_.c_str());  // may be a read-only leftover
    // Parents are created only when missing: most files land in a folder
    // that an earlier file already made, and a stat per file adds up.
    // Created read-only right away when asked: the mode does not restrict
    // this descriptor, and it saves an fchmod per file.
    mode_t mode = options_.read_only ? 0444 : 0644;
    fd_.reset(::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (fd_.get() < 0 && errno == ENOENT) {
      ensure_parent(target_);
      fd_.reset(::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    }
    if (fd_.get() < 0 && errno == EEXIST && options_.in_place) {
      temp_.clear();  // not ours: never remove it
      fail("'{}' already exists", target_);
    }
    if (fd_.get() < 0) {
      int err = errno;
      temp_.clear();
      throw_errno("cannot create", target_, err);
    }
  }
  ~LocalWriter() override { abandon(); }

  void write_at(uint64_t offset, const void* buf, size_t len) override {
    size_t done = 0;
    while (done < len) {
      ssize_t n = ::pwrite(fd_.get(), static_cast<const char*>(buf) + done, len - done,
                           static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_errno("cannot write", target_, errno);
      }
      done += static_cast<size_t>(n);
    }
  }

  void commit() override {
    if (::close(fd_.release()) != 0) throw_errno("cannot write", target_, errno);
    if (!options_.in_place) publish(temp_, target_, options_.overwrite);
    temp_.clear();
  }

  int fd() const { return fd_.get(); }
  const std::string& temp() const { return temp_; }

 private:
  void abandon() {
    fd_.reset();
    if (!temp_.empty()) ::unlink(temp_.c_str());
    temp_.clear();
  }

  std::string target_;
  WriteOptions options_;
  std::string temp_;
  Fd fd_;
};

std::string real_path(const std::string& path) {
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf)) return {};
  return buf;
}

bool is_inside(const std::string& path, const std::string& root) {
  if (root == "/") return true;
  return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 && path[root.size()] == '/');
}

// Parallel directory walk: a few threads share a queue of directories, since
// stat-heavy walks of 100k+ files are latency bound, not CPU bound.
class Walker {
  // The real (link-free) path of a folder being walked, linked to its
  // parent's: the chain the loop check follows.
  struct RealDir {
    std::string path;
    std::shared_ptr<const RealDir> parent;
  };
  struct DirWork {
    std::string rel;
    std::shared_ptr<const RealDir> real;
  };

 public:
  Walker(std::string root, const ListOptions& options) : root_(std::move(root)), options_(options) {
    real_root_ = real_path(root_);
  }

  std::vector<ListEntry> run() {
    queue_.push_back({"", std::make_shared<const RealDir>(RealDir{real_root_, nullptr})});
    size_t n_threads = std::min<size_t>(8, std::max(2u, std::thread::hardware_concurrency() * 2));
    std::vector<std::thread> threads;
    for (size_t i = 0; i < n_threads; ++i) threads.emplace_back([this] { work(); });
    for (auto& t : threads) t.join();
    if (error_) std::rethrow_exception(error_);
    std::vector<ListEntry> all;
    size_t total = 0;
    for (auto& part : parts_) total += part.size();
    all.reserve(total);
    for (auto& part : parts_) std::move(part.begin(), part.end(), std::back_inserter(all));
    std::sort(all.begin(), all.end(),
              [](const ListEntry& a, const ListEntry& b) { return a.relative_path < b.relative_path; });
    return all;
  }

 private:
  void work() {
    std::vector<ListEntry> found;
    for (;;) {
      DirWork dir;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return !queue_.empty() || busy_ == 0 || error_; });
        if (error_ || (queue_.empty() && busy_ == 0)) break;
        dir = std::move(queue_.front());
        queue_.pop_front();
        ++busy_;
      }
      std::vector<DirWork> subdirs;
      try {
        scan(dir, found, subdirs);
      } catch (...) {
        std::lock_guard lock(mu_);
        if (!error_) error_ = std::current_exception();
      }
      {
        std::lock_guard lock(mu_);
        for (auto& s : subdirs) queue_.push_back(std::move(s));
        --busy_;
      }
      cv_.notify_all();
    }
    std::lock_guard lock(mu_);
    parts_.push_back(std::move(found));
    cv_.notify_all();
  }

  void scan(const DirWork& work, std::vector<ListEntry>& found, std::vector<DirWork>& subdirs) {
    const std::string& rel_dir = work.rel;
    std::string abs_dir = rel_dir.empty() ? root_ : root_ + "/" + rel_dir;
    int dfd = ::open(abs_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) throw_errno("cannot list", abs_dir, errno);
    DIR* d = ::fdopendir(dfd);
    if (!d) {
      int err = errno;
      ::close(dfd);
      throw_errno("cannot list", abs_dir, err);
    }
    std::unique_ptr<DIR, int (*)(DIR*)> guard(d, ::closedir);
    while (struct dirent* e = ::readdir(d)) {
      std::string_view nm = e->d_name;
      if (nm == "." || nm == "..") continue;
      std::string rel = rel_dir.empty() ? std::string(nm) : rel_dir + "/" + std::string(nm);
      struct stat st;
      if (::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;  // vanished while we looked
        throw_errno("cannot stat", root_ + "/" + rel, errno);
      }
      std::string link_target;
      if (S_ISLNK(st.st_mode) && !resolve_link(dfd, e->d_name, abs_dir, *work.real, st, &link_target)) continue;
      if (S_ISDIR(st.st_mode)) {
        if (options_.include_dirs) found.push_back({rel, to_info(st)});
        if (options_.recursive && (!options_.descend || options_.descend(rel))) {
          std::string real = link_target.empty() ? work.real->path + "/" + std::string(nm) : link_target;
          subdirs.push_back({rel, std::make_shared<const RealDir>(RealDir{std::move(real), work.real})});
        }
      } else if (S_ISREG(st.st_mode)) {
        found.push_back({rel, to_info(st)});
      }
      // Sockets, fifos and devices are not package content.
    }
  }

  // Applies the symlink policy; on success `st` describes the target and
  // `target` holds its real path. A link to a folder is a loop when that
  // folder is, or contains, the real folder of any directory on the way to
  // the link: following it would come back there.
  bool resolve_link(int dfd, const char* name, const std::string& abs_dir, const RealDir& parent,
                    struct stat& st, std::string* target_out) {
    std::string link_path = abs_dir + "/" + name;
    std::string target = real_path(link_path);
    auto refuse = [&](const std::string& why) -> bool {
      if (options_.symlinks == SymlinkPolicy::kSkipOutside) return false;
      char buf[PATH_MAX];
      ssize_t n = ::readlink(link_path.c_str(), buf, sizeof buf - 1);
      std::string to = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?";
      fail("symbolic link '{}' -> '{}' {}; only links that stay inside '{}' are followed", link_path, to, why,
           root_);
    };
    if (target.empty() || ::fstatat(dfd, name, &st, 0) != 0) return refuse("is broken");
    if (real_root_.empty() || !is_inside(target, real_root_)) return refuse("points outside the tree");
    if (S_ISDIR(st.st_mode)) {
      for (const RealDir* d = &parent; d; d = d->parent.get()) {
        if (is_inside(d->path, target)) return refuse("points to a folder on its own path (a loop)");
      }
    }
    *target_out = target;
    return true;
  }

  std::string root_;
  std::string real_root_;
  const ListOptions& options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<DirWork> queue_;
  size_t busy_ = 0;
  std::exception_ptr error_;
  std::vector<std::vector<ListEntry>> parts_;
};

}  // namespace

void make_directories(const std::string& dir) {
  if (dir.empty() || dir == "/") return;
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return;
    fail("'{}' exists and is not a folder", dir);
  }
  size_t slash = dir.rfind('/');
  if (slash > 0) make_directories(dir.substr(0, slash));
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) throw_errno("cannot create folder", dir, errno);
}

bool stays_inside(const std::string& path, const std::string& root) {
  std::string real_root = real_path(root);
  if (real_root.empty()) return true;  // nothing exists yet: mkdir creates real folders
  std::string dir = path.substr(0, path.rfind('/'));
  while (dir.size() > root.size()) {
    struct stat st;
    if (::lstat(dir.c_str(), &st) == 0) break;
    dir = dir.substr(0, dir.rfind('/'));
  }
  std::string real = real_path(dir);
  return !real.empty() && is_inside(real, real_root);
}

Features LocalStorage::features() const {
  Features f;
  f.real_folders = true;
  f.server_side_copy = true;
  f.hardlink = true;
  f.reflink = true;
  f.parallel_write = true;
  f.stable_identity = true;
  return f;
}

std::optional<FileInfo> LocalStorage::stat(const Url& url) {
  struct stat st;
  if (::stat(url.path().c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw_errno("cannot stat", url.path(), errno);
  }
  return to_info(st);
}

void LocalStorage::list(const Url& url, const ListOptions& options, const ListPage& on_page) {
  auto info = stat(url);
  if (!info) return;
  if (!info->is_dir) fail("'{}' is a file, not a folder", url.path());
  on_page(Walker(url.path(), options).run());
}

std::unique_ptr<Reader> LocalStorage::open_read(const Url& url) {
  Fd fd(::open(url.path().c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return nullptr;
    throw_errno("cannot open", url.path(), errno);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) throw_errno("cannot stat", url.path(), errno);
  if (S_ISDIR(st.st_mode)) fail("'{}' is a folder, not a file", url.path());
  // Read-ahead hint, worth its syscall only for files of several chunks.
  if (st.st_size > (4 << 20)) ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::make_unique<LocalReader>(std::move(fd), static_cast<uint64_t>(st.st_size), url.path());
}

namespace {

class MappedDocument : public Document {
 public:
  explicit MappedDocument(util::MappedFile file) : file_(std::move(file)) {}
  std::string_view text() const override { return file_.data(); }
  void release_before(size_t offset) override { file_.release_before(offset); }
  void restart() override { file_.restart(); }

 private:
  util::MappedFile file_;
};

}  // namespace

std::unique_ptr<Document> LocalStorage::read_document(const Url& url) {
  auto mapped = util::MappedFile::open(url.path());
  if (!mapped) return nullptr;
  return std::make_unique<MappedDocument>(std::move(*mapped));
}

std::unique_ptr<Writer> LocalStorage::open_write(const Url& url, const WriteOptions& options) {
  return std::make_unique<LocalWriter>(url.path(), options);
}

bool LocalStorage::remove_folder(const Url& url) { return ::rmdir(url.path().c_str()) == 0; }

bool LocalStorage::remove(const Url& url, const RemoveOptions&) {
  if (::unlink(url.path().c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  throw_errno("cannot remove", url.path(), errno);
}

void LocalStorage::copy(const Url& from, const Url& to, const WriteOptions& options) {
  Fd src(::open(from.path().c_str(), O_RDONLY | O_CLOEXEC));
  if (src.get() < 0) throw_errno("cannot open", from.path(), errno);
  struct stat st;
  if (::fstat(src.get(), &st) != 0) throw_errno("cannot stat", from.path(), errno);
  LocalWriter writer(to.path(), options);
  uint64_t size = static_cast<uint64_t>(st.st_size);
  bool cloned = size > 0 && ::ioctl(writer.fd(), FICLONE, src.get()) == 0;
  uint64_t done = cloned ? size : 0;
  bool use_cfr = true;
  std::vector<char> buf;
  while (done < size) {
    if (use_cfr) {
      loff_t in_off = static_cast<loff_t>(done), out_off = static_cast<loff_t>(done);
      ssize_t n = ::copy_file_range(src.get(), &in_off, writer.fd(), &out_off, size - done, 0);
      if (n > 0) {
        done += static_cast<uint64_t>(n);
        continue;
      }
      if (n == 0) break;  // source shrank under us
      if (errno == EINTR) continue;
      if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) {
        throw_errno("cannot copy to", to.path(), errno);
      }
      use_cfr = false;
      buf.resize(1 << 20);
    }
    ssize_t n = ::pread(src.get(), buf.data(), buf.size(), static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot read", from.path(), errno);
    }
    if (n == 0) break;
    writer.write_at(done, buf.data(), static_cast<size_t>(n));
    done += static_cast<uint64_t>(n);
  }
  if (done != size) fail("'{}' changed size while being copied", from.path());
  writer.commit();
}

bool LocalStorage::link(const Url& from, const Url& to, LinkMode mode, const WriteOptions& options) {
  if (mode == LinkMode::kReflink) {
    Fd src(::open(from.path().c_str(), O_RDONLY | O_CLOEXEC));
    if (src.get() < 0) throw_errno("cannot open", from.path(), errno);
    LocalWriter writer(to.path(), options);
    if (::ioctl(writer.fd(), FICLONE, src.get()) != 0) {
      if (errno == EOPNOTSUPP || errno == EXDEV || errno == EINVAL || errno == ENOTTY) return false;
      throw_errno("cannot clone to", to.path(), errno);
    }
    writer.commit();
    return true;
  }
  const std::string& target = to.path();
  if (options.in_place && options.overwrite) ::unlink(target.c_str());
  bool via_temp = options.overwrite && !options.in_place;
  std::string temp = via_temp ? temp_name_for(target) : target;
  int rc = ::link(from.path().c_str(), temp.c_str());
  if (rc != 0 && errno == ENOENT && ::access(from.path().c_str(), F_OK) == 0) {
    ensure_parent(target);
    rc = ::link(from.path().c_str(), temp.c_str());
  }
  if (rc != 0) {
    int err = errno;
    if (err == EXDEV || err == EPERM || err == EMLINK || err == EOPNOTSUPP) return false;
    if (err == EEXIST) fail("'{}' already exists", target);
    throw_errno("cannot link", target, err);
  }
  if (via_temp) {
    publish(temp, target, true);
    // rename() of two names of the same inode succeeds without doing
    // anything: the target already was this very file; drop the extra name.
    if (::unlink(temp.c_str()) != 0 && errno != ENOENT) throw_errno("cannot remove", temp, errno);
  }
  return true;
}

void LocalStorage::prepare_folders(const Url& root, const std::vector<std::string>& folders) {
  // Parents first (sorted order puts "a" before "a/b"): each mkdir then
  // finds its parent in place.
  std::vector<std::string> sorted = folders;
  std::sort(sorted.begin(), sorted.end());
  make_directories(root.path());
  for (const auto& f : sorted) {
    std::string path = root.join(f).path();
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
      if (errno == ENOENT) {
        make_directories(path);
      } else {
        throw_errno("cannot create folder", path, errno);
      }
    }
  }
}

void LocalStorage::sync(const Url& root) {
  Fd fd(::open(root.path().c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return;
    throw_errno("cannot open", root.path(), errno);
  }
  if (::syncfs(fd.get()) != 0) throw_errno("cannot sync", root.path(), errno);
}

}  // namespace wrapp::storage
