// One Azure Blob service as the backend's parts see it: requests built from a
// URL's account, container and blob (config.h), authorized with Shared Key
// (shared_key.h) or a SAS, sent through the HTTP client with bounded
// retries, and failures turned into messages that name the URL and Azure's
// error code and message (never a key, a signature or a SAS).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "storage/azure/config.h"
#include "storage/azure/shared_key.h"
#include "storage/http/client.h"
#include "storage/url.h"

namespace wrapp::storage::azure {

// The REST version every request asks for: Copy Blob with source
// conditions, List Blobs with metadata.
inline constexpr const char* kApiVersion = "2021-08-06";

struct Call {
  const char* op = "read";  // for messages: "cannot <op> '<url>'"
  std::string method = "GET";
  Url url;
  bool container = false;  // a request about the container (List Blobs), not the blob
  std::map<std::string, std::string> query;  // decoded; encoded when sent
  Headers headers;
  std::string_view body;
  // 2xx bodies go here instead of Response::body; `restart` (when set) runs
  // before every attempt, so a retried download starts over.
  std::function<void(const char*, size_t)> sink;
  std::function<void()> restart;
};

class Service {
 public:
  Service(Config config, std::function<void()> check_cancelled);

  const Config& config() const { return config_; }
  void check_cancelled() const {
    if (check_cancelled_) check_cancelled_();
  }
  Location locate(const Url& url) const { return azure::locate(config_, url); }

  // Sends `call` with retries (408, 429, 5xx, transport errors) and returns
  // the last response, whatever its status.
  http::Response send(const Call& call);

  // Throws StorageError for a failed response: "cannot <op> '<url>': Azure
  // <Code> (HTTP <status>): <Message>".
  [[noreturn]] void fail(const Call& call, const http::Response& response);

  // The value for x-ms-copy-source: the blob's URL, with the SAS when the
  // account has no key (a source in the same account is authorized by the
  // request's Shared Key).
  std::string copy_source(const Location& source) const;

  Traffic traffic() const { return http_.traffic(); }

 private:
  Config config_;
  std::function<void()> check_cancelled_;
  http::Client http_;
  http::RetryPolicy retry_;
};

// Azure's error code of a response: the x-ms-error-code header, else the
// body's Error/Code ("" when neither).
std::string error_code(const http::Response& response);

}  // namespace wrapp::storage::azure
