#include "storage/s3/s3_storage.h"

#include <algorithm>

#include "storage/flat_listing.h"
#include "storage/s3/s3_reader.h"
#include "storage/s3/s3_writer.h"
#include "storage/s3/s3_xml.h"
#include "storage/http/ranged_reader.h"
#include "util/error.h"

namespace wrapp::storage::s3 {

namespace {

// Greater than any key below a folder: UTF-8's largest code point. S3 sorts
// keys by their UTF-8 bytes, so listing after prefix + this skips the folder.
constexpr const char* kAfterEverything = "\xF4\x8F\xBF\xBF";

// How often remove() retries when the object changes between its HEAD and
// its DELETE.
constexpr int kRemoveRounds = 5;

}  // namespace

S3Storage::S3Storage(Config config, std::function<void()> check_cancelled, Env env)
    : service_(std::make_unique<Service>(std::move(config), std::move(check_cancelled), std::move(env))) {}

S3Storage::~S3Storage() = default;

Features S3Storage::features() const {
  Features f;
  f.server_side_copy = true;
  f.conditional_write = true;
  f.object_metadata = true;
  f.connections = service_->config().max_concurrency;
  f.ranged_read_size = kRangedReadSize;
  f.ranged_read_streams = std::min(kRangedReadStreams, f.connections);
  return f;
}

std::optional<FileInfo> S3Storage::head(const Url& url, const char* op) {
  Call call{.op = op, .method = "HEAD", .url = url};
  http::Response r = service_->send(call);
  if (r.status == 404) return std::nullopt;
  if (!r.ok()) service_->fail(call, r);
  return service_->info_of(r);
}

bool S3Storage::is_folder(const Url& url) {
  std::string key = Service::key_of(url);
  if (key.empty()) return true;
  Call call{.op = "list", .method = "GET", .url = url, .key = "",
            .query = {{"list-type", "2"}, {"max-keys", "1"}, {"prefix", key + "/"}}};
  http::Response r = service_->send(call);
  if (!r.ok()) service_->fail(call, r);
  ListResult page = parse_list(r.body, url.str());
  return !page.objects.empty() || !page.prefixes.empty();
}

std::optional<FileInfo> S3Storage::stat(const Url& url) {
  if (Service::key_of(url).empty()) return prefix_folder_info();
  if (auto info = head(url, "stat")) return info;
  if (is_folder(url)) return prefix_folder_info();
  return std::nullopt;
}

std::unique_ptr<Reader> S3Storage::open_read(const Url& url) {
  if (Service::key_of(url).empty()) fail("'{}' is a folder, not a file", url.str());
  auto reader = open_reader(*service_, url);
  if (!reader && is_folder(url)) fail("'{}' is a folder, not a file", url.str());
  return reader;
}

std::unique_ptr<Document> S3Storage::read_document(const Url& url) {
  if (Service::key_of(url).empty()) fail("'{}' is a folder, not a file", url.str());
  auto document = get_document(*service_, url);
  if (!document && is_folder(url)) fail("'{}' is a folder, not a file", url.str());
  return document;
}

void S3Storage::list(const Url& url, const ListOptions& options, const ListPage& on_page) {
  std::string key = Service::key_of(url);
  std::string prefix = key.empty() ? "" : key + "/";
  std::map<std::string, std::string> query{
      {"list-type", "2"}, {"max-keys", std::to_string(service_->config().list_page_size)}, {"prefix", prefix}};
  if (!options.recursive) query.emplace("delimiter", "/");
  FlatListing listing(options);
  bool listed_any = false;
  for (;;) {
    service_->check_cancelled();
    Call call{.op = "list", .method = "GET", .url = url, .key = "", .query = query};
    http::Response r = service_->send(call);
    if (!r.ok()) service_->fail(call, r);
    ListResult result = parse_list(r.body, url.str());
    listed_any = listed_any || !result.objects.empty() || !result.prefixes.empty();
    std::vector<ListEntry> page;
    for (auto& object : result.objects) {
      if (!object.key.starts_with(prefix)) continue;
      FileInfo info;
      info.size = object.size;
      info.etag = std::move(service_->dialect().listed_generation ? object.generation : object.etag);
      info.mtime_ns = object.mtime_ns;
      listing.add_file(object.key.substr(prefix.size()), std::move(info), page);
    }
    for (const auto& common : result.prefixes) {
      if (common.starts_with(prefix)) listing.add_folder(common.substr(prefix.size()), page);
    }
    if (!page.empty()) on_page(std::move(page));
    if (!result.truncated) break;
    std::string last = result.objects.empty() ? std::string() : result.objects.back().key;
    if (!listing.pruned().empty() && last.starts_with(prefix + listing.pruned())) {
      // The rest of a refused folder is not listed at all.
      query.erase("continuation-token");
      query["start-after"] = prefix + listing.pruned() + kAfterEverything;
    } else {
      query.erase("start-after");
      query["continuation-token"] = result.next_token;
    }
  }
  if (!listed_any && !key.empty() && head(url, "list")) fail("'{}' is a file, not a folder", url.str());
}

void S3Storage::check_target(const Url& url, const WriteOptions& options) {
  if (Service::key_of(url).empty()) {
    fail_with(ErrorCode::kBadInput, "'{}' is the root of a bucket, not an object", url.str());
  }
  http::check_write_target(url, options, [&] { return head(url, "stat"); });
}

std::unique_ptr<Writer> S3Storage::open_write(const Url& url, const WriteOptions& options) {
  check_target(url, options);
  return make_writer(*service_, url, options);
}

bool S3Storage::remove(const Url& url, const RemoveOptions& options) {
  if (Service::key_of(url).empty()) return false;
  for (int round = 1;; ++round) {
    auto current = head(url, "remove");
    if (!current) return false;
    if (!options.if_match.empty() && current->etag != options.if_match) {
      fail_with(ErrorCode::kPreconditionFailed, "'{}' was replaced meanwhile (etag {}, expected {}): not removed",
                url.str(), current->etag, options.if_match);
    }
    // If-Match (GCS: the generation): of concurrent removals only one finds
    // the object (the others get 404 or 412), where the service checks it
    // (AWS, GCS and moto; a version without a tag is removed unconditionally).
    Call call{.op = "remove", .method = "DELETE", .url = url};
    if (round < kRemoveRounds && !current->etag.empty()) call.headers = {service_->match(current->etag)};
    http::Response r = service_->send(call);
    if (r.status == 404) return false;
    if (r.status == 412) {
      if (!options.if_match.empty()) {
        fail_with(ErrorCode::kPreconditionFailed, "'{}' was replaced meanwhile (expected etag {}): not removed",
                  url.str(), options.if_match);
      }
      continue;  // replaced between HEAD and DELETE: look again
    }
    if (r.status == 501 && !call.headers.empty()) {  // a service without conditional deletes
      call.headers.clear();
      r = service_->send(call);
    }
    if (!r.ok()) service_->fail(call, r);
    return true;
  }
}

void S3Storage::copy(const Url& from, const Url& to, const WriteOptions& options) {
  auto source = head(from, "copy");
  if (!source) {
    if (is_folder(from)) fail("'{}' is a folder, not a file", from.str());
    throw StorageError(fmt::format("cannot copy '{}': no such object", from.str()), ErrorCode::kNotFound);
  }
  // Checked first, as a write's open is: CopyObject's own conditions are
  // recent on AWS and ignored by some services (moto).
  WriteOptions checked = options;
  checked.in_place = false;
  check_target(to, checked);
  const Dialect& dialect = service_->dialect();
  if (source->size > copy_part_size_ && dialect.part_copy) return copy_in_parts(from, *source, to, options);
  const Headers conditions = service_->conditions(options);
  Call call{.op = "copy to", .method = "PUT", .url = to, .headers = conditions};
  call.headers.emplace_back("x-amz-copy-source", copy_source(from));
  if (!source->etag.empty()) call.headers.emplace_back(dialect.copy_source_match_header, source->etag);
  if (!options.content_hash.empty()) {
    call.headers.emplace_back("x-amz-metadata-directive", "REPLACE");
    call.headers.emplace_back(kHashHeader, options.content_hash);
  }
  http::Response r = service_->send(call);
  if (r.status == 501 && !conditions.empty()) {
    // A service that cannot copy conditionally: the HEAD above was the check.
    std::erase_if(call.headers, [&](const auto& h) { return h.first == conditions.front().first; });
    r = service_->send(call);
  }
  if (r.status == 412 && !r.body.empty() && r.body.find("x-amz-copy-source") != std::string::npos) {
    throw StorageError(fmt::format("cannot copy '{}': it was replaced while it was copied", from.str()));
  }
  auto error = parse_error(r.body);
  bool gone = r.status == 404 && error && error->code == "NoSuchKey";  // the If-Match target (the source is HEADed)
  if (r.status == 412 || (gone && !options.if_match.empty())) fail_condition(to, options);
  if (!r.ok()) service_->fail(call, r);
}

void S3Storage::copy_in_parts(const Url& from, const FileInfo& source, const Url& to, const WriteOptions& options) {
  std::string content_hash = options.content_hash.empty() ? source.content_hash : options.content_hash;
  Headers metadata;
  if (!content_hash.empty()) metadata.emplace_back(kHashHeader, content_hash);
  MultipartUpload upload(*service_, to, metadata);
  uint64_t part = std::max<uint64_t>(copy_part_size_, (source.size + kMaxParts - 1) / kMaxParts);
  int number = 0;
  for (uint64_t first = 0; first < source.size; first += part) {
    upload.copy_part(++number, from, source.etag, first, std::min(source.size, first + part) - 1);
  }
  http::Response r = upload.complete(service_->conditions(options));
  if (r.status == 412 || (r.status == 404 && !options.if_match.empty())) fail_condition(to, options);
  if (!r.ok()) service_->fail(Call{.op = "complete the copy to", .method = "POST", .url = to}, r);
}

}  // namespace wrapp::storage::s3
