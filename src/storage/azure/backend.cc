#include "storage/azure/backend.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "storage/azure/reader.h"
#include "storage/flat_listing.h"
#include "storage/azure/writer.h"
#include "storage/azure/xml.h"
#include "storage/http/dates.h"
#include "storage/http/ranged_reader.h"
#include "util/error.h"

namespace wrapp::storage::azure {

namespace {

// How often remove() retries when the blob changes between its HEAD and its
// DELETE.
constexpr int kRemoveRounds = 5;
// How long a pending Copy Blob is waited for between looks.
constexpr auto kCopyPoll = std::chrono::milliseconds(250);

}  // namespace

FileInfo info_of_response(const http::Response& r) { return http::object_info(r, kHashHeader); }

bool refused_by_condition(const http::Response& r, const WriteOptions& options) {
  if (r.status == 412) return true;
  std::string code = error_code(r);
  if (r.status == 409 && code == "BlobAlreadyExists") return true;
  return r.status == 404 && !options.if_match.empty() && code == "BlobNotFound";
}

AzureStorage::AzureStorage(Config config, std::function<void()> check_cancelled)
    : service_(std::make_unique<Service>(std::move(config), std::move(check_cancelled))) {}

Features AzureStorage::features() const {
  Features f;
  f.server_side_copy = true;
  f.conditional_write = true;
  f.object_metadata = true;
  f.listed_metadata = true;
  f.connections = service_->config().max_concurrency;
  f.ranged_read_size = kRangedReadSize;
  f.ranged_read_streams = std::min(kRangedReadStreams, f.connections);
  return f;
}

std::optional<FileInfo> AzureStorage::head(const Url& url, const char* op) {
  Call call{.op = op, .method = "HEAD", .url = url};
  http::Response r = service_->send(call);
  if (r.status == 404) return std::nullopt;
  if (!r.ok()) service_->fail(call, r);
  return info_of_response(r);
}

bool AzureStorage::is_folder(const Url& url) {
  Location location = service_->locate(url);
  if (location.blob.empty()) return true;
  Call call{.op = "list", .method = "GET", .url = url, .container = true,
            .query = {{"restype", "container"}, {"comp", "list"}, {"maxresults", "1"},
                      {"prefix", location.folder_prefix()}}};
  http::Response r = service_->send(call);
  if (!r.ok()) service_->fail(call, r);
  ListResult page = parse_list(r.body, url.str());
  return !page.blobs.empty() || !page.prefixes.empty();
}

std::optional<FileInfo> AzureStorage::stat(const Url& url) {
  if (service_->locate(url).blob.empty()) return prefix_folder_info();
  if (auto info = head(url, "stat")) return info;
  if (is_folder(url)) return prefix_folder_info();
  return std::nullopt;
}

std::unique_ptr<Reader> AzureStorage::open_read(const Url& url) {
  if (service_->locate(url).blob.empty()) fail("'{}' is a folder, not a file", url.str());
  auto reader = open_reader(*service_, url);
  if (!reader && is_folder(url)) fail("'{}' is a folder, not a file", url.str());
  return reader;
}

void AzureStorage::list(const Url& url, const ListOptions& options, const ListPage& on_page) {
  std::string prefix = service_->locate(url).folder_prefix();
  std::map<std::string, std::string> query{{"restype", "container"},
                                           {"comp", "list"},
                                           {"include", "metadata"},
                                           {"maxresults", std::to_string(service_->config().list_page_size)},
                                           {"prefix", prefix}};
  if (!options.recursive) query.emplace("delimiter", "/");
  FlatListing listing(options);
  bool listed_any = false;
  for (;;) {
    service_->check_cancelled();
    Call call{.op = "list", .method = "GET", .url = url, .container = true, .query = query};
    http::Response r = service_->send(call);
    if (!r.ok()) service_->fail(call, r);
    ListResult result = parse_list(r.body, url.str());
    listed_any = listed_any || !result.blobs.empty() || !result.prefixes.empty();
    std::vector<ListEntry> page;
    for (auto& blob : result.blobs) {
      if (!blob.name.starts_with(prefix)) continue;
      FileInfo info;
      info.size = blob.size;
      info.etag = std::move(blob.etag);
      info.mtime_ns = blob.mtime_ns;
      info.content_hash = std::move(blob.content_hash);
      listing.add_file(blob.name.substr(prefix.size()), std::move(info), page);
    }
    for (const auto& common : result.prefixes) {
      if (common.starts_with(prefix)) listing.add_folder(common.substr(prefix.size()), page);
    }
    if (!page.empty()) on_page(std::move(page));
    if (result.next_marker.empty()) break;
    query["marker"] = result.next_marker;
  }
  if (!listed_any && !prefix.empty() && head(url, "list")) fail("'{}' is a file, not a folder", url.str());
}

void AzureStorage::check_target(const Url& url, const WriteOptions& options) {
  if (service_->locate(url).blob.empty()) {
    fail_with(ErrorCode::kBadInput, "'{}' is the root of a container, not a blob", url.str());
  }
  http::check_write_target(url, options, [&] { return head(url, "stat"); });
}

std::unique_ptr<Writer> AzureStorage::open_write(const Url& url, const WriteOptions& options) {
  check_target(url, options);
  return make_writer(*service_, url, options);
}

bool AzureStorage::remove(const Url& url, const RemoveOptions& options) {
  if (service_->locate(url).blob.empty()) return false;
  for (int round = 1;; ++round) {
    auto current = head(url, "remove");
    if (!current) return false;
    if (!options.if_match.empty() && current->etag != options.if_match) {
      fail_with(ErrorCode::kPreconditionFailed, "'{}' was replaced meanwhile (etag {}, expected {}): not removed",
                url.str(), current->etag, options.if_match);
    }
    // If-Match: of concurrent removals only one finds the blob (the others
    // get 404 or 412).
    Call call{.op = "remove", .method = "DELETE", .url = url, .headers = {{"If-Match", current->etag}}};
    http::Response r = service_->send(call);
    if (r.status == 404) return false;
    if (r.status == 412) {
      if (!options.if_match.empty()) {
        fail_with(ErrorCode::kPreconditionFailed, "'{}' was replaced meanwhile (expected etag {}): not removed",
                  url.str(), options.if_match);
      }
      if (round < kRemoveRounds) continue;  // replaced between HEAD and DELETE: look again
    }
    if (!r.ok()) service_->fail(call, r);
    return true;
  }
}

void AzureStorage::copy(const Url& from, const Url& to, const WriteOptions& options) {
  Location source = service_->locate(from);
  Location target = service_->locate(to);
  if (source.account.endpoint != target.account.endpoint || source.account.name != target.account.name) {
    return copy_through(from, to, options);
  }
  auto info = source.blob.empty() ? std::nullopt : head(from, "copy");
  if (!info) {
    if (is_folder(from)) fail("'{}' is a folder, not a file", from.str());
    throw StorageError(fmt::format("cannot copy '{}': no such blob", from.str()), ErrorCode::kNotFound);
  }
  // Checked first, as a write's open is (in place: the service's condition
  // alone, one request less per file); the service checks again.
  check_target(to, options);
  Call call{.op = "copy to", .method = "PUT", .url = to, .headers = condition_headers(options)};
  call.headers.emplace_back("x-ms-copy-source", service_->copy_source(source));
  call.headers.emplace_back("x-ms-source-if-match", info->etag);
  // Metadata given replaces the source's; none given copies it.
  if (!options.content_hash.empty()) call.headers.emplace_back(kHashHeader, options.content_hash);
  http::Response r = service_->send(call);
  if (r.status == 412 && error_code(r) == "SourceConditionNotMet") {
    throw StorageError(fmt::format("cannot copy '{}': it was replaced while it was copied", from.str()));
  }
  if (refused_by_condition(r, options)) fail_condition(to, options);
  if (!r.ok()) service_->fail(call, r);
  wait_for_copy(to, std::move(r));
}

void AzureStorage::wait_for_copy(const Url& to, http::Response r) {
  for (;;) {
    std::string status = r.header("x-ms-copy-status");
    if (status.empty() || status == "success") return;
    if (status != "pending") {
      throw StorageError(fmt::format("cannot copy to '{}': Azure reports the copy {} ({})", to.str(), status,
                                     shorten_for_message(r.header("x-ms-copy-status-description"), 200)));
    }
    std::this_thread::sleep_for(kCopyPoll);
    service_->check_cancelled();
    Call head{.op = "copy to", .method = "HEAD", .url = to};
    r = service_->send(head);
    if (!r.ok()) service_->fail(head, r);
  }
}

void AzureStorage::copy_through(const Url& from, const Url& to, const WriteOptions& options) {
  auto reader = open_read(from);
  if (!reader) throw StorageError(fmt::format("cannot copy '{}': no such blob", from.str()), ErrorCode::kNotFound);
  WriteOptions write = options;
  write.size_hint = reader->size();  // the hash is the writer's own, from the bytes
  auto writer = open_write(to, write);
  std::string buffer(std::min<uint64_t>(reader->size(), service_->config().block_size), '\0');
  for (uint64_t at = 0; at < reader->size();) {
    size_t n = reader->read_at(at, buffer.data(), buffer.size());
    if (n == 0) throw StorageError(fmt::format("cannot copy '{}': it ended early", from.str()));
    writer->write_at(at, buffer.data(), n);
    at += n;
  }
  writer->commit();
}

std::shared_ptr<AzureStorage> make_azure_storage(std::function<void()> check_cancelled) {
  return std::make_shared<AzureStorage>(config_from_environment(), std::move(check_cancelled));
}

}  // namespace wrapp::storage::azure
