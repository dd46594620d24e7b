// The S3 backend: s3://bucket/key URLs on AWS S3 or any S3-compatible
// service (configuration: s3_config.h; docs/storage.md "S3").
//
// An object store, like the in-memory one (memory/memory_storage.h): a
// folder is a key prefix ("a/b" is a folder while some key starts with
// "a/b/"; the bucket's root always is one), there is no rename, and objects
// appear whole when a Writer commits:
//   - stat: HEAD (size, ETag, Last-Modified, x-amz-meta-wrapp-hash), then a
//     one-key listing of "key/" to tell a folder from nothing;
//   - list: ListObjectsV2, one page (up to 1000 keys) per on_page call;
//     recursive listings are flat (no delimiter) and a folder that descend()
//     refuses is skipped by restarting the listing after it (StartAfter);
//     non-recursive ones use the "/" delimiter and CommonPrefixes. S3's
//     listings carry no user metadata, so listed entries have no
//     content_hash (Features::listed_metadata is false): stat has it;
//   - open_read: HEAD, then ranged GETs carrying If-Match with the ETag, so
//     an object replaced while it is read fails instead of mixing versions;
//   - writes (s3_writer.h): one PUT at commit up to the multipart threshold,
//     a multipart upload above it; create-only is If-None-Match: *,
//     compare-and-swap If-Match: <etag>, both checked by the service
//     (GCS's XML API: x-goog-if-generation-match, s3_dialect.h);
//   - remove: HEAD, then DELETE with If-Match (the ETag seen, or the one
//     given), so of concurrent removals one reports the object;
//   - copy: CopyObject (UploadPartCopy parts above 5 GiB) with the same
//     conditions, checked first with a HEAD for services that ignore them.
// Every request goes through Service (retries, signing, error messages).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "storage/s3/s3_multipart.h"
#include "storage/s3/s3_service.h"
#include "storage/http/conditions.h"
#include "storage/storage.h"

namespace wrapp::storage::s3 {

using http::fail_condition;  // http/conditions.h

class S3Storage : public Storage {
 public:
  S3Storage(Config config, std::function<void()> check_cancelled, Env env = process_env());
  ~S3Storage() override;

  Features features() const override;
  std::string name() const override { return std::string(service_->dialect().backend); }
  std::optional<FileInfo> stat(const Url& url) override;
  void list(const Url& url, const ListOptions& options, const ListPage& on_page) override;
  std::unique_ptr<Reader> open_read(const Url& url) override;
  std::unique_ptr<Document> read_document(const Url& url) override;
  std::unique_ptr<Writer> open_write(const Url& url, const WriteOptions& options) override;
  bool remove(const Url& url, const RemoveOptions& options = {}) override;
  void copy(const Url& from, const Url& to, const WriteOptions& options) override;
  bool link(const Url&, const Url&, LinkMode, const WriteOptions&) override { return false; }
  void sync(const Url&) override {}  // a committed object is durable
  std::optional<Traffic> traffic() const override { return service_->traffic(); }

  Service& service() { return *service_; }
  // Objects above this size are copied in parts (UploadPartCopy) where the
  // service has them; S3's CopyObject limit, lowered by tests.
  void set_copy_part_size(uint64_t bytes) { copy_part_size_ = bytes; }

 private:
  // HEAD of the object itself: nullopt when there is none (a folder too).
  std::optional<FileInfo> head(const Url& url, const char* op);
  // Whether some key lies below "key/".
  bool is_folder(const Url& url);
  // Throws FailedCommand unless a write to `url` may start under `options`.
  void check_target(const Url& url, const WriteOptions& options);
  void copy_in_parts(const Url& from, const FileInfo& source, const Url& to, const WriteOptions& options);

  std::unique_ptr<Service> service_;
  uint64_t copy_part_size_ = kMaxPartSize;
};

}  // namespace wrapp::storage::s3
