#include "storage/http/client.h"


#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <exception>
#include <random>
#include <thread>

#include "storage/http/curl_library.h"
#include "util/log.h"

namespace wrapp::storage::http {

namespace {

// libcurl, loaded by the first Client (curl_library.h).
const CurlLibrary& lib() { return curl_library(); }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return std::string(s);
}

// What one transfer's callbacks share.
struct Transfer {
  const Request* request = nullptr;
  const ClientOptions* options = nullptr;
  CURL* easy = nullptr;
  Response response;
  uint64_t sent = 0;
  uint64_t received = 0;
  std::exception_ptr failure;  // thrown by a sink, a reader or the cancellation check
  size_t body_offset = 0;      // into request->body
  bool status_told = false;    // request->on_status was called
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    t->response.headers.clear();  // a new response (after 100 Continue or a redirect)
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    t->response.headers[lower(trim(line.substr(0, colon)))] = trim(line.substr(colon + 1));
  } else if (trim(line).empty() && t->request->on_status && !t->status_told) {
    // The end of a head: a successful answer is told now, before any body
    // byte, so that a caller can refuse it even when no body comes at all
    // (s3rver announces a byte for an empty object and never sends it).
    long status = 0;
    lib().easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) {
      t->status_told = true;
      try {
        t->request->on_status(status, t->response.headers);
      } catch (...) {
        t->failure = std::current_exception();
        return 0;  // aborts the transfer; perform() rethrows
      }
    }
  }
  return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  long status = 0;
  lib().easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
  try {
    if (status >= 200 && status < 300 && t->request->sink) {
      if (!t->status_told && t->request->on_status) t->request->on_status(status, t->response.headers);
      t->status_told = true;
      t->request->sink(data, n);
    } else if (status >= 200 && status < 300) {
      t->response.body.append(data, n);
    } else if (t->response.body.size() < t->options->max_error_body) {
      t->response.body.append(data, std::min(n, t->options->max_error_body - t->response.body.size()));
    }
  } catch (...) {
    t->failure = std::current_exception();
    return CURL_WRITEFUNC_ERROR;
  }
  t->received += n;
  return n;
}

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t capacity = size * count;
  try {
    size_t n;
    if (t->request->body_reader) {
      n = t->request->body_reader(buffer, capacity);
    } else {
      n = std::min(capacity, t->request->body.size() - t->body_offset);
      std::memcpy(buffer, t->request->body.data() + t->body_offset, n);
      t->body_offset += n;
    }
    t->sent += n;
    return n;
  } catch (...) {
    t->failure = std::current_exception();
    return CURL_READFUNC_ABORT;
  }
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (!t->options->check_cancelled) return 0;
  try {
    t->options->check_cancelled();
    return 0;
  } catch (...) {
    t->failure = std::current_exception();
    return 1;  // aborts the transfer
  }
}

}  // namespace

std::string Response::header(std::string_view name) const {
  auto it = headers.find(std::string(name));
  return it == headers.end() ? std::string() : it->second;
}

// Easy handles waiting for their next request, and the share handle they
// all use. A handle is taken for one request and given back after it.
struct Client::Pool {
  std::mutex mu;
  std::vector<CURL*> idle;
  CURLSH* share = nullptr;
  std::mutex share_locks[CURL_LOCK_DATA_LAST];
  std::atomic<uint64_t> requests{0}, sent{0}, received{0};

