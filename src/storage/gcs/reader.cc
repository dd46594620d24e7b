#include "storage/gcs/reader.h"

#include <charconv>
#include <cstring>

#include "util/error.h"

namespace wrapp::storage::gcs {
namespace {

// The total of "bytes A-B/TOTAL"; nullopt when absent or unknown ("*").
std::optional<uint64_t> range_total(const std::string& content_range) {
  auto slash = content_range.rfind('/');
  if (slash == std::string::npos) return std::nullopt;
  uint64_t total = 0;
  const char* begin = content_range.data() + slash + 1;
  const char* end = content_range.data() + content_range.size();
  auto [at, ec] = std::from_chars(begin, end, total);
  if (ec != std::errc() || at != end) return std::nullopt;
  return total;
}

}  // namespace

GcsReader::GcsReader(std::shared_ptr<Session> session, Url url, Location location, ObjectMeta meta,
                     std::shared_ptr<const std::string> snapshot)
    : session_(std::move(session)),
      url_(std::move(url)),
      location_(std::move(location)),
      meta_(std::move(meta)),
      snapshot_(std::move(snapshot)) {}

std::optional<std::string> download_generation(Session& session, const Url& url, const Location& location,
                                               const ObjectMeta& meta) {
  std::string path = object_path(location) + "?alt=media&ifGenerationMatch=" + meta.info.etag;
  struct Longer {};
  std::string data;
  http::Response r;
  try {
    r = session.send(url, [&] {
      data.clear();
      http::Request request{.method = "GET", .url = session.api(path)};
      request.sink = [&](const char* bytes, size_t n) {
        // More than the generation holds: another content (an emulator
        // ignoring the precondition); the caller opens again.
        if (n > meta.info.size - data.size()) throw Longer{};
        data.append(bytes, n);
      };
      return request;
    });
  } catch (const Longer&) {
    return std::nullopt;
  }
  if (r.status == 412 || r.status == 404) return std::nullopt;
  if (!r.ok()) session.fail(r, "cannot read", url);
  if (std::string generation = r.header("x-goog-generation"); !generation.empty() && generation != meta.info.etag) {
    return std::nullopt;
  }
  if (data.size() != meta.info.size) return std::nullopt;
  return data;
}

void GcsReader::changed(std::string_view how) const {
  throw StorageError(fmt::format("cannot read '{}': the object {} while it was read (generation {})", url_.str(), how,
                                 meta_.info.etag));
}

size_t GcsReader::read_at(uint64_t offset, void* buf, size_t len) {
  if (offset >= size() || len == 0) return 0;
  len = static_cast<size_t>(std::min<uint64_t>(len, size() - offset));
  if (snapshot_) {
    std::memcpy(buf, snapshot_->data() + offset, len);
    return len;
  }
  auto* out = static_cast<char*>(buf);
  size_t got = 0;
  // A server may answer a range with fewer bytes than asked (it may cap a
  // response); the rest is asked for until the range is complete.
  while (got < len) {
    size_t n = read_range(offset + got, out + got, len - got);
    if (n == 0) throw StorageError(fmt::format("cannot read '{}': the server sent no bytes at offset {}", url_.str(),
                                               offset + got));
    got += n;
  }
  return got;
}

size_t GcsReader::read_range(uint64_t offset, char* buf, size_t len) {
  std::string path = object_path(location_) + "?alt=media&ifGenerationMatch=" + meta_.info.etag;
  std::string range = fmt::format("bytes={}-{}", offset, offset + len - 1);
  size_t pos = 0;
  auto r = session_->send(url_, [&] {
    pos = 0;  // a retry starts the range again
    http::Request request{.method = "GET", .url = session_->api(path), .headers = {{"Range", range}}};
    request.sink = [&](const char* data, size_t n) {
      if (n > len - pos) {
        throw StorageError(fmt::format("cannot read '{}': the server sent more bytes than the range {} holds",
                                       url_.str(), range.substr(6)));
      }
      std::memcpy(buf + pos, data, n);
      pos += n;
    };
    return request;
  });
  if (r.status == 412) changed("was replaced");
  if (r.status == 404) changed("was removed");
  if (r.status == 416) changed("shrank");
  if (!r.ok()) session_->fail(r, "cannot read", url_);
  if (std::string generation = r.header("x-goog-generation"); !generation.empty() && generation != meta_.info.etag) {
    changed("was replaced");
  }
  if (r.status == 206) {
    if (auto total = range_total(r.header("content-range")); total && *total != size()) changed("was replaced");
  } else if (offset != 0) {
    // 200: the whole object, from its start, where a part was asked for.
    throw StorageError(fmt::format("cannot read '{}': the server ignored the range {}", url_.str(), range.substr(6)));
  }
  return pos;
}

}  // namespace wrapp::storage::gcs
