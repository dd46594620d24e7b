#include "util/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/error.h"

namespace wrapp::util {

std::optional<MappedFile> MappedFile::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);  // O_NONBLOCK: a FIFO must not hang us
  if (fd < 0) {
    // As the storage layer: a path through a file is a path to nothing.
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    // A name no file can have is bad input (exit 1), not an I/O failure.
    if (errno == ENAMETOOLONG) fail("cannot open '{}': {}", shorten_for_message(path), std::strerror(errno));
    throw_errno("cannot open", path, errno);
  }
  try {
    MappedFile mapped = open_fd(fd, path);
    ::close(fd);  // the mapping keeps the file
    return mapped;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

MappedFile MappedFile::open_fd(int fd, const std::string& name) {
  struct stat st;
  if (::fstat(fd, &st) != 0) throw_errno("cannot stat", name, errno);
  if (S_ISDIR(st.st_mode)) fail("'{}' is a folder, not a file", shorten_for_message(name));
  if (!S_ISREG(st.st_mode)) fail("'{}' is not a regular file", shorten_for_message(name));
  size_t size = static_cast<size_t>(st.st_size);
  void* base = nullptr;
  if (size > 0) {
    base = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (base == MAP_FAILED) throw_errno("cannot map", name, errno);
    ::madvise(base, size, MADV_SEQUENTIAL);
  }
  return MappedFile(base, size);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : base_(other.base_), size_(other.size_), released_(other.released_) {
  other.base_ = nullptr;
  other.size_ = 0;
}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (base_) ::munmap(base_, size_);
    base_ = other.base_;
    size_ = other.size_;
    released_ = other.released_;
    other.base_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (base_) ::munmap(base_, size_);
}

void MappedFile::release_before(size_t offset) {
  static const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  size_t end = (std::min(offset, size_) / page) * page;
  if (!base_ || end <= released_) return;
  // Clean, file-backed pages: dropping them costs nothing, and reading them
  // again (not done here) would simply fault them back in.
  ::madvise(static_cast<char*>(base_) + released_, end - released_, MADV_DONTNEED);
  released_ = end;
}

}  // namespace wrapp::util
