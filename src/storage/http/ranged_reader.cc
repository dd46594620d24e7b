#include "storage/http/ranged_reader.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "storage/http/dates.h"
#include "util/error.h"

namespace wrapp::storage::http {

namespace {

uint64_t to_u64(const std::string& text) {
  uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

}  // namespace

FileInfo object_info(const Response& r, std::string_view hash_header) {
  FileInfo info;
  std::string range = r.header("content-range");  // "bytes 0-0/1234" for a ranged GET
  if (auto slash = range.rfind('/'); slash != std::string::npos) {
    info.size = to_u64(range.substr(slash + 1));
  } else {
    info.size = to_u64(r.header("content-length"));
  }
  info.etag = r.header("etag");
  info.mtime_ns = parse_time(r.header("last-modified")).value_or(0);
  info.content_hash = r.header(hash_header);
  return info;
}

size_t RangedReader::read_at(uint64_t offset, void* buf, size_t len) {
  if (offset >= info_.size || len == 0) return 0;
  size_t want = static_cast<size_t>(std::min<uint64_t>(len, info_.size - offset));
  char* out = static_cast<char*>(buf);
  size_t from_start = 0;
  if (offset < start_.size()) {  // the prefetched bytes
    from_start = std::min(want, static_cast<size_t>(start_.size() - offset));
    std::memcpy(out, start_.data() + offset, from_start);
  }
  if (from_start < want) fetch_(offset + from_start, out + from_start, want - from_start);
  return want;
}

void RangeBuffer::append(const char* data, size_t n) {
  size_t take = std::min(n, want_ - got_);
  std::memcpy(out_ + got_, data, take);
  got_ += take;
}

void check_range_answer(const std::string& url, long status, uint64_t offset, size_t want, size_t got) {
  if (status == 200 && offset > 0) {
    throw StorageError(fmt::format("cannot read '{}': the server ignored the byte range requested", url));
  }
  if (got != want) {
    throw StorageError(
        fmt::format("cannot read '{}': {} bytes came of the {} asked for at offset {}", url, got, want, offset));
  }
}

void fail_changed_while_read(const std::string& url, long status, const std::string& etag) {
  throw StorageError(fmt::format("cannot read '{}': it was {} while it was read (it had etag {})", url,
                                 status == 404 ? "removed" : "replaced", etag));
}

}  // namespace wrapp::storage::http
