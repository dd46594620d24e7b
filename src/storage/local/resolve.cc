#include "storage/local/resolve.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <deque>
#include <vector>

#include "util/error.h"

namespace wrapp::storage::local {
namespace {

// Whether openat2 is usable: probed once, and turned off for good when a
// call reports ENOSYS.
bool probe_openat2() {
  struct open_how how {};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_NO_SYMLINKS;
  long fd = ::syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how);
  if (fd < 0) return false;  // ENOSYS before Linux 5.6; EPERM (or ENOSYS) from a seccomp filter
  ::close(static_cast<int>(fd));
  return true;
}

std::atomic<bool>& openat2_usable() {
  static std::atomic<bool> usable{probe_openat2()};
  return usable;
}

// openat2 beneath `base`; -errno on failure (-ENOSYS / -EPERM: use the walk).
int openat2_beneath(int base, const char* path, int flags, Links links) {
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | (links == Links::kNever ? RESOLVE_NO_SYMLINKS : 0);
  for (;;) {
    long fd = ::syscall(SYS_openat2, base, path, &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    // EAGAIN: a concurrent rename or mount moved something while the
    // kernel checked ".."; simply try again.
    if (errno != EAGAIN && errno != EINTR) return -errno;
  }
}

void split_into(std::string_view path, std::deque<std::string>& out, bool front) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) parts.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  if (front) {
    out.insert(out.begin(), parts.begin(), parts.end());
  } else {
    out.insert(out.end(), parts.begin(), parts.end());
  }
}

// Distinguishes a link from other things openat refused with O_NOFOLLOW
// (which gives ENOTDIR, not ELOOP, for a link when O_DIRECTORY is set).
int link_or(int dir, const std::string& name, int err) {
  if (err != ENOTDIR && err != ELOOP) return -err;
  struct stat st;
  if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) return -ELOOP;
  return -err;
}

// The component walk: what openat2 does, one openat(O_PATH | O_NOFOLLOW)
// per component. Followed links (kBeneath) are expanded in place; their
// ".." goes back to the folder entered before, never above `base`.
int walk_beneath(int base, std::string_view rel, int flags, Links links) {
  std::vector<Fd> entered;  // folders entered, deepest last
  auto current = [&] { return entered.empty() ? base : entered.back().get(); };
  std::deque<std::string> todo;
  split_into(rel, todo, false);
  int followed = 0;
  while (!todo.empty()) {
    std::string name = std::move(todo.front());
    todo.pop_front();
    if (name == ".") continue;  // only link targets hold "." and ".."
    if (name == "..") {
      if (entered.empty()) return -EXDEV;
      entered.pop_back();
      continue;
    }
    bool last = todo.empty();
    if (last && links == Links::kNever) {
      int fd = ::openat(current(), name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC);
      return fd >= 0 ? fd : link_or(current(), name, errno);
    }
    Fd fd(::openat(current(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) return -errno;
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return -errno;
    if (S_ISLNK(st.st_mode)) {
      if (links == Links::kNever || ++followed > 40) return -ELOOP;
      char buf[PATH_MAX];
      ssize_t n = ::readlinkat(fd.get(), "", buf, sizeof buf);
      if (n < 0) return -errno;
      if (n == 0) return -ENOENT;
      if (buf[0] == '/') return -EXDEV;  // absolute: leaves whatever base it had
      split_into(std::string_view(buf, static_cast<size_t>(n)), todo, true);
      continue;
    }
    if (last) {
      // Opened again with the caller's flags (an O_PATH descriptor reads
      // nothing); a link swapped in meanwhile is refused, not followed.
      int real = ::openat(current(), name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC);
      return real >= 0 ? real : link_or(current(), name, errno);
    }
    if (!S_ISDIR(st.st_mode)) return -ENOTDIR;
    entered.push_back(std::move(fd));
  }
  int fd = ::openat(current(), ".", flags | O_CLOEXEC);  // ended on a folder
  return fd >= 0 ? fd : -errno;
}

// mkdir -p for the anchor: the path a user gave, links in it followed.
void make_path(const std::string& dir) {
  if (dir.empty() || dir == "/") return;
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return;
    fail("'{}' exists and is not a folder", dir);
  }
  size_t slash = dir.rfind('/');
  if (slash > 0) make_path(dir.substr(0, slash));
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) throw_errno("cannot create folder", dir, errno);
}

