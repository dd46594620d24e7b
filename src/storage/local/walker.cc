#include "storage/local/walker.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <iterator>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/local/file_info.h"
#include "util/error.h"

namespace wrapp::storage::local {
namespace {

// The names in a folder, read with getdents64 from `fd` (from its current
// position) in 32 KiB batches. Iterating yields each entry's NUL-terminated
// name, valid until the iterator moves on. A failed read ends the iteration
// and error() says why (the caller names the folder: no message is built
// for the folders that list fine).
class DirEntries {
 public:
  explicit DirEntries(int fd) : fd_(fd) {}
  int error() const { return error_; }

  class Iterator {
   public:
    explicit Iterator(DirEntries* owner) : owner_(owner) { advance(); }
    const char* operator*() const { return owner_->buf_ + owner_->at_ + kNameOffset; }
    Iterator& operator++() {
      uint16_t length = record_length();
      if (length == 0) {  // never from a kernel; no endless loop
        owner_->error_ = EIO;
        owner_ = nullptr;
        return *this;
      }
      owner_->at_ += length;
      advance();
      return *this;
    }
    bool operator!=(std::default_sentinel_t) const { return owner_ != nullptr; }

   private:
    // struct linux_dirent64: u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type, name.
    static constexpr size_t kLengthOffset = 16;
    static constexpr size_t kNameOffset = 19;
    uint16_t record_length() const {
      uint16_t length;
      std::memcpy(&length, owner_->buf_ + owner_->at_ + kLengthOffset, sizeof length);
      return length;
    }
    void advance() {
      while (owner_ && owner_->at_ >= owner_->filled_) {
        long n = ::syscall(SYS_getdents64, owner_->fd_, owner_->buf_, sizeof owner_->buf_);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) owner_->error_ = errno;
        if (n <= 0) {  // the end, or a failure
          owner_ = nullptr;
          return;
        }
        owner_->at_ = 0;
        owner_->filled_ = static_cast<size_t>(n);
      }
    }
    DirEntries* owner_;
  };

  Iterator begin() { return Iterator(this); }
  std::default_sentinel_t end() const { return {}; }

 private:
  int fd_;
  int error_ = 0;
  alignas(8) char buf_[32 * 1024];
  size_t at_ = 0, filled_ = 0;
};

bool is_inside(const std::string& path, const std::string& root) {
  if (root == "/") return true;
  return path == root ||
         (path.size() > root.size() && path.compare(0, root.size(), root) == 0 && path[root.size()] == '/');
}

std::string join_rel(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

class Walker {
  // A folder being walked, linked to its parent's: the chain the loop check
  // follows. `path` is its real path ("" when /proc cannot tell).
  struct RealDir {
    dev_t dev;
    ino_t ino;
    std::string path;
    std::shared_ptr<const RealDir> parent;
  };
  // A folder to read: either `opened` already (the root, a followed link),
  // or the entry `name` of the folder `parent`, opened when its turn comes,
  // so that queued folders do not hold descriptors of their own.
  struct DirWork {
    std::shared_ptr<const Fd> parent;
    std::string name;
    std::string rel;
    std::shared_ptr<const RealDir> real;
    Fd opened;
  };

 public:
  Walker(Fd root, const std::string& display, const ListOptions& options, const ListPage& on_page,
         const std::function<void()>& check_cancelled, Method method,
         const std::function<void(size_t, const std::function<void()>&)>& run_workers)
      : root_(std::move(root)),
        display_(display),
        options_(options),
        on_page_(on_page),
        check_cancelled_(check_cancelled),
        run_workers_(run_workers),
        method_(method) {}

  void run() {
    struct stat st;
    if (::fstat(root_.get(), &st) != 0) throw_errno("cannot list", display_, errno);
    Fd self(::fcntl(root_.get(), F_DUPFD_CLOEXEC, 0));
    if (!self.valid()) throw_errno("cannot list", display_, errno);
    auto real = std::make_shared<const RealDir>(RealDir{st.st_dev, st.st_ino, path_of_fd(root_.get()), nullptr});
    stack_.push_back(DirWork{nullptr, "", "", std::move(real), std::move(self)});
    // Walks of 100k+ files are bound by the latency of each stat, not by
    // the CPU: a few threads keep several in flight. A listing of one
    // folder needs no threads.
    size_t n_threads = options_.recursive ? std::min<size_t>(8, std::max(2u, std::thread::hardware_concurrency() * 2)) : 1;
    if (n_threads == 1) {
      work();
    } else if (run_workers_) {
      // Each worker leaves when no folder is left and none is being read,
      // so workers that start late (a busy pool) simply find nothing to do.
      run_workers_(n_threads, [this] { work(); });
    } else {
      std::vector<std::thread> threads;
      for (size_t i = 0; i < n_threads; ++i) threads.emplace_back([this] { work(); });
      for (auto& t : threads) t.join();
    }
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void work() {
    std::vector<ListEntry> page;
    for (;;) {
      DirWork dir;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return !stack_.empty() || busy_ == 0 || error_; });
        if (error_ || (stack_.empty() && busy_ == 0)) break;
        dir = std::move(stack_.back());
        stack_.pop_back();
        ++busy_;
      }
      std::vector<DirWork> subdirs;
      try {
        if (check_cancelled_) check_cancelled_();
        scan(dir, page, subdirs);
      } catch (...) {
        fail_walk();
      }
      {
        std::lock_guard lock(mu_);
        // Last in, first out: the folders whose parents are open are read
        // first, which bounds the descriptors held to the depth of the tree.
        for (auto& s : subdirs) stack_.push_back(std::move(s));
        --busy_;
      }
      cv_.notify_all();
    }
    try {
      deliver(page);
    } catch (...) {
      fail_walk();
    }
  }

