#include "storage/s3/s3_service.h"

#include "storage/http/ranged_reader.h"
#include "storage/s3/s3_sigv4.h"
#include "storage/s3/s3_xml.h"
#include "util/error.h"

namespace wrapp::storage::s3 {

namespace {

constexpr size_t kMaxMessage = 512;  // of S3's own Message

// What a status means when the response has no body (HEAD).
const char* code_of_status(long status) {
  switch (status) {
    case 301: return "PermanentRedirect";
    case 307: return "TemporaryRedirect";
    case 400: return "BadRequest";
    case 403: return "AccessDenied";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 409: return "Conflict";
    case 412: return "PreconditionFailed";
    case 416: return "InvalidRange";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    default: return "Error";
  }
}

// An Error document in a body that S3 answered with 200 (CopyObject and
// CompleteMultipartUpload report late failures that way).
std::optional<ErrorInfo> error_in_ok(const http::Response& r) {
  if (!r.ok() || r.body.empty()) return std::nullopt;
  size_t at = r.body.find("<Error>");
  if (at == std::string::npos || at > 256) return std::nullopt;
  return parse_error(r.body);
}

bool is_retryable_code(const std::string& code) {
  return code == "SlowDown" || code == "InternalError" || code == "ServiceUnavailable" || code == "RequestTimeout" ||
         code == "ConditionalRequestConflict";
}

}  // namespace

Service::Service(Config config, std::function<void()> check_cancelled, Env env)
    : config_(std::move(config)),
      check_cancelled_(std::move(check_cancelled)),
      env_(std::move(env)),
      http_(http::ClientOptions{.ca_file = config_.ca_file, .check_cancelled = check_cancelled_}),
      cleanup_http_(http::ClientOptions{.ca_file = config_.ca_file}) {}

std::string Service::key_of(const Url& url) { return url.path().substr(1); }

std::optional<Credentials> Service::credentials_for(const Url& url) {
  std::optional<Credentials> c = find_registered_credentials(url);
  if (!c) {
    std::lock_guard lock(mu_);
    // GCS gets HMAC keys only: AWS's own keys are never sent to Google.
    if (!fallback_) fallback_ = config_.is_gcs() ? find_gcs_hmac_environment(env_) : find_environment_credentials(env_);
    c = *fallback_;
  }
  return c;  // none: unsigned requests, for a public bucket
}

Headers Service::conditions(const WriteOptions& options) const {
  if (!options.if_match.empty()) return {match(options.if_match)};
  if (!options.overwrite) return {{std::string(dialect().create_only.first), std::string(dialect().create_only.second)}};
  return {};
}

std::pair<std::string, std::string> Service::match(const std::string& tag) const {
  return {std::string(dialect().match_header), tag};
}

FileInfo Service::info_of(const http::Response& response) const {
  FileInfo info = http::object_info(response, dialect().hash_headers[0]);
  if (info.content_hash.empty()) info.content_hash = response.header(dialect().hash_headers[1]);
  info.etag = version_of(response);
  return info;
}

std::string Service::version_of(const http::Response& response) const {
  return response.header(dialect().version_header);
}

http::Response Service::send(const Call& call) {
  std::string key = call.key ? *call.key : key_of(call.url);
  std::string url = config_.object_url(bucket_of(call.url), key, canonical_query(call.query));
  std::optional<Credentials> credentials = credentials_for(call.url);
  auto attempt = [&] {
    if (!call.cleanup) check_cancelled();
    if (call.restart) call.restart();
    http::Request request{.method = call.method, .url = url, .headers = call.headers, .body = call.body};
    request.sink = call.sink;
    request.on_status = call.on_status;
    // Signed anew for every attempt: its time is part of the signature.
    if (credentials) {
      sign_request(call.method, url, request.headers, *credentials, config_.region, std::chrono::system_clock::now());
    }
    return (call.cleanup ? cleanup_http_ : http_).perform(request);
  };
  auto retryable = [](const http::Response& r) {
    if (auto error = error_in_ok(r)) return is_retryable_code(error->code);
    if (r.status != 400 && r.status != 409) return false;
    auto error = parse_error(r.body);
    return error && is_retryable_code(error->code);
  };
  http::Response r = call.cleanup ? http::with_retries(attempt, http::RetryPolicy{.attempts = 3}, {}, retryable)
                                   : http::with_retries(attempt, retry_, check_cancelled_, retryable);
  if (error_in_ok(r)) r.status = 500;  // a failure, however S3 sent it
  return r;
}

void Service::fail(const Call& call, const http::Response& response) {
  http::Response r = response;
  // A HEAD's answer has no body: ask again with a one-byte GET for S3's
  // own code and message (AccessDenied, SignatureDoesNotMatch, ...).
  if (call.method == "HEAD" && r.status != 404 && r.body.empty()) {
    Call get = call;
    get.method = "GET";
    get.headers = {{"Range", "bytes=0-0"}};
    get.sink = [](const char*, size_t) {};
    try {
      http::Response again = send(get);
      if (!again.ok() && again.status == r.status) r = std::move(again);
    } catch (const StorageError&) {
      // keep the HEAD's answer
    }
  }
  std::optional<ErrorInfo> error = parse_error(r.body);
  std::string code = error && !error->code.empty() ? error->code : code_of_status(r.status);
  std::string message = error ? shorten_for_message(error->message, kMaxMessage) : std::string();
  std::string hint;
  if (r.status == 301 || code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed") {
    std::string region = r.header("x-amz-bucket-region");
    if (!region.empty()) hint = fmt::format(" (the bucket is in region {}: set AWS_REGION)", region);
  }
  std::string what = call.url.str();
  if (call.key && call.key->empty()) what = call.url.scheme() + "://" + bucket_of(call.url);
  throw StorageError(fmt::format("cannot {} '{}': {} {} (HTTP {}){}{}{}", call.op, what, dialect().service, code,
                                 r.status, message.empty() ? "" : ": ", message, hint),
                     r.status == 404 ? ErrorCode::kNotFound : ErrorCode::kIo);
}

Traffic Service::traffic() const {
  Traffic a = http_.traffic(), b = cleanup_http_.traffic();
  return {.requests = a.requests + b.requests,
          .bytes_sent = a.bytes_sent + b.bytes_sent,
          .bytes_received = a.bytes_received + b.bytes_received};
}

}  // namespace wrapp::storage::s3
