// Where the Google Cloud Storage backend sends its requests, and how gs://
// URLs name buckets and objects.
//
// The endpoint is Google's (https://storage.googleapis.com) unless
// STORAGE_EMULATOR_HOST is set: the variable Google's own client libraries
// read, holding "host:port" or a URL. An emulator is spoken to without
// authentication, and, since emulators do not all enforce preconditions
// (docs/storage.md), the backend checks them itself too (see session.h).
// WRAPP_GCS_CA_FILE names a CA bundle to trust besides the system's (a test
// server's self-signed certificate); verification is never turned off.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "storage/url.h"

namespace wrapp::storage::gcs {

inline constexpr std::string_view kGoogleEndpoint = "https://storage.googleapis.com";

struct Config {
  std::string endpoint{kGoogleEndpoint};  // scheme://host[:port], no trailing slash
  bool emulator = false;                  // STORAGE_EMULATOR_HOST was set
  std::string ca_file;                    // WRAPP_GCS_CA_FILE
  std::string credentials_file;           // GOOGLE_APPLICATION_CREDENTIALS
  // Objects up to this size go in one multipart upload at commit; bigger
  // ones stream through a resumable upload in chunks of chunk_size (a
  // multiple of 256 KiB, as GCS requires), so a Writer holds at most about
  // one chunk. WRAPP_GCS_MULTIPART_THRESHOLD and WRAPP_GCS_CHUNK_SIZE (bytes).
  uint64_t multipart_threshold = 8 << 20;
  uint64_t chunk_size = 8 << 20;
  // Objects up to this size are downloaded whole when opened: a Reader of
  // one generation, consistent however the name changes later (package
  // files, locks). Bigger ones are read in ranges of the opened generation,
  // and fail if it is replaced meanwhile (GCS keeps no old generation
  // readable without object versioning).
  uint64_t snapshot_limit = 1 << 20;
  size_t list_page_size = 1000;  // objects per listing page (maxResults; 1000 is the most GCS gives)
};

inline constexpr uint64_t kChunkUnit = 256 << 10;

// `bytes` rounded up to a multiple of 256 KiB (at least one).
uint64_t round_chunk_size(uint64_t bytes);

// Reads a variable; nullptr when unset. Tests pass their own.
using Getenv = std::function<const char*(const char*)>;

// The configuration the environment gives. A malformed STORAGE_EMULATOR_HOST
// is bad input (FailedCommand) naming the variable.
Config config_from_environment(const Getenv& getenv);
Config config_from_environment();

// "host:port", "http://host:port" or "https://host:port/" as an endpoint:
// scheme://host[:port] (http when none is given). FailedCommand when it is
// not one.
std::string emulator_endpoint(std::string_view value);

// A gs:// URL's bucket and object name ("" for the root of the bucket).
struct Location {
  std::string bucket;
  std::string object;
  bool is_root() const { return object.empty(); }
  // The prefix of every object below this one, as a folder: "" for the root.
  std::string folder_prefix() const { return object.empty() ? std::string() : object + "/"; }
};

// FailedCommand (bad input) for a bucket name GCS could not have or an
// object name longer than GCS allows (1024 bytes).
Location locate(const Url& url);

// JSON API paths (percent-encoded, to be appended to the endpoint).
std::string bucket_path(std::string_view bucket);   // /storage/v1/b/B
std::string object_path(const Location& location);  // /storage/v1/b/B/o/NAME (media: ?alt=media)
std::string upload_path(std::string_view bucket);   // /upload/storage/v1/b/B/o

}  // namespace wrapp::storage::gcs
