// The JSON documents the GCS JSON API answers with, parsed defensively: a
// server (or something posing as one) may send anything, so every field is
// checked for its type and range, nesting is bounded before parsing, and a
// document that is not what it should be is a StorageError naming the
// request, never a crash or a silently wrong FileInfo.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/storage.h"

namespace wrapp::storage::gcs {

// The custom metadata key under which wrapp keeps an object's content hash.
inline constexpr std::string_view kHashKey = "wrapp-hash";

struct ObjectMeta {
  std::string name;  // the object's full name in its bucket
  // size, mtime_ns (from "updated"), etag (the generation: it changes with
  // every new content), content_hash (metadata "wrapp-hash", "" if none).
  FileInfo info;
};

struct ObjectPage {
  std::vector<ObjectMeta> items;
  std::vector<std::string> prefixes;  // "folders" of a listing with a delimiter, each ending in '/'
  std::string next_page_token;        // "" on the last page
};

struct RewriteStatus {
  bool done = false;
  std::string rewrite_token;          // to continue when not done
  std::optional<ObjectMeta> resource;  // the new object, when done and sent
};

struct AccessToken {
  std::string token;
  int64_t expires_in = 0;  // seconds
};

// `what` names the request in messages ("listing 'gs://b/p'").
ObjectMeta parse_object(std::string_view body, const std::string& what);
ObjectPage parse_object_page(std::string_view body, const std::string& what);
RewriteStatus parse_rewrite(std::string_view body, const std::string& what);
AccessToken parse_access_token(std::string_view body, const std::string& what);

// What an error response says, for a message: "reason: message" from
// {"error": {"errors": [{"reason": ...}], "message": ...}}, or from OAuth2's
// {"error": "...", "error_description": "..."}; "" when the body says
// nothing usable. Shortened; never throws.
std::string error_summary(std::string_view body);

// "2026-01-02T03:04:05.123456Z" (RFC 3339, any offset) as nanoseconds since
// the epoch; nullopt when malformed.
std::optional<int64_t> parse_rfc3339_ns(std::string_view text);

// Whether `text` is a generation as GCS writes them: 1 to 20 digits.
bool is_generation(std::string_view text);

}  // namespace wrapp::storage::gcs
