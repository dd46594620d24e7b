#include "storage/storage.h"

#include "storage/backends.h"
#include "storage/listing.h"

#include <algorithm>
#include <mutex>
#include <set>

#include "storage/azure/backend.h"
#include "storage/gcs/backend.h"
#include "storage/local/backend.h"
#include "storage/memory/memory_storage.h"
#include "storage/s3/s3_storage.h"
#include "storage/web/web_storage.h"
#include "util/error.h"

namespace wrapp::storage {

std::vector<ListEntry> list_all(Storage& storage, const Url& url, const ListOptions& options) {
  Listing listing = list_sorted(storage, url, options);
  std::vector<ListEntry> all;
  all.reserve(listing.size());
  for (auto& e : listing) all.push_back(std::move(e));
  return all;
}

namespace {

class StringDocument : public Document {
 public:
  explicit StringDocument(std::string text) : text_(std::move(text)) {}
  std::string_view text() const override { return text_; }

 private:
  std::string text_;
};

std::mutex resolver_mutex;

// A gs:// bucket is reached through the JSON API with a service account
// (gcs/) or through the XML API with an HMAC key (the S3 backend in GCS's
// dialect), as its credentials say (s3::uses_gcs_hmac). Chosen once per
// bucket and command: the answer may read a file (~/.boto), and every
// operation on a file asks for its backend. Both backends are made on first
// use, configured from this command's environment, and shared by buckets.
Storage& gcs_for_bucket(std::map<std::string, std::shared_ptr<Storage>>& backends, const Url& url,
                        const std::function<void()>& check_cancelled) {
  std::string bucket = "gs://" + url.authority();
  if (auto chosen = backends.find(bucket); chosen != backends.end()) return *chosen->second;
  bool hmac = s3::uses_gcs_hmac(url, s3::process_env());
  std::string slot = hmac ? "gs+xml:" : "gs+json:";
  auto shared = backends.find(slot);
  if (shared == backends.end()) {
    // Made before it is stored: a bad setting throws and leaves no entry.
    std::shared_ptr<Storage> made =
        hmac ? std::make_shared<s3::S3Storage>(s3::load_gcs_xml_config(s3::process_env()), check_cancelled)
             : gcs::make_gcs_storage(check_cancelled);
    shared = backends.emplace(slot, std::move(made)).first;
  }
  return *(backends[bucket] = shared->second);
}
}  // namespace

std::unique_ptr<Document> Storage::read_document(const Url& url) {
  auto text = read_all(*this, url);
  if (!text) return nullptr;
  return make_string_document(std::move(*text));
}

std::vector<std::optional<FileInfo>> Storage::link_batch(const Url& from_folder, const Url& to_folder,
                                                         const std::vector<LinkName>& names, LinkMode mode,
                                                         const WriteOptions& options) {
  std::vector<std::optional<FileInfo>> linked;
  linked.reserve(names.size());
  bool clones_refused = false;
  for (const auto& n : names) {
    Url to = to_folder.join(n.to);
    if (clones_refused || !link(from_folder.join(n.from), to, mode, options)) {
      // A file system that refuses one clone between these two folders
      // refuses them all (it has no copy-on-write): the rest are not tried.
      clones_refused = mode == LinkMode::kReflink;
      linked.emplace_back();
      continue;
    }
    auto info = stat(to);
    if (!info) fail("'{}' vanished right after it was linked", to.display());
    linked.push_back(std::move(info));
  }
  return linked;
}

namespace {

// Storage::open_folder's default: each call joins the name and goes to the
// store, which resolves the whole path as it always does.
class UrlFolder : public Folder {
 public:
  UrlFolder(Storage& store, Url url) : store_(store), url_(std::move(url)) {}
  std::unique_ptr<Reader> open_read(const std::string& name) override { return store_.open_read(url_.join(name)); }
  std::unique_ptr<Writer> open_write(const std::string& name, const WriteOptions& options) override {
    return store_.open_write(url_.join(name), options);
  }

