// The few S3 XML responses the backend reads, parsed with expat.
//
// Responses come from the network, so parsing is bounded and refuses what S3
// never sends (limits below): a document over kMaxDocument bytes, elements
// nested deeper than kMaxDepth, an element's text over kMaxText bytes, any
// DOCTYPE (so no entity can expand), more than kMaxEntries list entries.
// A malformed or refused document throws StorageError naming the s3:// URL
// it came from, never its content. Namespaces are ignored (prefixes are
// stripped): S3 and compatible servers differ in how they declare them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/http/dates.h"

namespace wrapp::storage::s3 {

inline constexpr size_t kMaxDocument = 32 * 1024 * 1024;  // a 1000-key page is ~0.5 MB
inline constexpr size_t kMaxDepth = 16;                   // S3's documents are 3 or 4 deep
inline constexpr size_t kMaxText = 64 * 1024;             // keys are at most 1024 bytes
inline constexpr size_t kMaxEntries = 100000;             // Contents + CommonPrefixes in one page

struct ListedObject {
  std::string key;
  uint64_t size = 0;
  std::string etag;
  std::string generation;  // GCS's XML API: the object's generation
  int64_t mtime_ns = 0;
};

// One page of ListObjectsV2.
struct ListResult {
  std::vector<ListedObject> objects;
  std::vector<std::string> prefixes;  // CommonPrefixes/Prefix
  bool truncated = false;
  std::string next_token;  // NextContinuationToken
};

// <Error><Code>..</Code><Message>..</Message></Error>.
struct ErrorInfo {
  std::string code;
  std::string message;
};

// `where` is the s3:// URL the document came from, for messages.
ListResult parse_list(std::string_view xml, const std::string& where);
// InitiateMultipartUploadResult/UploadId (never empty).
std::string parse_upload_id(std::string_view xml, const std::string& where);
// The ETag of CopyObjectResult, CopyPartResult or
// CompleteMultipartUploadResult (never empty).
std::string parse_result_etag(std::string_view xml, const std::string& where);
// The Error document in `xml`, nullopt when it is not one (or malformed):
// S3 also answers some 200s (CompleteMultipartUpload, CopyObject) with one.
std::optional<ErrorInfo> parse_error(std::string_view xml);

using http::parse_time;  // S3's listings and headers carry both of its forms

}  // namespace wrapp::storage::s3
