#include "storage/gcs/config.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "storage/http/client.h"
#include "util/error.h"

namespace wrapp::storage::gcs {

std::string emulator_endpoint(std::string_view value) {
  std::string_view rest = value;
  std::string scheme = "http";
  if (auto at = rest.find("://"); at != std::string_view::npos) {
    scheme = std::string(rest.substr(0, at));
    rest.remove_prefix(at + 3);
  }
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  bool host_ok = !rest.empty() && rest.find_first_of("/?#@ \t") == std::string_view::npos;
  if ((scheme != "http" && scheme != "https") || !host_ok) {
    fail_with(ErrorCode::kBadInput,
              "STORAGE_EMULATOR_HOST '{}' is not a host:port or an http(s)://host:port URL",
              shorten_for_message(value, 200));
  }
  return scheme + "://" + std::string(rest);
}

uint64_t round_chunk_size(uint64_t bytes) {
  uint64_t units = (bytes + kChunkUnit - 1) / kChunkUnit;
  return std::max<uint64_t>(units, 1) * kChunkUnit;
}

namespace {

// A size in bytes from the environment; `fallback` when unset, bad input
// when it is not a number.
uint64_t size_variable(const Getenv& getenv, const char* name, uint64_t fallback) {
  const char* value = getenv(name);
  if (!value || !*value) return fallback;
  std::string_view text(value);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v == 0) {
    fail_with(ErrorCode::kBadInput, "{} '{}' is not a positive number of bytes", name, shorten_for_message(text, 64));
  }
  return v;
}

}  // namespace

Config config_from_environment(const Getenv& getenv) {
  Config config;
  config.multipart_threshold = size_variable(getenv, "WRAPP_GCS_MULTIPART_THRESHOLD", config.multipart_threshold);
  config.chunk_size = round_chunk_size(size_variable(getenv, "WRAPP_GCS_CHUNK_SIZE", config.chunk_size));
  const char* emulator = getenv("STORAGE_EMULATOR_HOST");
  if (emulator && *emulator) {
    config.endpoint = emulator_endpoint(emulator);
    config.emulator = true;
  }
  if (const char* ca = getenv("WRAPP_GCS_CA_FILE"); ca && *ca) config.ca_file = ca;
  if (const char* file = getenv("GOOGLE_APPLICATION_CREDENTIALS"); file && *file) config.credentials_file = file;
  return config;
}

Config config_from_environment() {
  return config_from_environment([](const char* name) { return std::getenv(name); });
}

Location locate(const Url& url) {
  Location location;
  location.bucket = url.authority();
  // GCS bucket names: 3 to 222 characters of lower-case letters, digits,
  // '-', '_' and '.'. Anything else cannot be one, and must not reach a path.
  bool ok = location.bucket.size() >= 3 && location.bucket.size() <= 222;
  for (char c : location.bucket) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) ok = false;
  }
  if (!ok) fail_with(ErrorCode::kBadInput, "'{}' does not name a Google Cloud Storage bucket", url.str());
  location.object = url.path().substr(1);  // the path is absolute and normalised: no trailing '/'
  if (location.object.size() > 1024) {
    fail_with(ErrorCode::kBadInput, "'{}' is too long for a Google Cloud Storage object name (1024 bytes at most)",
              shorten_for_message(url.str(), 200));
  }
  return location;
}

std::string bucket_path(std::string_view bucket) { return "/storage/v1/b/" + http::uri_encode(bucket, false); }

std::string object_path(const Location& location) {
  // The name is one path segment: its '/' are encoded too.
  return bucket_path(location.bucket) + "/o/" + http::uri_encode(location.object, false);
}

std::string upload_path(std::string_view bucket) {
  return "/upload/storage/v1/b/" + http::uri_encode(bucket, false) + "/o";
}

}  // namespace wrapp::storage::gcs