  Pool() {
    share = lib().share_init();
    lib().share_setopt(share, CURLSHOPT_LOCKFUNC, +[](CURL*, curl_lock_data d, curl_lock_access, void* p) {
      static_cast<Pool*>(p)->share_locks[d].lock();
    });
    lib().share_setopt(share, CURLSHOPT_UNLOCKFUNC, +[](CURL*, curl_lock_data d, void* p) {
      static_cast<Pool*>(p)->share_locks[d].unlock();
    });
    lib().share_setopt(share, CURLSHOPT_USERDATA, this);
    lib().share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    lib().share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
  ~Pool() {
    for (CURL* e : idle) lib().easy_cleanup(e);
    lib().share_cleanup(share);
  }
  CURL* take() {
    {
      std::lock_guard lock(mu);
      if (!idle.empty()) {
        CURL* e = idle.back();
        idle.pop_back();
        return e;
      }
    }
    return lib().easy_init();
  }
  void give_back(CURL* e) {
    std::lock_guard lock(mu);
    idle.push_back(e);
  }
};

Client::Client(ClientOptions options) : options_(std::move(options)) {
  curl_library();  // loads it, or throws saying why it cannot
  pool_ = std::make_unique<Pool>();
}

Client::~Client() = default;

Traffic Client::traffic() const {
  return {.requests = pool_->requests.load(), .bytes_sent = pool_->sent.load(), .bytes_received = pool_->received.load()};
}

Response Client::perform(const Request& request) {
  CURL* easy = pool_->take();
  if (!easy) throw StorageError("cannot start an HTTP transfer (curl_easy_init failed)");
  struct Return {
    Pool& pool;
    CURL* easy;
    ~Return() {
      lib().easy_reset(easy);  // keeps the connections, drops every option
      pool.give_back(easy);
    }
  } give_back{*pool_, easy};

  Transfer t;
  t.request = &request;
  t.options = &options_;
  t.easy = easy;

  curl_slist* headers = nullptr;
  struct FreeHeaders {
    curl_slist*& list;
    ~FreeHeaders() { lib().slist_free_all(list); }
  } free_headers{headers};
  for (const auto& [name, value] : request.headers) {
    std::string line = value.empty() ? name + ";" : name + ": " + value;
    headers = lib().slist_append(headers, line.c_str());
  }
  // No 100-continue round trip before bodies. Not with SigV4: libcurl 7.88
  // signs the empty "Expect:" that removes the header, which never goes on
  // the wire, so the server's signature differs (SignatureDoesNotMatch,
  // checked against moto); there 100-continue stays, and a refused
  // conditional PUT then spares its body.
  if (!request.sigv4) headers = lib().slist_append(headers, "Expect:");

  lib().easy_setopt(easy, CURLOPT_SHARE, pool_->share);
  lib().easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  lib().easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  lib().easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  lib().easy_setopt(easy, CURLOPT_HEADERDATA, &t);
  lib().easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
  lib().easy_setopt(easy, CURLOPT_WRITEDATA, &t);
  lib().easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, on_progress);
  lib().easy_setopt(easy, CURLOPT_XFERINFODATA, &t);
  lib().easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
  lib().easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  lib().easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
  lib().easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.stall_timeout.count()));
  lib().easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  lib().easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  if (!options_.ca_file.empty()) lib().easy_setopt(easy, CURLOPT_CAINFO, options_.ca_file.c_str());
  lib().easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);  // a redirect is the backend's to handle

  bool has_body = request.body_reader ? true : !request.body.empty();
  uint64_t body_size = request.body_reader ? request.body_size : request.body.size();
  if (request.method == "HEAD") {
    lib().easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else if (request.method == "GET") {
    lib().easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "POST") {
    lib().easy_setopt(easy, CURLOPT_POST, 1L);
    lib().easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_size));
    if (has_body) {
      lib().easy_setopt(easy, CURLOPT_READFUNCTION, on_read);
      lib().easy_setopt(easy, CURLOPT_READDATA, &t);
    } else {
      lib().easy_setopt(easy, CURLOPT_POSTFIELDS, "");
    }
  } else if (request.method == "PUT" || has_body) {
    lib().easy_setopt(easy, CURLOPT_UPLOAD, 1L);
    lib().easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_size));
    lib().easy_setopt(easy, CURLOPT_READFUNCTION, on_read);
    lib().easy_setopt(easy, CURLOPT_READDATA, &t);
    if (request.method != "PUT") lib().easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else {
    lib().easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  std::string userpwd, sigv4_param;
  if (request.sigv4) {
    const SigV4& s = *request.sigv4;
    sigv4_param = "aws:amz:" + s.region + ":" + s.service;
    userpwd = s.access_key_id + ":" + s.secret_access_key;
    lib().easy_setopt(easy, CURLOPT_AWS_SIGV4, sigv4_param.c_str());
    lib().easy_setopt(easy, CURLOPT_USERPWD, userpwd.c_str());
    headers = lib().slist_append(headers, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
    if (!s.session_token.empty()) {
      std::string token = "x-amz-security-token: " + s.session_token;
      headers = lib().slist_append(headers, token.c_str());
    }
  }
  lib().easy_setopt(easy, CURLOPT_HTTPHEADER, headers);

  char error_buffer[CURL_ERROR_SIZE] = {0};
  lib().easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer);
  pool_->requests.fetch_add(1, std::memory_order_relaxed);
  CURLcode code = lib().easy_perform(easy);
  pool_->sent.fetch_add(t.sent, std::memory_order_relaxed);
  pool_->received.fetch_add(t.received, std::memory_order_relaxed);
  // Nothing of the secrets stays in the handle's memory for the next user.
  lib().easy_setopt(easy, CURLOPT_USERPWD, nullptr);
  if (t.failure) std::rethrow_exception(t.failure);
  if (code != CURLE_OK) {
    std::string reason = error_buffer[0] ? error_buffer : lib().easy_strerror(code);
    bool timed_out = code == CURLE_OPERATION_TIMEDOUT;
    bool retryable = code != CURLE_COULDNT_RESOLVE_HOST && code != CURLE_UNSUPPORTED_PROTOCOL &&
                     code != CURLE_URL_MALFORMAT && code != CURLE_PEER_FAILED_VERIFICATION &&
                     code != CURLE_SSL_CACERT_BADFILE;
    std::string message = fmt::format("{} {}: {}", request.method, redact(request.url), reason);
    log::debug("{}", message);
    throw TransportError(message, timed_out, retryable);
  }
  lib().easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &t.response.status);
  // --debug: every attempt, the URL redacted (no query: it may hold a SAS).
  log::debug("{} {}: HTTP {} ({} B sent, {} B received)", request.method, redact(request.url), t.response.status,
             t.sent, t.received);
  return std::move(t.response);
}

