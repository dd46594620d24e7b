#include "storage/s3/s3_reader.h"

#include <algorithm>

#include "storage/s3/s3_storage.h"
#include "storage/http/ranged_reader.h"
#include "util/error.h"

namespace wrapp::storage::s3 {

namespace {

// Exactly `want` bytes at `offset` of the version `etag` of `url`, by one GET.
void fetch_range(Service& service, const Url& url, const std::string& etag, uint64_t offset, char* out, size_t want) {
  http::RangeBuffer buffer(out, want);
  Call call{.op = "read", .method = "GET", .url = url,
            .headers = {{"Range", fmt::format("bytes={}-{}", offset, offset + want - 1)}}};
  if (!etag.empty()) call.headers.push_back(service.match(etag));
  call.restart = [&] { buffer.reset(); };
  call.sink = [&](const char* data, size_t n) { buffer.append(data, n); };
  http::Response r = service.send(call);
  if (r.status == 412 || r.status == 404) http::fail_changed_while_read(url.str(), r.status, etag);
  if (!r.ok()) service.fail(call, r);
  http::check_range_answer(url.str(), r.status, offset, want, buffer.got());
}

// An answer whose Content-Range says the object is empty ("bytes 0-0/0"):
// s3rver's for a ranged GET of an empty object, with a Content-Length of 1
// and no body, which would leave the read waiting for a byte that never
// comes. AWS and moto answer 416.
struct EmptyObjectAnswer {};

bool says_empty(const std::map<std::string, std::string>& headers) {
  auto range = headers.find("content-range");
  return range != headers.end() && range->second.ends_with("/0");
}

}  // namespace

std::unique_ptr<Reader> open_reader(Service& service, const Url& url, size_t prefetch) {
  std::string start;
  Call call{.op = "read", .method = "GET", .url = url, .headers = {{"Range", fmt::format("bytes=0-{}", prefetch - 1)}}};
  call.restart = [&] { start.clear(); };
  call.sink = [&](const char* data, size_t n) { start.append(data, std::min(n, prefetch - start.size())); };
  call.on_status = [](long, const std::map<std::string, std::string>& headers) {
    if (says_empty(headers)) throw EmptyObjectAnswer{};
  };
  http::Response r;
  try {
    r = service.send(call);
  } catch (const EmptyObjectAnswer&) {
    r.status = 416;  // what AWS says of a range of an empty object
  }
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
  FileInfo info = service.info_of(r);
  if (start.size() > info.size) start.resize(info.size);
  std::string etag = info.etag;
  return std::make_unique<http::RangedReader>(
      std::move(info), std::move(start), [&service, url, etag](uint64_t offset, char* out, size_t want) {
        fetch_range(service, url, etag, offset, out, want);
      });
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
