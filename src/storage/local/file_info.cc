#include "storage/local/file_info.h"

#include <charconv>

namespace wrapp::storage::local {
namespace {

int64_t nanoseconds(const struct timespec& ts) { return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec; }

}  // namespace

// Formatted by hand: every open, stat and commit of a local file makes one,
// and fmt's run-time format string was 6% of an install's user time at
// 100,000 small files.
std::string etag_of(const struct stat& st) {
  char text[128];  // five numbers of at most 20 characters and their dashes
  char* at = text;
  char* const end = text + sizeof text;
  auto put = [&](auto value) {
    if (at != text && at < end) *at++ = '-';
    at = std::to_chars(at, end, value).ptr;
  };
  put(static_cast<uint64_t>(st.st_dev));
  put(static_cast<uint64_t>(st.st_ino));
  put(static_cast<int64_t>(st.st_size));
  put(nanoseconds(st.st_mtim));
  put(nanoseconds(st.st_ctim));
  return std::string(text, at);
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
