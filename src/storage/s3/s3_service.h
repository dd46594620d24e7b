// One S3 service as the backend's parts see it: requests built from an
// s3:// URL, signed with the credentials for that URL (s3_sigv4.h), sent through the
// HTTP client with bounded retries, and failures turned into messages that
// name the s3:// URL and S3's error code and message (never a key, a
// signature or a query string).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/http/client.h"
#include "storage/s3/s3_config.h"
#include "storage/url.h"

namespace wrapp::storage::s3 {

using Headers = std::vector<std::pair<std::string, std::string>>;

// One request. `key` overrides the URL's key where the request is about the
// bucket (a listing: "").
struct Call {
  const char* op = "read";  // for messages: "cannot <op> 's3://...'"
  std::string method = "GET";
  Url url;
  std::optional<std::string> key;
  std::map<std::string, std::string> query;
  Headers headers;
  std::string_view body;
  // 2xx bodies go here instead of Response::body. Called again from the
  // start after a retry: `restart` (when set) runs before every attempt.
  std::function<void(const char*, size_t)> sink;
  std::function<void()> restart;
  // Told the status and headers of a 2xx answer once its head arrived
  // (http::Request::on_status); may throw to refuse it.
  std::function<void(long status, const std::map<std::string, std::string>& headers)> on_status;
  // Clean-up after a failure or a cancellation (aborting a multipart
  // upload): sent even when the command is cancelled, with fewer retries.
  bool cleanup = false;
};

class Service {
 public:
  Service(Config config, std::function<void()> check_cancelled, Env env = process_env());

  const Config& config() const { return config_; }
  const Dialect& dialect() const { return *config_.dialect; }
  void check_cancelled() const {
    if (check_cancelled_) check_cancelled_();
  }

  // Sends `call` with retries (5xx, 429, SlowDown, 409
  // ConditionalRequestConflict, RequestTimeout, transport errors) and
  // returns the last response, whatever its status.
  http::Response send(const Call& call);

  // Throws StorageError for a failed response: "cannot <op> '<url>': S3
  // <Code> (HTTP <status>): <Message>" (GCS for the XML API).
  [[noreturn]] void fail(const Call& call, const http::Response& response);

  // The headers of a write's condition in this service's dialect:
  // create-only, compare-and-swap on a version tag, or none (overwrite).
  Headers conditions(const WriteOptions& options) const;
  // The header that makes a request need the object's version `tag`.
  std::pair<std::string, std::string> match(const std::string& tag) const;
  // The FileInfo of a HEAD or GET response, and the version tag of any
  // response about an object ("" when the service sent none).
  FileInfo info_of(const http::Response& response) const;
  std::string version_of(const http::Response& response) const;

  // The object key of an s3:// URL ("" for the bucket's root).
  static std::string key_of(const Url& url);
  static const std::string& bucket_of(const Url& url) { return url.authority(); }

  // Both clients' requests and bytes.
  Traffic traffic() const;

 private:
  std::optional<Credentials> credentials_for(const Url& url);

  Config config_;
  std::function<void()> check_cancelled_;
  Env env_;
  http::Client http_;
  http::Client cleanup_http_;  // without the cancellation check
  http::RetryPolicy retry_;
  std::mutex mu_;
  // The environment's and profile's credentials, looked up once (the
  // registry is asked per request: it is per URL, and in memory).
  std::optional<std::optional<Credentials>> fallback_;
};

// The x-amz-meta-* header that carries the sha-256-flat content hash.
inline constexpr const char* kHashHeader = "x-amz-meta-wrapp-hash";

}  // namespace wrapp::storage::s3