std::string redact(std::string_view url) {
  std::string_view rest = url;
  std::string out;
  if (auto scheme = rest.find("://"); scheme != std::string_view::npos) {
    out = std::string(rest.substr(0, scheme + 3));
    rest.remove_prefix(scheme + 3);
    size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
    out += authority;
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  }
  rest = rest.substr(0, rest.find_first_of("?#"));
  out += rest;
  return out;
}

std::string uri_encode(std::string_view text, bool keep_slash) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

bool is_retryable_status(long status) {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

Response with_retries(const std::function<Response()>& attempt, const RetryPolicy& policy,
                      const std::function<void()>& check_cancelled,
                      const std::function<bool(const Response&)>& retryable) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  for (int n = 1;; ++n) {
    bool last = n >= policy.attempts;
    try {
      Response r = attempt();
      bool again = is_retryable_status(r.status) || (retryable && retryable(r));
      if (!again || last) return r;
    } catch (const TransportError& e) {
      if (last || !e.retryable()) throw;
    }
    // Full jitter: a random wait up to the exponential bound, so many
    // clients backing off at once do not come back in step.
    auto bound = std::min<int64_t>(policy.cap.count(), policy.base.count() << std::min(n - 1, 20));
    auto wait = std::chrono::milliseconds(std::uniform_int_distribution<int64_t>(0, bound)(random));
    for (auto slept = std::chrono::milliseconds(0); slept < wait; slept += std::chrono::milliseconds(20)) {
      if (check_cancelled) check_cancelled();
      std::this_thread::sleep_for(std::min(std::chrono::milliseconds(20), wait - slept));
    }
    if (check_cancelled) check_cancelled();
  }
}

}  // namespace wrapp::storage::http
