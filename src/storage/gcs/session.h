// What every request of the GCS backend goes through: the endpoint, the
// HTTP client (one per backend, its connections pooled), authentication,
// retries and the meaning of error statuses.
//
// Authentication is per URL: the credential registry's "gcs" entry for the
// URL (its credentials_file, a service-account key) first, then
// GOOGLE_APPLICATION_CREDENTIALS; an emulator gets none. A URL with no
// credential and no emulator fails with a message naming it and the ways
// to give one. A 401 drops the cached token and the request is sent once
// more with a fresh one (a token revoked or expired early).
//
// Emulators. Google's servers enforce preconditions (ifGenerationMatch) on
// every upload, delete and rewrite; the emulators wrapp is tested with do
// not all do (gcp-storage-emulator enforces none: tests/e2e/test_gcs.py
// probes it). With an emulator, the backend therefore checks each
// precondition itself right before the request, under a lock per object
// name for the threads of this process, and reads the object back after an
// upload to see that its generation is the one written. Within one process
// that is exact; between processes a writer whose check comes before
// another's upload and whose upload comes after the other's read-back can
// still win beside it (a window of one request's time). Against Google the
// server decides and none of this runs.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "storage/gcs/auth.h"
#include "storage/gcs/config.h"
#include "storage/http/client.h"
#include "storage/url.h"

namespace wrapp::storage::gcs {

class Session {
 public:
  Session(Config config, std::function<void()> check_cancelled, http::RetryPolicy retry = {});

  const Config& config() const { return config_; }
  const std::function<void()>& check_cancelled() const { return check_cancelled_; }
  http::Client& client() { return client_; }
  const http::Client& client() const { return client_; }

  // The endpoint followed by `path_and_query`.
  std::string api(std::string_view path_and_query) const { return config_.endpoint + std::string(path_and_query); }

  // Sends the request `build` makes (anew for every attempt: a body reader
  // restarts), authenticated for `target`, with retries and back-off
  // (`retry`, else the session's policy). A failure to get a token throws a
  // StorageError naming `target`.
  http::Response send(const Url& target, const std::function<http::Request()>& build,
                      const http::RetryPolicy* retry = nullptr);

  // With an emulator, the lock that orders this process's conditional
  // operations on `location`; without one, an empty lock (the server
  // decides).
  std::unique_lock<std::mutex> lock_object(const Location& location);

  // Throws the StorageError for a failed response: names `url` and what GCS
  // said; 401 and 403 say what to check.
  [[noreturn]] void fail(const http::Response& response, std::string_view action, const Url& url) const;

 private:
  // nullptr with an emulator.
  std::shared_ptr<TokenSource> tokens_for(const Url& target);

  Config config_;
  std::function<void()> check_cancelled_;
  http::RetryPolicy retry_;
  http::Client client_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<TokenSource>> tokens_;  // by key file path
  std::array<std::mutex, 64> object_locks_;
};

}  // namespace wrapp::storage::gcs
