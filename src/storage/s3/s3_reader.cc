#include "storage/s3/s3_reader.h"

#include <algorithm>
#include <cstring>

#include "storage/s3/s3_storage.h"
#include "util/error.h"

namespace wrapp::storage::s3 {

namespace {

class S3Reader : public Reader {
 public:
  S3Reader(Service& service, Url url, FileInfo info, std::string start)
      : service_(service), url_(std::move(url)), info_(std::move(info)), start_(std::move(start)) {}

  uint64_t size() const override { return info_.size; }
  FileInfo info() const override { return info_; }

  size_t read_at(uint64_t offset, void* buf, size_t len) override {
    if (offset >= info_.size || len == 0) return 0;
    size_t want = static_cast<size_t>(std::min<uint64_t>(len, info_.size - offset));
    char* out = static_cast<char*>(buf);
    if (offset < start_.size()) {  // the prefetched bytes
      size_t n = std::min(want, static_cast<size_t>(start_.size() - offset));
      std::memcpy(out, start_.data() + offset, n);
      if (n == want) return n;
      return n + fetch(offset + n, out + n, want - n);
    }
    return fetch(offset, out, want);
  }

 private:
  // Exactly `want` bytes at `offset` (all within the object) by one GET.
  size_t fetch(uint64_t offset, char* out, size_t want) {
    size_t got = 0;
    Call call{.op = "read", .method = "GET", .url = url_,
              .headers = {{"Range", fmt::format("bytes={}-{}", offset, offset + want - 1)}}};
    if (!info_.etag.empty()) call.headers.emplace_back("If-Match", info_.etag);
    call.restart = [&] { got = 0; };
    call.sink = [&](const char* data, size_t n) {
      size_t take = std::min(n, want - got);  // never past the buffer, whatever the server sends
      std::memcpy(out + got, data, take);
      got += take;
    };
    http::Response r = service_.send(call);
    if (r.status == 412 || r.status == 404) {
      throw StorageError(fmt::format("cannot read '{}': it was {} while it was read (it had etag {})", url_.str(),
                                     r.status == 404 ? "removed" : "replaced", info_.etag));
    }
    if (!r.ok()) service_.fail(call, r);
    if (r.status == 200 && offset > 0) {
      // A server that ignores Range sent the object's start: not our bytes.
      throw StorageError(fmt::format("cannot read '{}': the server ignored the byte range requested", url_.str()));
    }
    if (got != want) {
      throw StorageError(fmt::format("cannot read '{}': {} bytes came of the {} asked for at offset {}", url_.str(), got,
                                     want, offset));
    }
    return got;
  }

  Service& service_;
  Url url_;
  FileInfo info_;
  std::string start_;  // the object's first bytes, read at open
};

}  // namespace

std::unique_ptr<Reader> open_reader(Service& service, const Url& url, size_t prefetch) {
  std::string start;
  Call call{.op = "read", .method = "GET", .url = url, .headers = {{"Range", fmt::format("bytes=0-{}", prefetch - 1)}}};
  call.restart = [&] { start.clear(); };
  call.sink = [&](const char* data, size_t n) { start.append(data, std::min(n, prefetch - start.size())); };
  http::Response r = service.send(call);
  if (r.status == 404) return nullptr;
  if (r.status == 416) {
    // No byte 0: an empty object (S3 answers a range on one with 416).
    Call head{.op = "read", .method = "HEAD", .url = url};
    r = service.send(head);
    if (r.status == 404) return nullptr;
    if (!r.ok()) service.fail(head, r);
    start.clear();
  } else if (!r.ok()) {
    service.fail(call, r);
  }
  FileInfo info = info_of_response(r);
  if (start.size() > info.size) start.resize(info.size);
  return std::make_unique<S3Reader>(service, url, std::move(info), std::move(start));
}

std::unique_ptr<Document> get_document(Service& service, const Url& url) {
  std::string text;
  Call call{.op = "read", .method = "GET", .url = url};
  call.restart = [&] { text.clear(); };
  call.sink = [&](const char* data, size_t n) { text.append(data, n); };
  http::Response r = service.send(call);
  if (r.status == 404) return nullptr;
  if (!r.ok()) service.fail(call, r);
  return make_string_document(std::move(text));
}

}  // namespace wrapp::storage::s3
