#include "storage/local/file_info.h"

#include <fmt/format.h>

namespace wrapp::storage::local {
namespace {

int64_t nanoseconds(const struct timespec& ts) { return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec; }

}  // namespace

std::string etag_of(const struct stat& st) {
  return fmt::format("{}-{}-{}-{}-{}", static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                     static_cast<int64_t>(st.st_size), nanoseconds(st.st_mtim), nanoseconds(st.st_ctim));
}

FileInfo to_info(const struct stat& st, bool with_etag) {
  FileInfo info;
  info.size = S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
  info.mtime_ns = nanoseconds(st.st_mtim);
  info.ctime_ns = nanoseconds(st.st_ctim);
  info.inode = st.st_ino;
  info.device = st.st_dev;
  info.mode = st.st_mode & 07777;
  info.is_dir = S_ISDIR(st.st_mode);
  info.is_link = S_ISLNK(st.st_mode);
  info.is_other = !S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode);
  if (with_etag) info.etag = etag_of(st);
  return info;
}

}  // namespace wrapp::storage::local
