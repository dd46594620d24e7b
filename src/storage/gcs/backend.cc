#include "storage/gcs/backend.h"

#include <algorithm>
#include <deque>
#include <set>

#include "storage/flat_listing.h"
#include "storage/gcs/objects.h"
#include "storage/gcs/reader.h"
#include "storage/gcs/writer.h"
#include "util/error.h"

namespace wrapp::storage::gcs {
namespace {

// Object names that no Url can address (empty segments, "." or "..", a
// trailing '/' of a console-made folder marker) are left out of listings:
// joining them would be refused, or would mean another object.
bool addressable(std::string_view relative) {
  if (relative.empty()) return false;
  size_t start = 0;
  for (;;) {
    size_t slash = relative.find('/', start);
    std::string_view segment = relative.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

}  // namespace

GcsStorage::GcsStorage(Config config, std::function<void()> check_cancelled)
    : session_(std::make_shared<Session>(std::move(config), std::move(check_cancelled))) {}

Features GcsStorage::features() const {
  Features f;
  f.server_side_copy = true;
  f.conditional_write = true;
  f.object_metadata = true;
  f.listed_metadata = true;  // objects.list returns each object's resource, its metadata included
  // An emulator is one process serving one request at a time; Google's
  // servers take many.
  f.connections = session_->config().emulator ? 4 : 64;
  f.ranged_read_size = kRangedReadSize;
  f.ranged_read_streams = std::min(kRangedReadStreams, f.connections);
  return f;
}

std::optional<FileInfo> GcsStorage::stat(const Url& url) {
  Location location = locate(url);
  if (location.is_root()) return prefix_folder_info();
  if (auto meta = get_object(*session_, url, location)) return meta->info;
  if (has_objects_below(*session_, url, location)) return prefix_folder_info();
  return std::nullopt;
}

void GcsStorage::list_pages(const Url& url, const std::string& prefix, bool delimited,
                            const std::function<void(ObjectPage&&)>& on_page) {
  Location location = locate(url);
  std::string base = bucket_path(location.bucket) + "/o?maxResults=" +
                     std::to_string(session_->config().list_page_size) +
                     "&prefix=" + http::uri_encode(prefix, false) + (delimited ? "&delimiter=%2F" : "");
  std::string token;
  std::set<std::string> tokens_seen;
  do {
    if (session_->check_cancelled()) session_->check_cancelled()();
    std::string path = token.empty() ? base : base + "&pageToken=" + http::uri_encode(token, false);
    auto r = session_->send(url, [&] { return http::Request{.method = "GET", .url = session_->api(path)}; });
    if (r.status == 404) {
      throw StorageError(fmt::format("cannot list '{}': no bucket '{}' ({})", url.str(), location.bucket,
                                     error_summary(r.body)),
                         ErrorCode::kNotFound);
    }
    if (!r.ok()) session_->fail(r, "cannot list", url);
    ObjectPage page = parse_object_page(r.body, fmt::format("listing '{}'", url.str()));
    token = page.next_page_token;
    // A server that hands out a token twice would list forever.
    if (!token.empty() && !tokens_seen.insert(token).second) {
      throw StorageError(fmt::format("cannot list '{}': Google Cloud Storage repeated a page token", url.str()));
    }
    on_page(std::move(page));
  } while (!token.empty());
}

void GcsStorage::list(const Url& url, const ListOptions& options, const ListPage& on_page) {
  Location location = locate(url);
  if (!location.is_root() && get_object(*session_, url, location)) fail("'{}' is a file, not a folder", url.str());
  const std::string root = location.folder_prefix();

  auto file_entry = [&](ObjectMeta& item, std::vector<ListEntry>& out) {
    if (!item.name.starts_with(root)) return;
    std::string relative = item.name.substr(root.size());
    if (!addressable(relative)) return;
    out.push_back({std::move(relative), std::move(item.info)});
  };

  if (options.recursive && !options.descend) {
    // One flat listing of everything below; folders (when asked for) are
    // the prefixes of the names, each reported once.
    std::set<std::string> folders;
    list_pages(url, root, false, [&](ObjectPage&& page) {
      std::vector<ListEntry> entries;
      for (auto& item : page.items) {
        size_t before = entries.size();
        file_entry(item, entries);
        if (!options.include_dirs || entries.size() == before) continue;
        std::string relative = entries.back().relative_path;  // a copy: entries grows below
        for (size_t slash = relative.find('/'); slash != std::string::npos; slash = relative.find('/', slash + 1)) {
          std::string dir = relative.substr(0, slash);
          if (folders.insert(dir).second) entries.push_back({std::move(dir), prefix_folder_info()});
        }
      }
      if (!entries.empty()) on_page(std::move(entries));
    });
    return;
  }

  // Folder by folder with the delimiter: one level when not recursive;
  // otherwise each folder is offered to `descend` before it is listed, so a
  // pruned folder costs no request.
  std::deque<std::string> pending{""};
  while (!pending.empty()) {
    std::string dir = std::move(pending.front());
    pending.pop_front();
    list_pages(url, root + (dir.empty() ? "" : dir + "/"), true, [&](ObjectPage&& page) {
      std::vector<ListEntry> entries;
      for (auto& item : page.items) file_entry(item, entries);
      for (const auto& prefix : page.prefixes) {
        if (!prefix.starts_with(root) || !prefix.ends_with("/")) continue;
        std::string relative = prefix.substr(root.size(), prefix.size() - root.size() - 1);
        if (!addressable(relative)) continue;
        if (options.include_dirs) entries.push_back({relative, prefix_folder_info()});
        if (options.recursive && (!options.descend || options.descend(relative))) pending.push_back(relative);
      }
      if (!entries.empty()) on_page(std::move(entries));
    });
  }
}

std::unique_ptr<Reader> GcsStorage::open_read(const Url& url) {
  Location location = locate(url);
  if (location.is_root()) fail("'{}' is a folder, not a file", url.str());
  // A small object is read whole now, as one generation: its metadata, then
  // its bytes on condition that the generation is still that one (and,
  // with an emulator that does not check the condition, the metadata again
  // after). A replaced object is simply opened again.
  for (int attempt = 0;; ++attempt) {
    auto meta = get_object(*session_, url, location);
    if (!meta) {
      if (has_objects_below(*session_, url, location)) fail("'{}' is a folder, not a file", url.str());
      return nullptr;
    }
    if (meta->info.size > session_->config().snapshot_limit) {
      return std::make_unique<GcsReader>(session_, url, std::move(location), std::move(*meta));
    }
    auto data = download_generation(*session_, url, location, *meta);
    if (data && session_->config().emulator) {
      auto after = get_object(*session_, url, location);
      if (!after || after->info.etag != meta->info.etag) data.reset();
    }
    if (data) {
      return std::make_unique<GcsReader>(session_, url, std::move(location), std::move(*meta),
                                         std::make_shared<const std::string>(std::move(*data)));
    }
    if (attempt >= 20) {
      throw StorageError(fmt::format("cannot read '{}': it is replaced faster than it can be read", url.str()));
    }
  }
}

std::unique_ptr<Writer> GcsStorage::open_write(const Url& url, const WriteOptions& options) {
  Location location = locate(url);
  if (location.is_root()) fail_with(ErrorCode::kBadInput, "'{}' is the root of a bucket, not an object", url.str());
  // Checked now so that a write that cannot succeed fails before its bytes
  // are produced; the upload's precondition decides at commit.
  if (!options.overwrite || !options.if_match.empty()) {
    check_write(get_object(*session_, url, location), location, options, url);
  }
  return std::make_unique<GcsWriter>(session_, url, std::move(location), options);
}

bool GcsStorage::remove(const Url& url, const RemoveOptions& options) {
  Location location = locate(url);
  if (location.is_root()) return false;
  auto lock = session_->lock_object(location);
  if (!options.if_match.empty() && (lock.owns_lock() || !is_generation(options.if_match))) {
    // An etag that is no generation matches nothing; an emulator may not
    // check the precondition (session.h): both are decided here.
    auto current = get_object(*session_, url, location);
    if (!current) return false;
    if (current->info.etag != options.if_match) {
      fail_with(ErrorCode::kPreconditionFailed, "'{}' was replaced meanwhile (generation {}, expected {}): not removed",
                url.str(), current->info.etag, shorten_for_message(options.if_match, 64));
    }
  }
  std::string path = object_path(location);
  if (!options.if_match.empty()) path += "?ifGenerationMatch=" + options.if_match;
  auto r = session_->send(url, [&] { return http::Request{.method = "DELETE", .url = session_->api(path)}; });
  if (r.status == 404) return false;
  if (r.status == 412) {
    fail_with(ErrorCode::kPreconditionFailed, "'{}' was replaced meanwhile (expected generation {}): not removed",
              url.str(), options.if_match);
  }
  if (!r.ok()) session_->fail(r, "cannot remove", url);
  return true;
}

void GcsStorage::copy(const Url& from, const Url& to, const WriteOptions& options) {
  Location source = locate(from);
  Location target = locate(to);
  if (source.is_root()) fail("'{}' is a folder, not a file", from.str());
  auto lock = session_->lock_object(target);
  if (!options.overwrite || !options.if_match.empty()) {
    check_write(get_object(*session_, to, target), target, options, to);
  } else if (target.is_root()) {
    fail_with(ErrorCode::kBadInput, "'{}' is the root of a bucket, not an object", to.str());
  }
  // Without a hash given, no destination resource: GCS copies the source's
  // metadata (its hash included, which the same bytes keep).
  std::string body = options.content_hash.empty() ? std::string() : object_resource_json(target, options.content_hash);
  std::string base = object_path(source) + "/rewriteTo/b/" + http::uri_encode(target.bucket, false) + "/o/" +
                     http::uri_encode(target.object, false);
  std::string token;
  // A rewrite within one location and storage class finishes in one call;
  // others take one call per chunk GCS copies (bounded: a server that never
  // finishes is an error, not a hang).
  for (int call = 0; call < 100000; ++call) {
    if (session_->check_cancelled()) session_->check_cancelled()();
    std::string params = write_precondition(options);  // "&name=value..."
    if (!token.empty()) params += "&rewriteToken=" + http::uri_encode(token, false);
    std::string path = params.empty() ? base : base + "?" + params.substr(1);
    auto r = session_->send(to, [&] {
      http::Request request{.method = "POST", .url = session_->api(path), .body = body};
      if (!body.empty()) request.headers = {{"Content-Type", "application/json; charset=UTF-8"}};
      return request;
    });
    if (r.status == 404) {
      if (get_object(*session_, from, source)) session_->fail(r, "cannot copy to", to);  // the target's bucket
      if (has_objects_below(*session_, from, source)) fail("'{}' is a folder, not a file", from.str());
      throw StorageError(fmt::format("cannot copy '{}': no such object", from.str()), ErrorCode::kNotFound);
    }
    if (r.status == 412) precondition_failed(options, to);
    if (!r.ok()) session_->fail(r, fmt::format("cannot copy '{}' to", from.str()), to);
    RewriteStatus status = parse_rewrite(r.body, fmt::format("copying '{}' to '{}'", from.str(), to.str()));
    if (status.done) {
      if (lock.owns_lock()) {
        if (!status.resource) {
          throw StorageError(fmt::format("copying '{}' to '{}': the answer does not describe the copy", from.str(),
                                         to.str()));
        }
        verify_written(*session_, to, target, options, status.resource->info.etag);
      }
      return;
    }
    token = std::move(status.rewrite_token);
  }
  throw StorageError(fmt::format("cannot copy '{}' to '{}': Google Cloud Storage never finished the rewrite",
                                 from.str(), to.str()));
}

std::shared_ptr<Storage> make_gcs_storage(std::function<void()> check_cancelled) {
  return std::make_shared<GcsStorage>(config_from_environment(), std::move(check_cancelled));
}

}  // namespace wrapp::storage::gcs
