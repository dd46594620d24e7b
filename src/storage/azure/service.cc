#include "storage/azure/service.h"

#include <chrono>

#include "storage/azure/xml.h"
#include "storage/http/dates.h"
#include "util/error.h"

namespace wrapp::storage::azure {

namespace {

constexpr size_t kMaxMessage = 512;  // of Azure's own Message

const char* code_of_status(long status) {
  switch (status) {
    case 400: return "BadRequest";
    case 403: return "AuthenticationFailed";
    case 404: return "NotFound";
    case 409: return "Conflict";
    case 412: return "ConditionNotMet";
    case 416: return "InvalidRange";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServerBusy";
    default: return "Error";
  }
}

std::string encoded_query(const std::map<std::string, std::string>& query) {
  std::string out;
  for (const auto& [name, value] : query) {
    if (!out.empty()) out += '&';
    out += http::uri_encode(name, false) + "=" + http::uri_encode(value, false);
  }
  return out;
}

}  // namespace

std::string error_code(const http::Response& r) {
  std::string code = r.header("x-ms-error-code");
  if (code.empty()) {
    if (auto error = parse_error(r.body)) code = error->code;
  }
  return code;
}

Service::Service(Config config, std::function<void()> check_cancelled)
    : config_(std::move(config)),
      check_cancelled_(std::move(check_cancelled)),
      http_(http::ClientOptions{.ca_file = config_.ca_file, .check_cancelled = check_cancelled_}) {}

http::Response Service::send(const Call& call) {
  Location location = locate(call.url);
  const Account& account = location.account;
  std::string query = encoded_query(call.query);
  bool shared_key = !account.key.empty();
  if (!shared_key && !account.sas.empty()) query += (query.empty() ? "" : "&") + account.sas;
  std::string url = location.request_url(call.container) + (query.empty() ? "" : "?" + query);
  std::string path = location.request_path(call.container);
  auto attempt = [&] {
    check_cancelled();
    if (call.restart) call.restart();
    http::Request request{.method = call.method, .url = url, .headers = call.headers, .body = call.body};
    request.sink = call.sink;
    request.headers.emplace_back("x-ms-version", kApiVersion);
    // Signed anew for every attempt: the date is part of the signature.
    request.headers.emplace_back("x-ms-date", http::http_date(std::chrono::system_clock::now()));
    if (shared_key) {
      std::string text = string_to_sign(call.method, account.name, path, call.query, request.headers, call.body.size());
      request.headers.emplace_back("Authorization",
                                   shared_key_authorization(account.name, account.key, text, account.source));
    }
    return http_.perform(request);
  };
  return http::with_retries(attempt, retry_, check_cancelled_);
}

void Service::fail(const Call& call, const http::Response& r) {
  std::string code = error_code(r);
  if (code.empty()) code = code_of_status(r.status);
  std::string message;
  if (auto error = parse_error(r.body)) {
    // Azure's Message goes on with a RequestId and a Time on lines of their own.
    message = error->message.substr(0, error->message.find('\n'));
    message = shorten_for_message(message, kMaxMessage);
  }
  std::string hint;
  Location location = locate(call.url);
  if (r.status == 403) {
    hint = location.account.key.empty() && location.account.sas.empty()
               ? " (no credentials were found for it: set AZURE_STORAGE_CONNECTION_STRING, or give --auth URL,ACCOUNT,KEY)"
               : fmt::format(" (check the account key or SAS from {})", location.account.source.empty()
                                                                          ? std::string("the environment")
                                                                          : location.account.source);
  } else if (code == "ContainerNotFound") {
    hint = fmt::format(" (create the container '{}' first: wrapp creates no containers)", location.container);
  }
  std::string what = call.container ? http::redact(location.request_url(true)) : call.url.str();
  throw StorageError(fmt::format("cannot {} '{}': Azure {} (HTTP {}){}{}{}", call.op, what, code, r.status,
                                 message.empty() ? "" : ": ", message, hint),
                     r.status == 404 ? ErrorCode::kNotFound : ErrorCode::kIo);
}

std::string Service::copy_source(const Location& source) const {
  std::string url = source.request_url();
  if (source.account.key.empty() && !source.account.sas.empty()) url += "?" + source.account.sas;
  return url;
}

}  // namespace wrapp::storage::azure
