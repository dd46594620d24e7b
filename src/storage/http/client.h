// HTTP(S) for the object-store backends (S3, Azure Blob, GCS, plain HTTPS),
// over libcurl. No backend speaks sockets or TLS itself.
//
// One Client per backend instance, shared by every thread of its commands:
// a pool of curl easy handles (each used by one request at a time, then
// returned, so connections and TLS sessions are reused) and a share handle
// for DNS, connections and TLS sessions across them.
//
// Secrets. Requests carry credentials in headers (signatures, keys) and
// sometimes in the query string (SAS tokens, pre-signed URLs). Every message
// names the URL through redact(): scheme, host and path only; with --debug
// each attempt is logged that way (method, redacted URL, status, body
// bytes), never a header or a query. Signing with AWS Signature V4 is libcurl's
// (CURLOPT_AWS_SIGV4); other signatures are computed by the backends.
//
// Errors. perform() returns any HTTP status as a Response: what a status
// means is the backend's business. Failures below HTTP (resolve, connect,
// reset, timeout, TLS) throw TransportError, a StorageError with a message
// naming the redacted URL and curl's reason. A body sink or source that
// throws aborts the transfer and its exception is rethrown; a cancelled
// command (ClientOptions::check_cancelled) aborts it within a second.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/storage.h"
#include "util/error.h"

namespace wrapp::storage::http {

// AWS Signature Version 4 parameters (S3 and S3-compatible services).
struct SigV4 {
  std::string region = "us-east-1";
  std::string service = "s3";
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // sent as x-amz-security-token when not empty
};

struct Request {
  std::string method = "GET";
  std::string url;  // may hold secrets in its query string: never printed as is
  std::vector<std::pair<std::string, std::string>> headers;
  // The body: `body`, or (when set) `body_reader` producing exactly
  // `body_size` bytes, called with a buffer to fill; it returns how many it
  // wrote (0 only at the end).
  std::string_view body;
  std::function<size_t(char* buffer, size_t capacity)> body_reader;
  uint64_t body_size = 0;
  // The response body goes here as it arrives instead of Response::body.
  // Only for a successful status (2xx); error bodies are always collected
  // (bounded) for their error codes.
  std::function<void(const char* data, size_t size)> sink;
  // Called once with the status and headers (names in lower case) of a
  // successful answer when its head has arrived, before any body byte goes
  // to the sink (200 or 206 tells a reader what it gets), even when no body
  // follows. May throw to refuse the answer: the transfer stops and
  // perform() rethrows.
  std::function<void(long status, const std::map<std::string, std::string>& headers)> on_status;
  std::optional<SigV4> sigv4;
};

struct Response {
  long status = 0;
  std::map<std::string, std::string> headers;  // names in lower case; the last value of repeated ones
  std::string body;

  // The header's value, "" when absent; `name` in lower case.
  std::string header(std::string_view name) const;
  bool ok() const { return status >= 200 && status < 300; }
};

struct ClientOptions {
  // Verify the server's certificate (on by default; never off silently).
  bool verify_tls = true;
  std::string ca_file;  // a CA bundle to trust besides the system's (a test's self-signed certificate)
  std::chrono::milliseconds connect_timeout{10'000};
  // A transfer slower than 1 byte/s for this long is aborted (a stalled peer).
  std::chrono::seconds stall_timeout{60};
  // Throws to cancel; called while transfers run.
  std::function<void()> check_cancelled;
  // Most bytes of an error response kept in Response::body.
  size_t max_error_body = 64 * 1024;
};

// A failure below HTTP: nothing was answered (or the answer broke off).
class TransportError : public StorageError {
 public:
  TransportError(const std::string& message, bool timed_out, bool retryable = true)
      : StorageError(message, ErrorCode::kIo), timed_out_(timed_out), retryable_(retryable) {}
  bool timed_out() const { return timed_out_; }
  // False when another attempt cannot help (a host name that does not resolve).
  bool retryable() const { return retryable_; }

 private:
  bool timed_out_;
  bool retryable_;
};

class Client {
 public:
  explicit Client(ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // One attempt. Thread-safe.
  Response perform(const Request& request);

  const ClientOptions& options() const { return options_; }

  // Requests sent (each attempt) and body bytes moved, for --stats.
  Traffic traffic() const;

 private:
  struct Pool;
  ClientOptions options_;
  std::unique_ptr<Pool> pool_;
};

// scheme://host[:port]/path of a URL: no user info, no query, no fragment.
std::string redact(std::string_view url);

// Percent-encodes everything but RFC 3986's unreserved characters, and '/'
// when `keep_slash` (object keys in a path).
std::string uri_encode(std::string_view text, bool keep_slash);

// Retries: exponential back-off with full jitter, bounded.
struct RetryPolicy {
  int attempts = 6;  // in all, the first included
  std::chrono::milliseconds base{100};
  std::chrono::milliseconds cap{8'000};
};

// 408, 429, 500, 502, 503, 504: worth another attempt.
bool is_retryable_status(long status);

// Calls `attempt` until it returns a response whose status is not
// retryable, or `policy.attempts` were made (then the last response is
// returned); TransportErrors are retried the same way and the last one is
// rethrown. `retryable` may widen what is retried (S3's 200 with a
// SlowDown body). Sleeps check `check_cancelled`. `attempt` must build its
// request anew each time (a body reader restarts from its beginning).
Response with_retries(const std::function<Response()>& attempt, const RetryPolicy& policy,
                      const std::function<void()>& check_cancelled,
                      const std::function<bool(const Response&)>& retryable = {});

}  // namespace wrapp::storage::http
