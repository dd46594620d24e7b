#include "storage/s3/s3_xml.h"


#include <charconv>
#include <cstring>
#include <functional>

#include "storage/xml_walker.h"
#include "util/error.h"

namespace wrapp::storage::s3 {

namespace {

[[noreturn]] void refuse(const std::string& where, const std::string& what, const std::string& why) {
  throw StorageError(fmt::format("S3 sent an unreadable {} for '{}': {}", what, where, why));
}

using OnEnd = std::function<void(const std::string& path, const std::string& text)>;

constexpr XmlLimits kLimits{kMaxDocument, kMaxDepth, kMaxText};

void walk_or_throw(std::string_view xml, const std::string& where, const char* what, const OnEnd& on_end) {
  std::string why = walk_xml(xml, kLimits, on_end);
  if (!why.empty()) refuse(where, what, why);
}

uint64_t parse_size(const std::string& text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    throw std::runtime_error("a Size that is not a number");
  }
  return value;
}

}  // namespace

ListResult parse_list(std::string_view xml, const std::string& where) {
  ListResult out;
  ListedObject current;
  size_t entries = 0;
  walk_or_throw(xml, where, "listing", [&](const std::string& path, const std::string& text) {
    if (path == "ListBucketResult/Contents/Key") {
      current.key = text;
    } else if (path == "ListBucketResult/Contents/Size") {
      current.size = parse_size(text);
    } else if (path == "ListBucketResult/Contents/ETag") {
      current.etag = text;
    } else if (path == "ListBucketResult/Contents/Generation") {
      current.generation = text;
    } else if (path == "ListBucketResult/Contents/LastModified") {
      current.mtime_ns = parse_time(text).value_or(0);
    } else if (path == "ListBucketResult/Contents") {
      if (current.key.empty()) throw std::runtime_error("an entry without a Key");
      if (++entries > kMaxEntries) throw std::runtime_error("too many entries");
      out.objects.push_back(std::move(current));
      current = ListedObject{};
    } else if (path == "ListBucketResult/CommonPrefixes/Prefix") {
      if (++entries > kMaxEntries) throw std::runtime_error("too many entries");
      out.prefixes.push_back(text);
    } else if (path == "ListBucketResult/IsTruncated") {
      out.truncated = text == "true";
    } else if (path == "ListBucketResult/NextContinuationToken") {
      out.next_token = text;
    } else if (path.find('/') == std::string::npos && path != "ListBucketResult") {
      throw std::runtime_error("a <" + path.substr(0, 64) + "> document, not a ListBucketResult");
    }
  });
  if (out.truncated && out.next_token.empty()) refuse(where, "listing", "a truncated page without a continuation token");
  return out;
}

std::string parse_upload_id(std::string_view xml, const std::string& where) {
  std::string id;
  walk_or_throw(xml, where, "multipart upload", [&](const std::string& path, const std::string& text) {
    if (path == "InitiateMultipartUploadResult/UploadId") id = text;
  });
  if (id.empty()) refuse(where, "multipart upload", "no UploadId");
  return id;
}

std::string parse_result_etag(std::string_view xml, const std::string& where) {
  std::string etag;
  walk_or_throw(xml, where, "result", [&](const std::string& path, const std::string& text) {
    if (path == "CopyObjectResult/ETag" || path == "CopyPartResult/ETag" ||
        path == "CompleteMultipartUploadResult/ETag") {
      etag = text;
    }
  });
  if (etag.empty()) refuse(where, "result", "no ETag");
  return etag;
}

std::optional<ErrorInfo> parse_error(std::string_view xml) {
  ErrorInfo info;
  bool is_error = false;
  std::string why = walk_xml(xml, kLimits, [&](const std::string& path, const std::string& text) {
    if (path == "Error") is_error = true;
    if (path == "Error/Code") info.code = text;
    if (path == "Error/Message") info.message = text;
  });
  if (!why.empty() || !is_error) return std::nullopt;
  return info;
}

}  // namespace wrapp::storage::s3
