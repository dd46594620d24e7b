#include "storage/local/backend.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <vector>

#include "storage/local/file_info.h"
#include "storage/local/walker.h"
#include "storage/local/writer.h"
#include "util/bus_error_guard.h"
#include "util/error.h"
#include "util/mapped_file.h"

namespace wrapp::storage {

using local::Fd;
using local::Links;

namespace {

// A range of an open file mapped read-only (page aligned), unmapped on
// destruction; `map` is null when the file system cannot map it.
struct Mapping {
  void* map = nullptr;
  size_t span = 0;  // bytes mapped, from the page holding the range's start
  size_t lead = 0;  // the range's offset within the mapping

  Mapping(int fd, uint64_t offset, size_t len) {
    static const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    uint64_t start = offset / page * page;
    lead = static_cast<size_t>(offset - start);
    span = lead + len;
    if (span == 0) return;
    map = ::mmap(nullptr, span, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(start));
    if (map == MAP_FAILED) map = nullptr;
  }
  ~Mapping() {
    if (map) ::munmap(map, span);
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;

  // Whether every page of the range is in the page cache (mincore: nothing
  // is read).
  bool resident() const {
    if (!map) return false;
    static const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    std::vector<unsigned char> pages((span + page - 1) / page);
    if (::mincore(map, span, pages.data()) != 0) return false;
    return std::all_of(pages.begin(), pages.end(), [](unsigned char r) { return (r & 1) != 0; });
  }
};

class LocalReader : public Reader {
 public:
  LocalReader(Fd fd, uint64_t size, std::string path) : fd_(std::move(fd)), size_(size), path_(std::move(path)) {}
  LocalReader(Fd fd, const struct stat& opened, std::string path)
      : fd_(std::move(fd)), size_(static_cast<uint64_t>(opened.st_size)), path_(std::move(path)),
        opened_(local::to_info(opened)) {}
  uint64_t size() const override { return size_; }
  FileInfo opened_info() const override { return opened_ ? *opened_ : info(); }
  FileInfo info() const override {
    struct stat st;
    if (::fstat(fd_.get(), &st) != 0) throw_errno("cannot stat", path_, errno);
    return local::to_info(st);
  }
  bool in_memory(uint64_t offset, size_t len) override {
    Mapping m(fd_.get(), offset, len);
    return m.resident();
  }
  bool visit_in_place(uint64_t offset, size_t len, Visitor visit, void* arg) override {
    Mapping m(fd_.get(), offset, len);
    // Only a range wholly in the page cache is worth it. Pages still on the
    // disk would come in by the fault path's small synchronous reads, far
    // slower than read()'s read-ahead: such a range is read instead.
    if (!m.resident()) return false;
    void* map = m.map;
    size_t span = m.span;
    // One call maps the whole range instead of a page fault per few pages
    // as the hash walks it (kernels before 5.14 refuse it: faults then).
    ::madvise(map, span, MADV_POPULATE_READ);
    struct Call {
      Visitor visit;
      void* arg;
      const char* data;
      size_t len;
    } call{visit, arg, static_cast<const char*>(map) + m.lead, len};
    auto run = [](void* p) {
      auto* c = static_cast<Call*>(p);
      c->visit(c->data, c->len, c->arg);
    };
    if (!util::run_catching_bus_error(map, span, run, &call)) fail("'{}' changed size while being read", path_);
    // Only pages wholly past the end fault: a file cut within the range's
    // last page reads as zeros up to that page's end. Its size tells.
    if (info().size < offset + len) fail("'{}' changed size while being read", path_);
    return true;
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
  std::optional<FileInfo> opened_;  // the fstat taken when it was opened
};

// The Reader of an opened file (`st` its fstat); a folder or anything but
// a regular file is refused.
std::unique_ptr<Reader> make_reader(Fd fd, const struct stat& st, std::string display) {
  if (S_ISDIR(st.st_mode)) fail("'{}' is a folder, not a file", display);
  if (!S_ISREG(st.st_mode)) fail("'{}' is not a regular file", display);
  // Read-ahead hint, worth its syscall only for files of several chunks.
  if (st.st_size > (4 << 20)) ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::make_unique<LocalReader>(std::move(fd), st, std::move(display));
}

// Documents up to this size are read into memory; bigger ones are mapped.
// A mapped file that another program truncates in place while it is parsed
// makes the process crash (SIGBUS); small documents, the common case, are
// thereby safe from that, and big ones save the copy of their text.
constexpr uint64_t kReadIntoMemory = 1 << 20;

class LocalDocument : public Document {
 public:
  explicit LocalDocument(util::MappedFile file) : mapped_(std::move(file)) {}
  explicit LocalDocument(std::string text) : text_(std::move(text)) {}
  std::string_view text() const override { return mapped_ ? mapped_->data() : std::string_view(text_); }
  void release_before(size_t offset) override {
    if (mapped_) mapped_->release_before(offset);
  }
  void restart() override {
    if (mapped_) mapped_->restart();
  }

