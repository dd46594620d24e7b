#include "storage/web/web_storage.h"

#include <time.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "util/error.h"

namespace wrapp::storage {

namespace {

http::ClientOptions client_options(const std::function<void()>& check_cancelled) {
  http::ClientOptions o;
  o.check_cancelled = check_cancelled;
  if (const char* ca = std::getenv("WRAPP_CA_FILE"); ca && *ca) o.ca_file = ca;
  return o;
}

// RFC 7231's IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"); 0 when absent or
// in another form.
int64_t parse_http_date(const std::string& text) {
  if (text.empty()) return 0;
  struct tm tm {};
  if (!strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) return 0;
  return static_cast<int64_t>(timegm(&tm)) * 1'000'000'000;
}

[[noreturn]] void refuse_write(const Url& url, const char* what) {
  fail_with(ErrorCode::kBadInput, "cannot {} '{}': HTTP(S) locations are read-only", what, http::redact(url.str()));
}

[[noreturn]] void fail_status(const char* method, const Url& url, const http::Response& r) {
  std::string reason = r.status == 401 || r.status == 403 ? "access denied" : "the server refused";
  throw StorageError(fmt::format("{} {}: {} (HTTP {})", method, http::redact(url.str()), reason, r.status));
}

bool absent(long status) { return status == 404 || status == 410; }

class WebReader : public Reader {
 public:
  WebReader(Url url, FileInfo info, std::function<http::Response(const http::Request&)> send)
      : url_(std::move(url)), info_(std::move(info)), send_(std::move(send)) {}

  uint64_t size() const override { return info_.size; }
  FileInfo info() const override { return info_; }

  size_t read_at(uint64_t offset, void* buf, size_t len) override {
    if (offset >= info_.size || len == 0) return 0;
    len = static_cast<size_t>(std::min<uint64_t>(len, info_.size - offset));
    http::Request request{.method = "GET", .url = url_.str()};
    request.headers.emplace_back("Range", fmt::format("bytes={}-{}", offset, offset + len - 1));
    // If-Range: an object replaced since stat comes back whole (200) with
    // its new ETag instead of as a part of another version: caught below.
    if (!info_.etag.empty()) request.headers.emplace_back("If-Range", info_.etag);
    long status = 0;
    uint64_t position = 0;  // where in the object the next body byte lies
    size_t got = 0;
    // Called at the start of every attempt's body: a retried transfer starts over.
    request.on_status = [&](long s, const std::map<std::string, std::string>& headers) {
      status = s;
      position = s == 206 ? offset : 0;
      got = 0;
      auto etag = headers.find("etag");
      if (s == 200 && !info_.etag.empty() && etag != headers.end() && etag->second != info_.etag) {
        throw StorageError(fmt::format("'{}' changed while it was read (its ETag is no longer {})",
                                       http::redact(url_.str()), info_.etag));
      }
    };
    request.sink = [&](const char* data, size_t n) {
      uint64_t begin = std::max(position, offset);
      uint64_t end = std::min(position + n, offset + len);
      if (begin < end) {
        std::memcpy(static_cast<char*>(buf) + (begin - offset), data + (begin - position), end - begin);
        got += static_cast<size_t>(end - begin);
      }
      position += n;
      // A server without ranges sends the whole object: stop at the slice.
      if (status == 200 && position >= offset + len) throw Enough();
    };
    http::Response r;
    try {
      r = send_(request);
    } catch (const Enough&) {
      r.status = 200;
    }
    if (absent(r.status)) throw StorageError(fmt::format("'{}' vanished while it was read", http::redact(url_.str())));
    if (!r.ok() && status == 0) fail_status("GET", url_, r);
    if (got != len) {
      throw StorageError(fmt::format("'{}': the server sent {} of the {} bytes at offset {}", http::redact(url_.str()),
                                     got, len, offset));
    }
    return got;
  }

 private:
  struct Enough {};

  Url url_;
  FileInfo info_;
  std::function<http::Response(const http::Request&)> send_;
};

}  // namespace

WebStorage::WebStorage(std::function<void()> check_cancelled)
    : check_cancelled_(std::move(check_cancelled)),
      client_(std::make_shared<http::Client>(client_options(check_cancelled_))) {}

Features WebStorage::features() const {
  Features f;
  f.connections = 16;
  f.ranged_read_size = kRangedReadSize;
  f.ranged_read_streams = std::min(kRangedReadStreams, f.connections);
  return f;
}

http::Response WebStorage::send(const http::Request& request) {
  return http::with_retries([&] { return client_->perform(request); }, http::RetryPolicy{}, check_cancelled_);
}

std::optional<FileInfo> WebStorage::stat(const Url& url) {
  http::Response r = send({.method = "HEAD", .url = url.str()});
  if (absent(r.status)) return std::nullopt;
  if (!r.ok()) fail_status("HEAD", url, r);
  FileInfo info;
  std::string length = r.header("content-length");
  if (length.empty()) {
    throw StorageError(fmt::format("HEAD {}: the server gave no Content-Length", http::redact(url.str())));
  }
  info.size = std::strtoull(length.c_str(), nullptr, 10);
  info.etag = r.header("etag");
  info.mtime_ns = parse_http_date(r.header("last-modified"));
  return info;
}

void WebStorage::list(const Url& url, const ListOptions&, const ListPage&) {
  fail_with(ErrorCode::kBadInput, "cannot list '{}': an HTTP(S) location has no listing", http::redact(url.str()));
}

std::unique_ptr<Reader> WebStorage::open_read(const Url& url) {
  auto info = stat(url);
  if (!info) return nullptr;
  return std::make_unique<WebReader>(url, *info, [this](const http::Request& r) { return send(r); });
}

std::unique_ptr<Writer> WebStorage::open_write(const Url& url, const WriteOptions&) { refuse_write(url, "write"); }

bool WebStorage::remove(const Url& url, const RemoveOptions&) { refuse_write(url, "delete"); }

void WebStorage::copy(const Url&, const Url& to, const WriteOptions&) { refuse_write(to, "copy to"); }

}  // namespace wrapp::storage
