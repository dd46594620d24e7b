#include "storage/gcs/objects.h"

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace wrapp::storage::gcs {

std::optional<ObjectMeta> get_object(Session& session, const Url& url, const Location& location) {
  if (location.is_root()) return std::nullopt;
  std::string path = object_path(location);
  auto r = session.send(url, [&] { return http::Request{.method = "GET", .url = session.api(path)}; });
  if (r.status == 404) return std::nullopt;
  if (!r.ok()) session.fail(r, "cannot read the metadata of", url);
  ObjectMeta meta = parse_object(r.body, fmt::format("reading the metadata of '{}'", url.str()));
  if (meta.name != location.object) {
    throw StorageError(fmt::format("reading the metadata of '{}': Google Cloud Storage described another object",
                                   url.str()));
  }
  return meta;
}

bool has_objects_below(Session& session, const Url& url, const Location& location) {
  // One level with a delimiter: an object or a deeper folder shows either
  // way, and an emulator that ignores maxResults sends one level, not all.
  std::string query = bucket_path(location.bucket) + "/o?maxResults=1&delimiter=%2F&prefix=" +
                      http::uri_encode(location.folder_prefix(), false);
  auto r = session.send(url, [&] { return http::Request{.method = "GET", .url = session.api(query)}; });
  if (!r.ok()) session.fail(r, "cannot list", url);
  ObjectPage page = parse_object_page(r.body, fmt::format("listing '{}'", url.str()));
  return !page.items.empty() || !page.prefixes.empty();
}

std::string write_precondition(const WriteOptions& options) {
  if (!options.if_match.empty()) return "&ifGenerationMatch=" + http::uri_encode(options.if_match, false);
  if (!options.overwrite) return "&ifGenerationMatch=0";
  return {};
}

void precondition_failed(const WriteOptions& options, const Url& url) {
  if (!options.if_match.empty()) {
    fail_with(ErrorCode::kPreconditionFailed, "'{}' was replaced or removed meanwhile (expected generation {})",
              url.str(), shorten_for_message(options.if_match, 64));
  }
  fail_with(ErrorCode::kAlreadyExists, "'{}' already exists", url.str());
}

void check_write(const std::optional<ObjectMeta>& current, const Location& location, const WriteOptions& options,
                 const Url& url) {
  if (location.is_root()) fail_with(ErrorCode::kBadInput, "'{}' is the root of a bucket, not an object", url.str());
  if (!options.if_match.empty()) {
    if (!current) {
      fail_with(ErrorCode::kPreconditionFailed, "'{}' is gone (it was expected with generation {})", url.str(),
                shorten_for_message(options.if_match, 64));
    }
    if (current->info.etag != options.if_match) {
      fail_with(ErrorCode::kPreconditionFailed, "'{}' was replaced meanwhile (generation {}, expected {})", url.str(),
                current->info.etag, shorten_for_message(options.if_match, 64));
    }
  } else if (!options.overwrite && current) {
    fail_with(ErrorCode::kAlreadyExists, "'{}' already exists", url.str());
  }
}

void verify_written(Session& session, const Url& url, const Location& location, const WriteOptions& options,
                    const std::string& written_generation) {
  if (!session.config().emulator || (options.overwrite && options.if_match.empty())) return;
  auto now = get_object(session, url, location);
  if (!now || now->info.etag != written_generation) precondition_failed(options, url);
}

std::string object_resource_json(const Location& location, const std::string& content_hash) {
  nlohmann::json resource = {{"name", location.object}, {"contentType", "application/octet-stream"}};
  if (!content_hash.empty()) resource["metadata"] = {{std::string(kHashKey), content_hash}};
  return resource.dump();
}

}  // namespace wrapp::storage::gcs