 private:
  std::optional<util::MappedFile> mapped_;
  std::string text_;
};

// A folder resolved once (Storage::open_folder): each object is opened by
// its name relative to the folder's descriptor, never through a link.
class LocalFolder : public Folder {
 public:
  LocalFolder(LocalStorage& store, Url url, Fd dir, bool for_write)
      : store_(store), url_(std::move(url)), dir_(std::move(dir)), for_write_(for_write),
        prefix_(url_.display() + (url_.path() == "/" ? "" : "/")) {}

  std::unique_ptr<Reader> open_read(const std::string& name) override {
    check(name);
    // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused).
    Fd fd(::openat(dir_.get(), name.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) {
      if (errno == ENOENT) return nullptr;
      // A symbolic link: read as open_read reads it, which follows it while
      // it stays beneath the anchor, and refuses it otherwise.
      if (errno == ELOOP) return store_.open_read(url_.join(name));
      throw_errno("cannot open", prefix_ + name, errno);
    }
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) throw_errno("cannot stat", prefix_ + name, errno);
    return make_reader(std::move(fd), st, prefix_ + name);
  }

  std::unique_ptr<Writer> open_write(const std::string& name, const WriteOptions& options) override {
    check(name);
    if (!for_write_) fail("'{}' was opened for reading, not for writing '{}'", url_.display(), name);
    return std::make_unique<local::LocalWriter>(dir_.get(), name, prefix_ + name, options);
  }

 private:
  // A name with a slash (or a dot name) would be resolved by the kernel
  // itself, links and all, instead of beneath the folder.
  void check(const std::string& name) const {
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
        name.find('\0') != std::string::npos) {
      fail("invalid name '{}' in the folder '{}'", name, url_.display());
    }
  }

  LocalStorage& store_;
  Url url_;
  Fd dir_;
  bool for_write_;
  std::string prefix_;  // the folder's display path and a slash, for messages
};

}  // namespace

LocalStorage::LocalStorage(std::function<void()> check_cancelled, local::Method method, RunWorkers run_workers)
    : check_cancelled_(std::move(check_cancelled)), run_workers_(std::move(run_workers)), paths_(method) {}

Features LocalStorage::features() const {
  Features f;
  f.real_folders = true;
  f.server_side_copy = true;
  f.hardlink = true;
  f.reflink = true;
  f.parallel_write = true;
  f.stable_identity = true;
  f.conditional_write = true;
  f.object_metadata = false;
  f.symbolic_links = true;
  f.connections = 64;
  return f;
}

std::optional<FileInfo> LocalStorage::stat(const Url& url) {
  Fd fd = paths_.open(url, O_PATH | O_NOFOLLOW, Links::kNever, "stat");
  if (!fd.valid()) return std::nullopt;
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) throw_errno("cannot stat", url.display(), errno);
  return local::to_info(st);
}

void LocalStorage::list(const Url& url, const ListOptions& options, const ListPage& on_page) {
  Fd fd = paths_.open(url, O_PATH, Links::kBeneath, "list");
  if (!fd.valid()) return;
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) throw_errno("cannot list", url.display(), errno);
  if (!S_ISDIR(st.st_mode)) fail("'{}' is a file, not a folder", url.display());
  Fd dir(::openat(fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) throw_errno("cannot list", url.display(), errno);
  local::walk(std::move(dir), url.display(), options, on_page, check_cancelled_, paths_.method(), run_workers_);
}

Fd LocalStorage::open_regular(const Url& url, struct stat* st) const {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused).
  Fd fd = paths_.open(url, O_RDONLY | O_NONBLOCK, Links::kBeneath, "read");
  if (!fd.valid()) return fd;
  if (::fstat(fd.get(), st) != 0) throw_errno("cannot stat", url.display(), errno);
  if (S_ISDIR(st->st_mode)) fail("'{}' is a folder, not a file", url.display());
  if (!S_ISREG(st->st_mode)) fail("'{}' is not a regular file", url.display());
  return fd;
}