 private:
  Storage& store_;
  Url url_;
};

}  // namespace

std::unique_ptr<Folder> Storage::open_folder(const Url& url, bool for_write) {
  return std::make_unique<UrlFolder>(*this, url);
}

std::unique_ptr<Document> make_string_document(std::string text) {
  return std::make_unique<StringDocument>(std::move(text));
}

Resolver::Resolver() : Resolver(Options{}) {}

Resolver::Resolver(Options options) : options_(std::move(options)) {
  backends_["file"] = std::make_shared<LocalStorage>(options_.check_cancelled, local::Method::kAuto,
                                                     options_.run_workers);
}

Resolver::~Resolver() = default;

Storage& Resolver::for_url(const Url& url) {
  std::lock_guard lock(resolver_mutex);
  if (url.scheme() == "http" || url.scheme() == "https") {
    // Azure Blob URLs are http(s) URLs of Azure's hosts or of the endpoints
    // the environment names (azure/config.h); the rest is the web. The
    // backend is made on first use, configured from this command's
    // environment, and kept under a key no scheme can be.
    auto& slot = backends_["azure:"];
    if (!slot) slot = azure::make_azure_storage(options_.check_cancelled);
    auto* azure = dynamic_cast<azure::AzureStorage*>(slot.get());
    if (azure && azure->serves(url)) return *azure;
  }
  // gs:// unless a backend was given for the scheme (add()).
  if (url.scheme() == "gs" && !backends_.count("gs")) return gcs_for_bucket(backends_, url, options_.check_cancelled);
  auto it = backends_.find(url.scheme());
  if (it != backends_.end()) return *it->second;
  if (url.scheme() == "s3") {
    // Configured now, from this command's environment and credentials.
    auto backend = std::make_shared<s3::S3Storage>(s3::load_config(s3::process_env()), options_.check_cancelled);
    backends_["s3"] = backend;
    return *backend;
  }
  if (url.scheme() == "http" || url.scheme() == "https") {
    // Read-only web locations, made on first use; one client (connection
    // pool) for both schemes.
    auto web = std::make_shared<WebStorage>(options_.check_cancelled);
    backends_["http"] = web;
    backends_["https"] = web;
    return *web;
  }
  if (url.scheme() == "mem") {
    // One in-memory store per NAME (register_memory_store), kept under a
    // key that no scheme can be, for the life of this Resolver.
    std::string slot = "mem://" + url.authority();
    auto found = backends_.find(slot);
    if (found != backends_.end()) return *found->second;
    if (auto store = find_memory_store(url.authority())) {
      backends_[slot] = store;
      return *store;
    }
    fail_with(ErrorCode::kBadInput, "No storage backend available to handle URL '{}' (no in-memory store named '{}')",
              url.str(), url.authority());
  }
  if (const BackendInfo* known = backend_for_scheme(url.scheme()); known && known->unreachable) {
    throw StorageError(fmt::format("cannot reach '{}': this build has no {} backend ({})", url.str(), known->name,
                                   known->note));
  }
  std::string supported;
  for (const auto& backend : backend_catalog()) {
    for (const auto& scheme : backend.schemes) {
      if (backend.enabled) supported += (supported.empty() ? "" : ", ") + scheme + "://";
    }
  }
  fail_with(ErrorCode::kBadInput, "No storage backend available to handle URL '{}' (supported: local paths and {} URLs)",
            url.str(), supported);
}

void Resolver::add(const std::string& scheme, std::shared_ptr<Storage> backend) {
  std::lock_guard lock(resolver_mutex);
  backends_[scheme] = std::move(backend);
}

std::vector<std::pair<std::string, Traffic>> Resolver::traffic() const {
  std::lock_guard lock(resolver_mutex);
  std::vector<std::pair<std::string, Traffic>> out;
  std::set<const Storage*> seen;  // one backend may serve several schemes (http, https)
  for (const auto& [key, backend] : backends_) {
    if (!backend || !seen.insert(backend.get()).second) continue;
    auto counts = backend->traffic();
    if (counts && counts->requests > 0) out.emplace_back(backend->name(), *counts);
  }
  return out;
}

std::optional<std::string> read_all(Storage& storage, const Url& url) {
  auto reader = storage.open_read(url);
  if (!reader) return std::nullopt;
  std::string out(reader->size(), '\0');
  size_t n = reader->read_at(0, out.data(), out.size());
  out.resize(n);
  return out;
}

void write_all(Storage& storage, const Url& url, const std::string& content, const WriteOptions& options) {
  WriteOptions opts = options;
  opts.size_hint = content.size();
  auto writer = storage.open_write(url, opts);
  writer->write_at(0, content.data(), content.size());
  writer->commit();
}

}  // namespace wrapp::storage
