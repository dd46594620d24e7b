// Google Cloud Storage: gs://BUCKET/OBJECT URLs over the JSON API.
//
// An object store with the memory backend's semantics (storage/memory):
// folders are name prefixes ('/' as the delimiter; the root of a bucket is
// a folder), objects are published whole by their upload, generations are
// the etags, create-only and compare-and-swap are ifGenerationMatch
// preconditions (0, or the generation), the content hash is the object's
// custom metadata "wrapp-hash", copies within GCS are objects.rewrite
// (server-side, continued while GCS asks for more calls). No links, no
// parallel writes, nothing to sync (an upload is durable when it returns).
//
// Configuration, credentials and emulators: config.h and session.h.
#pragma once

#include <functional>
#include <memory>

#include "storage/gcs/config.h"
#include "storage/gcs/json.h"
#include "storage/gcs/session.h"
#include "storage/storage.h"

namespace wrapp::storage::gcs {

class GcsStorage : public Storage {
 public:
  GcsStorage(Config config, std::function<void()> check_cancelled);

  Features features() const override;
  std::string name() const override { return "Google Cloud Storage"; }
  std::optional<FileInfo> stat(const Url& url) override;
  void list(const Url& url, const ListOptions& options, const ListPage& on_page) override;
  std::unique_ptr<Reader> open_read(const Url& url) override;
  std::unique_ptr<Writer> open_write(const Url& url, const WriteOptions& options) override;
  bool remove(const Url& url, const RemoveOptions& options = {}) override;
  void copy(const Url& from, const Url& to, const WriteOptions& options) override;
  bool link(const Url& from, const Url& to, LinkMode mode, const WriteOptions& options) override { return false; }
  void sync(const Url& root) override {}
  // The token requests (OAuth2) included: they go through the same client.
  std::optional<Traffic> traffic() const override { return session_->client().traffic(); }

  Session& session() { return *session_; }

 private:
  // One objects.list call per page below `prefix` (with "/" as delimiter
  // when `delimited`), each page handed to `on_page`.
  void list_pages(const Url& url, const std::string& prefix, bool delimited,
                  const std::function<void(ObjectPage&&)>& on_page);

  std::shared_ptr<Session> session_;
};

// The backend a Resolver serves gs:// URLs with, configured from the
// environment.
std::shared_ptr<Storage> make_gcs_storage(std::function<void()> check_cancelled);

}  // namespace wrapp::storage::gcs
