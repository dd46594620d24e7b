// Reading one version of a remote object (S3, Azure) by ranges: its first
// bytes are fetched when it is opened (a small object, a package file, needs
// no other request), the rest by ranged GETs that each must return exactly
// the bytes asked for, conditional on the version first seen (the backend's
// If-Match), so an object replaced while it is read fails the read instead of
// mixing two contents.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "storage/http/client.h"
#include "storage/storage.h"

namespace wrapp::storage::http {

class RangedReader : public Reader {
 public:
  // Reads exactly `want` bytes at `offset` (all within the object) into
  // `out`, or throws.
  using Fetch = std::function<void(uint64_t offset, char* out, size_t want)>;

  RangedReader(FileInfo info, std::string start, Fetch fetch)
      : info_(std::move(info)), start_(std::move(start)), fetch_(std::move(fetch)) {}

  uint64_t size() const override { return info_.size; }
  FileInfo info() const override { return info_; }
  size_t read_at(uint64_t offset, void* buf, size_t len) override;

 private:
  FileInfo info_;
  std::string start_;  // the object's first bytes, read at open
  Fetch fetch_;
};

// What a HEAD or (ranged) GET answer says of its object: the size (the total
// of Content-Range, else Content-Length), ETag, Last-Modified, and the
// content hash the backend keeps in `hash_header` ("" when absent).
FileInfo object_info(const Response& response, std::string_view hash_header);

// The body of one ranged GET going into a caller's buffer: never more than
// `want` bytes, whatever the server sends. reset() before a retry.
class RangeBuffer {
 public:
  RangeBuffer(char* out, size_t want) : out_(out), want_(want) {}
  void reset() { got_ = 0; }
  void append(const char* data, size_t n);
  size_t got() const { return got_; }

 private:
  char* out_;
  size_t want_;
  size_t got_ = 0;
};

// Throws StorageError naming `url` unless a ranged answer brought the bytes
// asked for: a 200 for a range past 0 (a server that ignored the range sent
// the object's start) or a short count is refused.
void check_range_answer(const std::string& url, long status, uint64_t offset, size_t want, size_t got);

// The StorageError of a ranged read refused because the object changed since
// it was opened with `etag`: 412 (replaced) or 404 (removed).
[[noreturn]] void fail_changed_while_read(const std::string& url, long status, const std::string& etag);

}  // namespace wrapp::storage::http