  void fail_walk() {
    {
      std::lock_guard lock(mu_);
      if (!error_) error_ = std::current_exception();
    }
    cv_.notify_all();
  }

  void deliver(std::vector<ListEntry>& page) {
    if (page.empty()) return;
    std::lock_guard lock(page_mu_);
    {
      std::lock_guard state(mu_);
      if (error_) {  // the listing already failed: no more pages
        page.clear();
        return;
      }
    }
    std::vector<ListEntry> out = std::move(page);
    page.clear();
    on_page_(std::move(out));
  }

  void add(std::vector<ListEntry>& page, const std::string& rel, const struct stat& st) {
    page.push_back({rel, to_info(st, /*with_etag=*/false)});
    if (page.size() >= kListPageSize) deliver(page);
  }

  void scan(DirWork& work, std::vector<ListEntry>& page, std::vector<DirWork>& subdirs) {
    Fd opened = std::move(work.opened);
    if (!opened.valid()) {
      int fd = enter_folder(work.parent->get(), work.name, O_RDONLY, false);
      // Gone, or replaced by a file or a link, since it was listed.
      if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP) return;
      if (fd < 0) throw_errno("cannot list", path_of(work.rel), -fd);
      opened.reset(fd);
    }
    auto self = std::make_shared<const Fd>(std::move(opened));
    // The folder's entries read straight from its descriptor with
    // getdents64: no duplicate descriptor and DIR stream (fdopendir costs
    // three fcntl calls and a close per folder; a tree of many small
    // folders made them a third of a walk's system calls). Only this thread
    // reads entries through `self`; subfolders are opened relative to it,
    // which its read position does not affect.
    DirEntries entries(self->get());
    for (const char* name_bytes : entries) {
      std::string name = name_bytes;
      if (name == "." || name == "..") continue;
      std::string rel = join_rel(work.rel, name);
      struct stat st;
      if (::fstatat(self->get(), name_bytes, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;  // vanished while we looked
        throw_errno("cannot stat", path_of(rel), errno);
      }
      Fd target;
      if (S_ISLNK(st.st_mode)) {
        if (options_.symlinks == SymlinkPolicy::kReportLinks) {
          add(page, rel, st);
          continue;
        }
        if (!follow(self->get(), name, rel, *work.real, st, target)) continue;
      }
      if (S_ISDIR(st.st_mode)) {
        if (options_.include_dirs) add(page, rel, st);
        if (!options_.recursive || (options_.descend && !options_.descend(rel))) continue;
        if (target.valid()) {
          Fd dir(::openat(target.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
          if (!dir.valid()) throw_errno("cannot list", path_of(rel), errno);
          auto real = std::make_shared<const RealDir>(RealDir{st.st_dev, st.st_ino, path_of_fd(target.get()), work.real});
          subdirs.push_back(DirWork{nullptr, name, rel, std::move(real), std::move(dir)});
        } else {
          std::string real_path = work.real->path.empty() ? "" : join_rel(work.real->path, name);
          auto real = std::make_shared<const RealDir>(RealDir{st.st_dev, st.st_ino, std::move(real_path), work.real});
          subdirs.push_back(DirWork{self, name, rel, std::move(real), Fd()});
        }
      } else if (S_ISREG(st.st_mode) || options_.include_other) {
        add(page, rel, st);  // sockets, FIFOs and devices only when asked: never package content
      }
    }
    if (entries.error()) throw_errno("cannot list", path_of(work.rel), entries.error());
  }

  // Applies the symlink policy to the link `name` of `dir` (at `rel`). When
  // it is followed, `st` describes its target and `target` holds an O_PATH
  // descriptor of it. A link to a folder is a loop when that folder is, or
  // contains, a folder on the way to the link: following it would come back.
  bool follow(int dir, const std::string& name, const std::string& rel, const RealDir& parent, struct stat& st,
              Fd& target) {
    auto refuse = [&](const char* why) -> bool {
      if (options_.symlinks == SymlinkPolicy::kSkipOutside) return false;
      char buf[PATH_MAX];
      ssize_t n = ::readlinkat(dir, name.c_str(), buf, sizeof buf);
      std::string to = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?";
      fail("symbolic link '{}' -> '{}' {}; only links that stay inside '{}' are followed", path_of(rel), to, why,
           display_);
    };
    int fd = open_beneath(root_.get(), rel, O_PATH, Links::kBeneath, method_);
    if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP) return refuse("is broken");
    if (fd == -EXDEV) return refuse("points outside the tree");
    if (fd < 0) throw_errno("cannot follow", path_of(rel), -fd);
    target.reset(fd);
    if (::fstat(fd, &st) != 0) throw_errno("cannot stat", path_of(rel), errno);
    if (S_ISDIR(st.st_mode)) {
      std::string real = path_of_fd(fd);
      for (const RealDir* d = &parent; d; d = d->parent.get()) {
        bool same = d->dev == st.st_dev && d->ino == st.st_ino;
        if (same || (!real.empty() && !d->path.empty() && is_inside(d->path, real))) {
          return refuse("points to a folder on its own path (a loop)");
        }
      }
    }
    return true;
  }

  std::string path_of(const std::string& rel) const { return rel.empty() ? display_ : display_ + "/" + rel; }

  Fd root_;
  const std::string& display_;
  const ListOptions& options_;
  const ListPage& on_page_;
  const std::function<void()>& check_cancelled_;
  const std::function<void(size_t, const std::function<void()>&)>& run_workers_;
  Method method_;

  std::mutex mu_;  // guards the fields below
  std::condition_variable cv_;
  std::vector<DirWork> stack_;
  size_t busy_ = 0;
  std::exception_ptr error_;

  std::mutex page_mu_;  // one on_page call at a time
};

}  // namespace

void walk(Fd root, const std::string& display, const ListOptions& options, const ListPage& on_page,
          const std::function<void()>& check_cancelled, Method method,
          const std::function<void(size_t, const std::function<void()>&)>& run_workers) {
  Walker(std::move(root), display, options, on_page, check_cancelled, method, run_workers).run();
}

}  // namespace wrapp::storage::local