std::unique_ptr<Reader> LocalStorage::open_read(const Url& url) {
  struct stat st;
  Fd fd = open_regular(url, &st);
  if (!fd.valid()) return nullptr;
  return make_reader(std::move(fd), st, url.display());
}

std::unique_ptr<Folder> LocalStorage::open_folder(const Url& url, bool for_write) {
  // Resolved as the calls it stands for resolve their folder: a write's
  // without following any link beneath the anchor (made when missing), a
  // read's following links that stay beneath it.
  Fd dir = for_write ? paths_.make_folder(url) : paths_.open(url, O_RDONLY | O_DIRECTORY, Links::kBeneath, "read");
  if (!dir.valid()) return nullptr;
  return std::make_unique<LocalFolder>(*this, url, std::move(dir), for_write);
}

std::unique_ptr<Document> LocalStorage::read_document(const Url& url) {
  struct stat st;
  Fd fd = open_regular(url, &st);
  if (!fd.valid()) return nullptr;
  if (static_cast<uint64_t>(st.st_size) > kReadIntoMemory) {
    return std::make_unique<LocalDocument>(util::MappedFile::open_fd(fd.get(), url.display()));
  }
  LocalReader reader(std::move(fd), static_cast<uint64_t>(st.st_size), url.display());
  std::string text(reader.size(), '\0');
  text.resize(reader.read_at(0, text.data(), text.size()));
  return std::make_unique<LocalDocument>(std::move(text));
}

std::unique_ptr<Writer> LocalStorage::open_write(const Url& url, const WriteOptions& options) {
  return std::make_unique<local::LocalWriter>(std::move(*paths_.place(url, true, "write")), options);
}

bool LocalStorage::remove(const Url& url, const RemoveOptions& options) {
  auto place = paths_.place(url, false, "remove");
  return place && local::remove_file(*place, options.if_match);
}

bool LocalStorage::remove_folder(const Url& url) {
  auto place = paths_.place(url, false, "remove the folder");
  // Not empty, absent, not a folder (a link is never followed), or not
  // removable: the folder stays, and the caller goes on.
  return place && ::unlinkat(place->dir.get(), place->name.c_str(), AT_REMOVEDIR) == 0;
}

void LocalStorage::copy(const Url& from, const Url& to, const WriteOptions& options) {
  struct stat st;
  Fd src = open_regular(from, &st);
  if (!src.valid()) throw_errno("cannot open", from.display(), ENOENT);
  local::LocalWriter writer(std::move(*paths_.place(to, true, "write")), options);
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
        throw_errno("cannot copy to", to.display(), errno);
      }
      use_cfr = false;
      buf.resize(1 << 20);
    }
    ssize_t n = ::pread(src.get(), buf.data(), buf.size(), static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot read", from.display(), errno);
    }
    if (n == 0) break;
    writer.write_at(done, buf.data(), static_cast<size_t>(n));
    done += static_cast<uint64_t>(n);
  }
  if (done != size) fail("'{}' changed size while being copied", from.display());
  writer.commit();
}

bool LocalStorage::link(const Url& from, const Url& to, LinkMode mode, const WriteOptions& options) {
  if (mode == LinkMode::kReflink) {
    struct stat st;
    Fd src = open_regular(from, &st);
    if (!src.valid()) throw_errno("cannot open", from.display(), ENOENT);
    local::LocalWriter writer(std::move(*paths_.place(to, true, "link")), options);
    if (::ioctl(writer.fd(), FICLONE, src.get()) != 0) {
      if (errno == EOPNOTSUPP || errno == EXDEV || errno == EINVAL || errno == ENOTTY) return false;
      throw_errno("cannot clone to", to.display(), errno);
    }
    writer.commit();
    return true;
  }
  auto src = paths_.place(from, false, "link");
  struct stat st = hard_link_source(src ? src->dir.get() : -1, src ? src->name : std::string(), from.display(),
                                    to.display());
  auto dst = paths_.place(to, true, "link");
  return local::publish_hard_link(*src, st, *dst, options);
}

