#include "storage/azure/reader.h"

#include <algorithm>

#include "storage/azure/backend.h"
#include "storage/http/ranged_reader.h"
#include "util/error.h"

namespace wrapp::storage::azure {

namespace {

// Exactly `want` bytes at `offset` of the version `etag` of `url`, by one GET.
void fetch_range(Service& service, const Url& url, const std::string& etag, uint64_t offset, char* out, size_t want) {
  http::RangeBuffer buffer(out, want);
  Call call{.op = "read", .method = "GET", .url = url,
            .headers = {{"x-ms-range", fmt::format("bytes={}-{}", offset, offset + want - 1)}}};
  if (!etag.empty()) call.headers.emplace_back("If-Match", etag);
  call.restart = [&] { buffer.reset(); };
  call.sink = [&](const char* data, size_t n) { buffer.append(data, n); };
  http::Response r = service.send(call);
  if (r.status == 412 || r.status == 404) http::fail_changed_while_read(url.str(), r.status, etag);
  if (!r.ok()) service.fail(call, r);
  http::check_range_answer(url.str(), r.status, offset, want, buffer.got());
}

}  // namespace

std::unique_ptr<Reader> open_reader(Service& service, const Url& url, size_t prefetch) {
  std::string start;
  Call call{.op = "read", .method = "GET", .url = url,
            .headers = {{"x-ms-range", fmt::format("bytes=0-{}", prefetch - 1)}}};
  call.restart = [&] { start.clear(); };
  call.sink = [&](const char* data, size_t n) { start.append(data, std::min(n, prefetch - start.size())); };
  http::Response r = service.send(call);
  if (r.status == 404) return nullptr;
  if (r.status == 416) {
    // No byte 0: an empty blob (Azure answers a range on one with 416).
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
  if (start.size() < std::min<uint64_t>(prefetch, info.size)) {
    throw StorageError(fmt::format("cannot read '{}': {} bytes came of its {}", url.str(), start.size(), info.size));
  }
  std::string etag = info.etag;
  return std::make_unique<http::RangedReader>(
      std::move(info), std::move(start), [&service, url, etag](uint64_t offset, char* out, size_t want) {
        fetch_range(service, url, etag, offset, out, want);
      });
}

}  // namespace wrapp::storage::azure
