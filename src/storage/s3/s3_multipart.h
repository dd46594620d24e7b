// One multipart upload: CreateMultipartUpload, parts (uploaded bytes or
// server-side copies of ranges of another object), then
// CompleteMultipartUpload with the write's condition, or
// AbortMultipartUpload when it is dropped unfinished, so no upload is left
// behind to be billed. Parts may be sent from several threads.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/s3/s3_service.h"

namespace wrapp::storage::s3 {

class MultipartUpload {
 public:
  // Starts the upload; `headers` are the new object's (metadata).
  MultipartUpload(Service& service, Url url, const Headers& headers);
  ~MultipartUpload();  // aborts unless completed
  MultipartUpload(const MultipartUpload&) = delete;
  MultipartUpload& operator=(const MultipartUpload&) = delete;

  // Part numbers start at 1. Thread-safe.
  void upload_part(int number, std::string_view data);
  // Copies bytes [first, last] of `source` (whose etag must still be
  // `source_etag`) as part `number`.
  void copy_part(int number, const Url& source, const std::string& source_etag, uint64_t first, uint64_t last);
  // Completes with `conditions` (If-None-Match / If-Match) and returns the
  // response: the caller maps 412 and 404 to its contract. After a failure
  // the upload is still aborted by the destructor.
  http::Response complete(const Headers& conditions);
  // Best effort; never throws.
  void abort() noexcept;

 private:
  Service& service_;
  Url url_;
  std::string upload_id_;
  std::mutex mu_;
  std::map<int, std::string> etags_;  // part number -> ETag
  bool done_ = false;                 // completed or aborted
};

// "/bucket/key" percent-encoded, for x-amz-copy-source.
std::string copy_source(const Url& source);

}  // namespace wrapp::storage::s3
