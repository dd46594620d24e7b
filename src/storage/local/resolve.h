// Link-free path resolution beneath an anchor (storage/storage.h, "Anchors
// and symbolic links").
//
// Every call resolves its path at the moment it runs, from a descriptor of
// the anchor: the anchor is opened like any path (a user may point at a
// link), everything beneath it with openat2(2) and
// RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, or, where
// openat2 is missing or filtered (ENOSYS, or EPERM from a seccomp filter),
// by a walk of one openat(O_NOFOLLOW | O_PATH) per component. Writes then
// act on a descriptor of the folder found (mkdirat, linkat, renameat,
// unlinkat), so nothing checked earlier, and no link swapped in meanwhile,
// can redirect them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "storage/local/fd.h"
#include "storage/url.h"

namespace wrapp::storage::local {

// What a resolution does with symbolic links.
enum class Links {
  kNever,    // none is followed: a link on the way (or last, unless O_PATH|O_NOFOLLOW) gives -ELOOP
  kBeneath,  // followed while they stay beneath the base: an absolute or escaping link gives -EXDEV
};

// How: openat2 where the kernel offers it, else the component walk. Tests
// force the walk to check that both behave the same.
enum class Method { kAuto, kWalk };

// Opens `rel` ("" for `base` itself; relative, without "." or "..") beneath
// the folder `base`. Returns the descriptor, or -errno: -ENOENT or -ENOTDIR
// when absent, -ELOOP for a refused link (or too many links), -EXDEV for a
// link leading out. With kNever and O_PATH | O_NOFOLLOW in `flags`, a final
// link is opened itself (as openat2 does).
int open_beneath(int base, std::string_view rel, int flags, Links links, Method method);

// The object a write, remove or link acts on: the folder holding it,
// opened (O_RDONLY | O_DIRECTORY) without following any link beneath the
// anchor, and its name in that folder.
struct Place {
  Fd dir;
  std::string name;
  std::string display;  // the object's path, for messages
};

// A Place's parts without owning the folder's descriptor: a batch resolves
// one folder once and acts on many names in it. Valid while what it refers
// to lives.
struct PlaceRef {
  int dir;
  const std::string& name;
  const std::string& display;
  // `dir` is shared by threads (a storage::Folder): flock, which locks an
  // open file description and not a thread, then needs one of its own.
  bool shared_dir = false;
  PlaceRef(int dir_fd, const std::string& object_name, const std::string& object_display, bool shared = false)
      : dir(dir_fd), name(object_name), display(object_display), shared_dir(shared) {}
  PlaceRef(const Place& place) : dir(place.dir.get()), name(place.name), display(place.display) {}  // NOLINT: implicit
};

class PathResolver {
 public:
  explicit PathResolver(Method method) : method_(method) {}

  // The folder holding `url` and its name; nullopt when that folder does not
  // exist and `create` is false. With `create`, missing folders are made
  // (mode 0755 before the umask), each with mkdirat on a descriptor of its
  // parent. Throws FailedCommand kLinkOnPath when a link lies on the way,
  // `verb` ("write", "remove", ...) saying what was refused.
  std::optional<Place> place(const Url& url, bool create, const char* verb) const;

  // Opens the object at `url` with `flags`; an invalid Fd when it is absent.
  // The anchor is followed; beneath it `links` applies. A refused link
  // throws FailedCommand kLinkOnPath.
  Fd open(const Url& url, int flags, Links links, const char* verb) const;

  // Opens the folder `url` (O_RDONLY | O_DIRECTORY), creating it and its
  // missing parents (the anchor like mkdir -p, beneath it link-free).
  Fd make_folder(const Url& url) const;

  // Below the folder `dir` (which is `display`), makes the folders of `rel`
  // that are missing, link-free, and returns the deepest one.
  Fd make_folders_below(int dir, std::string_view rel, const std::string& display) const;

  Method method() const { return method_; }

 private:
  // The anchor of `url`, opened O_PATH | O_DIRECTORY (following links);
  // invalid when absent and not `create`.
  Fd open_anchor(const Url& url, bool create) const;
  // Throws kLinkOnPath for `url`, naming the first link beneath the anchor.
  [[noreturn]] void refuse_link(const Url& url, int anchor, std::string_view rel, Links links, const char* verb) const;

  Method method_;
};

// Enters the folder `name` of `dir` without following a link: opened with
// `flags` (| O_DIRECTORY | O_NOFOLLOW), made first when `create`. Returns
// the descriptor or -errno: -ELOOP for a link, -ENOTDIR for something that is
// not a folder, -ENOENT when missing.
int enter_folder(int dir, const std::string& name, int flags, bool create);

// Throws the error for a failed enter_folder/open_beneath result `err`
// (negative errno) on `path`, as seen by `verb`: kLinkOnPath for -ELOOP,
// "exists and is not a folder" for -ENOTDIR, StorageError otherwise.
[[noreturn]] void throw_folder_error(int err, const std::string& path, const char* verb);

// True when /proc/self/fd is usable: O_TMPFILE files are published through
// it, and the walk reads the real paths of followed folder links there.
bool have_proc_fd();

// The path a descriptor refers to, from /proc/self/fd; "" when unknown.
std::string path_of_fd(int fd);

}  // namespace wrapp::storage::local
