// The few Azure Blob XML responses the backend reads (List Blobs and errors),
// walked with the bounded walker of storage/xml_walker.h: a malformed or
// refused document throws StorageError naming the URL it came from, never
// its content.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wrapp::storage::azure {

inline constexpr size_t kMaxListEntries = 100000;  // Blob + BlobPrefix in one page (Azure sends 5000)

struct ListedBlob {
  std::string name;
  uint64_t size = 0;
  std::string etag;  // quoted, as the ETag header has it
  int64_t mtime_ns = 0;
  std::string content_hash;  // Metadata/wrapp_hash ("" when none)
};

// One page of List Blobs.
struct ListResult {
  std::vector<ListedBlob> blobs;
  std::vector<std::string> prefixes;  // BlobPrefix/Name (with the delimiter)
  std::string next_marker;            // "" on the last page
};

struct ErrorInfo {
  std::string code;
  std::string message;
};

// `where` is the URL the document came from, for messages.
ListResult parse_list(std::string_view xml, const std::string& where);
// The Error document in `xml`; nullopt when it is not one (or malformed).
std::optional<ErrorInfo> parse_error(std::string_view xml);

// The metadata name that carries the sha-256-flat content hash (Azure's
// metadata names are C# identifiers: no hyphen).
inline constexpr const char* kHashMetadata = "wrapp_hash";
inline constexpr const char* kHashHeader = "x-ms-meta-wrapp_hash";

}  // namespace wrapp::storage::azure
