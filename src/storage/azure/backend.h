// Azure Blob Storage: https://ACCOUNT.blob.core.windows.net/CONTAINER/BLOB
// URLs, and any endpoint the environment names (an emulator's
// http://127.0.0.1:10000/devstoreaccount1/CONTAINER/BLOB); see config.h.
//
// An object store with the memory backend's semantics (storage/memory):
// folders are name prefixes ('/' as the delimiter; a container's root is a
// folder), blobs are published whole, ETags are the compare-and-swap
// tokens:
//   - stat: Get Blob Properties (HEAD: size, ETag, Last-Modified,
//     x-ms-meta-wrapp_hash), then a one-blob listing of "name/" to tell a
//     folder from nothing;
//   - list: List Blobs with include=metadata, a page (up to 5000 blobs) per
//     on_page call, NextMarker to go on; recursive listings are flat, others
//     use the "/" delimiter. Listings carry the hash metadata
//     (Features::listed_metadata). A folder descend() refuses is left out
//     (Azure has no "start after": its pages are still read);
//   - open_read: a first ranged GET, then ranged GETs with If-Match on the
//     ETag, so a blob replaced while it is read fails instead of mixing;
//   - writes (writer.h): Put Blob at commit up to the single-put limit,
//     blocks and Put Block List above it; create-only is If-None-Match: *,
//     compare-and-swap If-Match: <etag>, both checked by the service;
//   - remove: HEAD, then Delete Blob with If-Match on the ETag seen;
//   - copy: Copy Blob within one account (x-ms-source-if-match on the
//     source's ETag, the write's condition on the target), waited for while
//     Azure reports it pending; between accounts the bytes stream through.
// Every request goes through Service (retries, signing, error messages).
#pragma once

#include <functional>
#include <memory>

#include "storage/azure/service.h"
#include "storage/http/conditions.h"
#include "storage/storage.h"

namespace wrapp::storage::azure {

// Write conditions as HTTP object stores send them (http/conditions.h).
using http::condition_headers;
using http::fail_condition;

class AzureStorage : public Storage {
 public:
  AzureStorage(Config config, std::function<void()> check_cancelled);

  Features features() const override;
  std::string name() const override { return "Azure Blob Storage"; }
  std::optional<FileInfo> stat(const Url& url) override;
  void list(const Url& url, const ListOptions& options, const ListPage& on_page) override;
  std::unique_ptr<Reader> open_read(const Url& url) override;
  std::unique_ptr<Writer> open_write(const Url& url, const WriteOptions& options) override;
  bool remove(const Url& url, const RemoveOptions& options = {}) override;
  void copy(const Url& from, const Url& to, const WriteOptions& options) override;
  bool link(const Url&, const Url&, LinkMode, const WriteOptions&) override { return false; }
  void sync(const Url&) override {}  // a committed blob is durable
  std::optional<Traffic> traffic() const override { return service_->traffic(); }

  Service& service() { return *service_; }
  // Whether `url` is one this backend serves (config.h).
  bool serves(const Url& url) const { return azure::serves(service_->config(), url); }

 private:
  // Get Blob Properties: nullopt when there is no blob (a folder too).
  std::optional<FileInfo> head(const Url& url, const char* op);
  // Whether some blob lies below "name/".
  bool is_folder(const Url& url);
  // Throws FailedCommand unless a write to `url` may start under `options`.
  void check_target(const Url& url, const WriteOptions& options);
  // Waits while a Copy Blob to `to` is pending.
  void wait_for_copy(const Url& to, http::Response response);
  // A copy between two accounts: the bytes stream through this process.
  void copy_through(const Url& from, const Url& to, const WriteOptions& options);

  std::unique_ptr<Service> service_;
};

// The backend a Resolver serves Azure URLs with, configured from the
// environment.
std::shared_ptr<AzureStorage> make_azure_storage(std::function<void()> check_cancelled);

// The FileInfo of a HEAD or GET response.
FileInfo info_of_response(const http::Response& response);

// Whether a write's refusal is its condition's: 412, 409 BlobAlreadyExists
// (Azure's answer to If-None-Match: * on an existing blob), or 404
// BlobNotFound for an If-Match target that is gone.
bool refused_by_condition(const http::Response& response, const WriteOptions& options);


}  // namespace wrapp::storage::azure
