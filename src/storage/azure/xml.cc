#include "storage/azure/xml.h"

#include <charconv>
#include <stdexcept>

#include "storage/http/dates.h"
#include "storage/xml_walker.h"
#include "util/error.h"

namespace wrapp::storage::azure {

namespace {

uint64_t parse_size(const std::string& text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    throw std::runtime_error("a Content-Length that is not a number");
  }
  return value;
}

// Listings write ETags bare, headers quoted: one form for both.
std::string quoted(const std::string& etag) {
  if (etag.empty() || etag.front() == '"') return etag;
  return "\"" + etag + "\"";
}

}  // namespace

ListResult parse_list(std::string_view xml, const std::string& where) {
  ListResult out;
  ListedBlob current;
  size_t entries = 0;
  const std::string blob = "EnumerationResults/Blobs/Blob";
  std::string why = walk_xml(xml, XmlLimits{}, [&](const std::string& path, const std::string& text) {
    if (!path.starts_with("EnumerationResults")) {
      throw std::runtime_error("a <" + path.substr(0, 64) + "> document, not an EnumerationResults");
    }
    if (path == blob + "/Name") {
      current.name = text;
    } else if (path == blob + "/Properties/Content-Length") {
      current.size = parse_size(text);
    } else if (path == blob + "/Properties/Etag") {
      current.etag = quoted(text);
    } else if (path == blob + "/Properties/Last-Modified") {
      current.mtime_ns = http::parse_time(text).value_or(0);
    } else if (path == blob + "/Metadata/" + kHashMetadata) {
      current.content_hash = text;
    } else if (path == blob) {
      if (current.name.empty()) throw std::runtime_error("a Blob without a Name");
      if (++entries > kMaxListEntries) throw std::runtime_error("too many entries");
      out.blobs.push_back(std::move(current));
      current = ListedBlob{};
    } else if (path == "EnumerationResults/Blobs/BlobPrefix/Name") {
      if (++entries > kMaxListEntries) throw std::runtime_error("too many entries");
      out.prefixes.push_back(text);
    } else if (path == "EnumerationResults/NextMarker") {
      out.next_marker = text;
    }
  });
  if (!why.empty()) throw StorageError(fmt::format("Azure sent an unreadable listing for '{}': {}", where, why));
  return out;
}

std::optional<ErrorInfo> parse_error(std::string_view xml) {
  ErrorInfo info;
  bool is_error = false;
  std::string why = walk_xml(xml, XmlLimits{}, [&](const std::string& path, const std::string& text) {
    if (path == "Error") is_error = true;
    if (path == "Error/Code") info.code = text;
    if (path == "Error/Message") info.message = text;
  });
  if (!why.empty() || !is_error) return std::nullopt;
  return info;
}

}  // namespace wrapp::storage::azure