std::vector<std::optional<FileInfo>> LocalStorage::link_batch(const Url& from_folder, const Url& to_folder,
                                                              const std::vector<LinkName>& names, LinkMode mode,
                                                              const WriteOptions& options) {
  // A reflink clones through a writer of its own per file: nothing to share.
  if (mode != LinkMode::kHardlink) return Storage::link_batch(from_folder, to_folder, names, mode, options);
  std::vector<std::optional<FileInfo>> linked;
  linked.reserve(names.size());
  if (names.empty()) return linked;
  for (const auto& n : names) {
    // A name with a slash (or a dot name) would be resolved by linkat
    // itself, links and all, instead of beneath the folder.
    for (const std::string* name : {&n.from, &n.to}) {
      if (name->empty() || *name == "." || *name == ".." || name->find('/') != std::string::npos) {
        fail("invalid name '{}' in a batch of links from '{}' to '{}'", *name, from_folder.display(),
             to_folder.display());
      }
    }
  }
  Fd from_dir = paths_.open(from_folder, O_RDONLY | O_DIRECTORY, Links::kNever, "link");
  Fd to_dir = paths_.make_folder(to_folder);
  std::string from_prefix = from_folder.display() + (from_folder.path() == "/" ? "" : "/");
  std::string to_prefix = to_folder.display() + (to_folder.path() == "/" ? "" : "/");
  std::string from_display;
  std::string to_display;
  for (const auto& n : names) {
    from_display.assign(from_prefix).append(n.from);
    to_display.assign(to_prefix).append(n.to);
    struct stat st = hard_link_source(from_dir.get(), n.from, from_display, to_display);
    struct stat after;
    if (!local::publish_hard_link(local::PlaceRef(from_dir.get(), n.from, from_display),
                                  st, local::PlaceRef(to_dir.get(), n.to, to_display), options, &after)) {
      linked.emplace_back();
      continue;
    }
    linked.push_back(local::to_info(after));
  }
  return linked;
}

struct stat LocalStorage::hard_link_source(int dir, const std::string& name, const std::string& display,
                                           const std::string& to_display) {
  // A hard link shares the inode itself: the source must be a regular file
  // found without following any link, or a later write to the linked file
  // would land wherever the link points.
  struct stat st;
  if (dir < 0) throw_errno("cannot link", display, ENOENT);
  if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) throw_errno("cannot link", display, errno);
  if (S_ISLNK(st.st_mode)) {
    fail_with(ErrorCode::kLinkOnPath,
              "refusing to hard-link '{}': it is a symbolic link; only regular files are linked, so that no write "
              "to '{}' can land where a link points",
              display, to_display);
  }
  if (!S_ISREG(st.st_mode)) fail("cannot hard-link '{}': it is not a regular file", display);
  return st;
}

void LocalStorage::prepare_folders(const Url& root, const std::vector<std::string>& folders) {
  // Parents first (sorted order puts "a" before "a/b"), each made with
  // mkdirat on its parent's descriptor; the chain of folders being filled
  // stays open, so each folder costs one mkdirat and one openat.
  std::vector<std::string> sorted = folders;
  std::sort(sorted.begin(), sorted.end());
  Fd base = paths_.make_folder(root);
  std::vector<std::pair<std::string, Fd>> chain;  // made folders, deepest last
  auto within = [](const std::string& path, const std::string& dir) {
    return path.compare(0, dir.size(), dir) == 0 && (path.size() == dir.size() || path[dir.size()] == '/');
  };
  for (const auto& folder : sorted) {
    if (folder.empty()) continue;  // the root itself
    while (!chain.empty() && !within(folder, chain.back().first)) chain.pop_back();
    if (!chain.empty() && folder == chain.back().first) continue;
    size_t start = chain.empty() ? 0 : chain.back().first.size() + 1;
    while (start <= folder.size()) {
      size_t end = folder.find('/', start);
      if (end == std::string::npos) end = folder.size();
      std::string prefix = folder.substr(0, end);
      int fd = local::enter_folder(chain.empty() ? base.get() : chain.back().second.get(),
                                   folder.substr(start, end - start), O_PATH, true);
      if (fd < 0) local::throw_folder_error(fd, root.join(prefix).display(), "create the folder");
      chain.emplace_back(std::move(prefix), Fd(fd));
      start = end + 1;
    }
  }
}

void LocalStorage::sync(const Url& root) {
  Fd fd = paths_.open(root, O_RDONLY | O_NONBLOCK, Links::kBeneath, "sync");
  if (!fd.valid()) return;
  if (::syncfs(fd.get()) != 0) throw_errno("cannot sync", root.display(), errno);
}

}  // namespace wrapp::storage
