// Read-only HTTP(S) locations: a CDN or web server holding the files of
// redirect packages (their catalogs' source_path or storage_map entries are
// https:// URLs). install, get, cat, check and mirror read from it; nothing
// is ever written, listed or deleted there.
//
// An object is what a GET of its URL returns: stat is a HEAD (size from
// Content-Length, etag from ETag, mtime from Last-Modified), reads are
// ranged GETs carrying If-Range with the etag stat saw, so an object
// replaced while it is read fails instead of mixing two versions. 404 and
// 410 are absence. TLS is verified; WRAPP_CA_FILE adds a CA bundle to trust
// (a test's self-signed certificate).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "storage/http/client.h"
#include "storage/storage.h"

namespace wrapp::storage {

class WebStorage : public Storage {
 public:
  explicit WebStorage(std::function<void()> check_cancelled = {});

  Features features() const override;
  std::string name() const override { return "HTTP(S)"; }
  std::optional<FileInfo> stat(const Url& url) override;
  void list(const Url& url, const ListOptions& options, const ListPage& on_page) override;
  std::unique_ptr<Reader> open_read(const Url& url) override;
  std::unique_ptr<Writer> open_write(const Url& url, const WriteOptions& options) override;
  bool remove(const Url& url, const RemoveOptions& options) override;
  void copy(const Url& from, const Url& to, const WriteOptions& options) override;
  bool link(const Url& from, const Url& to, LinkMode mode, const WriteOptions& options) override { return false; }
  void sync(const Url& root) override {}
  std::optional<Traffic> traffic() const override { return client_->traffic(); }

  http::Client& client() { return *client_; }

 private:
  http::Response send(const http::Request& request);

  std::function<void()> check_cancelled_;
  std::shared_ptr<http::Client> client_;
};

}  // namespace wrapp::storage