std::string join_path(const std::string& dir, std::string_view rel) {
  if (rel.empty()) return dir;
  std::string out = dir;
  if (out != "/") out += '/';
  out.append(rel);
  return out;
}

std::string read_link_at(int dir, const std::string& name) {
  char buf[PATH_MAX];
  ssize_t n = ::readlinkat(dir, name.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?";
}

}  // namespace

int open_beneath(int base, std::string_view rel, int flags, Links links, Method method) {
  if (method == Method::kAuto && openat2_usable().load(std::memory_order_relaxed)) {
    std::string path = rel.empty() ? "." : std::string(rel);
    int fd = openat2_beneath(base, path.c_str(), flags, links);
    if (fd != -ENOSYS && fd != -EPERM) return fd;
    if (fd == -ENOSYS) openat2_usable().store(false);
  }
  return walk_beneath(base, rel, flags, links);
}

int enter_folder(int dir, const std::string& name, int flags, bool create) {
  if (create && ::mkdirat(dir, name.c_str(), 0755) != 0 && errno != EEXIST) return -errno;
  int fd = ::openat(dir, name.c_str(), flags | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  return fd >= 0 ? fd : link_or(dir, name, errno);
}

void throw_folder_error(int err, const std::string& path, const char* verb) {
  if (err == -ELOOP) {
    fail_with(ErrorCode::kLinkOnPath,
              "refusing to {} '{}': it is a symbolic link, and nothing is written, removed or made through a "
              "symbolic link beneath the folder wrapp was given",
              verb, path);
  }
  if (err == -ENOTDIR) fail("'{}' exists and is not a folder", path);
  throw_errno(std::string("cannot ") + verb, path, -err);
}

bool have_proc_fd() {
  static const bool usable = ::access("/proc/self/fd", X_OK) == 0;
  return usable;
}

std::string path_of_fd(int fd) {
  if (!have_proc_fd()) return {};
  char buf[PATH_MAX];
  std::string proc = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = ::readlink(proc.c_str(), buf, sizeof buf);
  if (n <= 0 || buf[0] != '/') return {};
  return std::string(buf, static_cast<size_t>(n));
}

Fd PathResolver::open_anchor(const Url& url, bool create) const {
  std::string path = url.path().substr(0, url.anchor_size());
  Fd fd(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid() && errno == ENOENT && create) {
    make_path(path);
    fd.reset(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  }
  if (fd.valid()) return fd;
  int err = errno;
  if (err == ENOTDIR && create) fail("'{}' exists and is not a folder", path);
  if (err == ENOENT || err == ENOTDIR) return Fd();
  throw_errno("cannot open", path, err);
}

void PathResolver::refuse_link(const Url& url, int anchor, std::string_view rel, Links links,
                               const char* verb) const {
  std::string anchor_path = url.path().substr(0, url.anchor_size());
  {
    // Name the first link on the way: every shorter prefix is a folder.
    for (size_t end = rel.find('/');; end = rel.find('/', end + 1)) {
      std::string prefix(rel.substr(0, end));
      struct stat st;
      if (::fstatat(anchor, prefix.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) break;
      if (S_ISLNK(st.st_mode)) {
        std::string link = join_path(anchor_path, prefix);
        if (links == Links::kBeneath) {
          fail_with(ErrorCode::kLinkOnPath,
                    "refusing to {} '{}': the symbolic link '{}' (to '{}') on its way leads outside '{}', or a "
                    "link after it does; only links that stay beneath it are followed",
                    verb, url.display(), link, read_link_at(anchor, prefix), anchor_path);
        }
        fail_with(ErrorCode::kLinkOnPath,
                  "refusing to {} '{}': '{}' on its way is a symbolic link (to '{}'), and nothing beneath '{}' "
                  "is written, removed or linked through a symbolic link",
                  verb, url.display(), link, read_link_at(anchor, prefix), anchor_path);
      }
      if (end == std::string_view::npos) break;
    }
  }
  fail_with(ErrorCode::kLinkOnPath,
            "refusing to {} '{}': a symbolic link on its way leads outside '{}', loops, or was replaced while "
            "looked at",
            verb, url.display(), anchor_path);
}

std::optional<Place> PathResolver::place(const Url& url, bool create, const char* verb) const {
  std::string rel = url.beneath_anchor();
  if (rel.empty()) {
    // The anchor itself: its folder is part of the path the user gave.
    if (url.path() == "/") fail("cannot {} the root folder '/'", verb);
    std::string parent = url.path().substr(0, std::max<size_t>(url.path().rfind('/'), 1));
    Fd dir(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir.valid() && errno == ENOENT && create) {
      make_path(parent);
      dir.reset(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    }
    if (!dir.valid()) {
      if ((errno == ENOENT || errno == ENOTDIR) && !create) return std::nullopt;
      throw_errno(std::string("cannot ") + verb, url.display(), errno);
    }
    return Place{std::move(dir), url.name(), url.display()};
  }
  Fd anchor = open_anchor(url, create);
  if (!anchor.valid()) return std::nullopt;
  size_t slash = rel.rfind('/');
  std::string parent_rel = slash == std::string::npos ? "" : rel.substr(0, slash);
  std::string name = slash == std::string::npos ? rel : rel.substr(slash + 1);
  int fd = open_beneath(anchor.get(), parent_rel, O_RDONLY | O_DIRECTORY, Links::kNever, method_);
  if (fd == -ELOOP) refuse_link(url, anchor.get(), parent_rel, Links::kNever, verb);
  if (fd == -ENOENT || fd == -ENOTDIR) {
    if (!create) return std::nullopt;
    // Made (or found to be a file, or a link swapped in) folder by folder.
    return Place{make_folders_below(anchor.get(), parent_rel, url.path().substr(0, url.anchor_size())),
                 std::move(name), url.display()};
  }
  if (fd < 0) throw_errno(std::string("cannot ") + verb, url.display(), -fd);
  return Place{Fd(fd), std::move(name), url.display()};
}

Fd PathResolver::open(const Url& url, int flags, Links links, const char* verb) const {
  std::string rel = url.beneath_anchor();
  if (rel.empty()) {
    Fd fd(::open(url.path().c_str(), (flags & ~O_NOFOLLOW) | O_CLOEXEC));  // the anchor is followed
    if (fd.valid()) return fd;
    if (errno == ENOENT || errno == ENOTDIR) return Fd();
    throw_errno(std::string("cannot ") + verb, url.display(), errno);
  }
  Fd anchor = open_anchor(url, false);
  if (!anchor.valid()) return Fd();
  int fd = open_beneath(anchor.get(), rel, flags, links, method_);
  if (fd >= 0) return Fd(fd);
  if (fd == -ENOENT || fd == -ENOTDIR) return Fd();
  if (fd == -ELOOP || fd == -EXDEV) refuse_link(url, anchor.get(), rel, links, verb);
  throw_errno(std::string("cannot ") + verb, url.display(), -fd);
}

Fd PathResolver::make_folder(const Url& url) const {
  Fd anchor = open_anchor(url, true);
  std::string rel = url.beneath_anchor();
  int fd = open_beneath(anchor.get(), rel, O_RDONLY | O_DIRECTORY, Links::kNever, method_);
  if (fd >= 0) return Fd(fd);
  if (fd == -ELOOP) refuse_link(url, anchor.get(), rel, Links::kNever, "create the folder");
  return make_folders_below(anchor.get(), rel, url.path().substr(0, url.anchor_size()));
}

Fd PathResolver::make_folders_below(int dir, std::string_view rel, const std::string& display) const {
  Fd current;
  std::string path = display;
  size_t i = 0;
  while (i < rel.size()) {
    size_t j = rel.find('/', i);
    if (j == std::string_view::npos) j = rel.size();
    std::string name(rel.substr(i, j - i));
    path = join_path(path, name);
    bool last = j == rel.size();
    int fd = enter_folder(current.valid() ? current.get() : dir, name, last ? O_RDONLY : O_PATH, true);
    if (fd < 0) throw_folder_error(fd, path, "create the folder");
    current.reset(fd);
    i = j + 1;
  }
  if (!current.valid()) {
    current.reset(::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!current.valid()) throw_errno("cannot open", display, errno);
  }
  return current;
}

}  // namespace wrapp::storage::local
