#include "util/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <random>

#include "util/error.h"

namespace wrapp::util {
namespace {

// Closes the fd (if still open) and removes the temporary file unless the
// write was committed.
class TempFile {
 public:
  TempFile() = default;
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!name_.empty() && !committed_) ::unlink(name_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  int fd_ = -1;
  std::string name_;
  bool committed_ = false;
};

struct FdGuard {
  int fd;
  ~FdGuard() { ::close(fd); }
};

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

uint64_t unique_token() {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}() ^
                                   static_cast<uint64_t>(
                                       std::chrono::steady_clock::now().time_since_epoch().count())};
  return rng() ^ (counter.fetch_add(1) << 48);
}

void fsync_dir(const std::string& dir) {
  // Best effort: makes the rename durable where the file system supports it.
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view content, bool durable) {
  write_file_atomically_with(
      path,
      [&](int fd) {
        const char* p = content.data();
        size_t left = content.size();
        while (left > 0) {
          ssize_t n = ::write(fd, p, left);
          if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("cannot write", path, errno);
          }
          p += n;
          left -= static_cast<size_t>(n);
        }
      },
      durable);
}

void write_file_atomically_with(const std::string& path, const std::function<void(int fd)>& write_content,
                                bool durable) {
  if (path.empty() || path.back() == '/') {
    throw StorageError(fmt::format("cannot write '{}': not a file path", shorten_for_message(path)));
  }
  const std::string dir = dir_of(path);
  const std::string base = base_of(path);

  TempFile tmp;
  for (int attempt = 0;; ++attempt) {
    std::string name = fmt::format("{}/.{}.tmp-{}-{:016x}", dir, base, ::getpid(), unique_token());
    int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      tmp.fd_ = fd;
      tmp.name_ = std::move(name);
      break;
    }
    int err = errno;
    if (err == EEXIST && attempt < 100) continue;
    if (err == EINTR) continue;
    throw_errno("cannot create a temporary file to write", path, err);
  }

  write_content(tmp.fd_);
  if (durable && ::fsync(tmp.fd_) != 0) throw_errno("cannot write (fsync)", path, errno);
  int fd = tmp.fd_;
  tmp.fd_ = -1;
  if (::close(fd) != 0) throw_errno("cannot write (close)", path, errno);
  if (::rename(tmp.name_.c_str(), path.c_str()) != 0) {
    throw_errno("cannot replace", path, errno);
  }
  tmp.committed_ = true;
  if (durable) fsync_dir(dir);
}

std::optional<std::string> read_file(const std::string& path) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw_errno("cannot open", path, errno);
  }
  FdGuard guard{fd};

  // Read straight into the result; the size from fstat is only a hint (the
  // file may change, and special files report 0).
  std::string out;
  struct stat st;
  size_t cap = 65536;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    cap = static_cast<size_t>(st.st_size) + 1;  // +1 sees EOF without growing
  }
  out.resize(cap);
  size_t len = 0;
  for (;;) {
    if (len == out.size()) out.resize(out.size() * 2);
    ssize_t n = ::read(fd, out.data() + len, out.size() - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot read", path, errno);
    }
    if (n == 0) break;
    len += static_cast<size_t>(n);
  }
  out.resize(len);
  return out;
}

}  // namespace wrapp::util
