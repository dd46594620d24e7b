#include "storage/memory/memory_storage.h"

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <utility>
#include <vector>

#include "util/error.h"

namespace wrapp::storage {
namespace {

// "bucket/a/b" for mem://bucket/a/b; the root of a bucket is "bucket/".
std::string key_of(const Url& url) { return url.authority() + url.path(); }

bool is_bucket_root(const std::string& key) { return key.back() == '/'; }

// The prefix every object below `key` starts with.
std::string folder_prefix(const std::string& key) { return is_bucket_root(key) ? key : key + "/"; }

std::string etag_of(uint64_t generation) { return std::to_string(generation); }

void call_fault(const MemoryStorage::FaultHook& hook, const char* op, const Url& url) {
  if (hook) hook(op, url.str());
}

class MemoryReader : public Reader {
 public:
  MemoryReader(std::shared_ptr<const std::string> data, FileInfo info, Url url, MemoryStorage::FaultHook fault)
      : data_(std::move(data)), info_(std::move(info)), url_(std::move(url)), fault_(std::move(fault)) {}
  uint64_t size() const override { return data_->size(); }
  FileInfo info() const override { return info_; }
  size_t read_at(uint64_t offset, void* buf, size_t len) override {
    call_fault(fault_, "read", url_);
    if (offset >= data_->size()) return 0;
    size_t n = std::min<uint64_t>(len, data_->size() - offset);
    std::copy_n(data_->data() + offset, n, static_cast<char*>(buf));
    return n;
  }
  bool in_memory(uint64_t, size_t) override { return true; }

 private:
  std::shared_ptr<const std::string> data_;  // a snapshot: later commits do not change it
  FileInfo info_;
  Url url_;
  MemoryStorage::FaultHook fault_;
};

class MemoryDocument : public Document {
 public:
  explicit MemoryDocument(std::shared_ptr<const std::string> data) : data_(std::move(data)) {}
  std::string_view text() const override { return *data_; }

 private:
  std::shared_ptr<const std::string> data_;
};

}  // namespace

// Buffers the object; commit() publishes it whole, like a (multipart) upload.
class MemoryWriter : public Writer {
 public:
  MemoryWriter(MemoryStorage& store, Url url, WriteOptions options)
      : store_(store), url_(std::move(url)), options_(std::move(options)) {
    data_.reserve(options_.size_hint);
  }

  void write_at(uint64_t offset, const void* buf, size_t len) override {
    if (busy_.exchange(true)) {
      throw std::logic_error(fmt::format("concurrent write_at on '{}': the in-memory object store has no parallel_write",
                                         url_.display()));
    }
    struct Done {
      std::atomic<bool>& busy;
      ~Done() { busy = false; }
    } done{busy_};
    if (finished_) throw std::logic_error(fmt::format("write_at on '{}' after commit", url_.display()));
    if (offset != data_.size()) {
      throw std::logic_error(fmt::format(
          "write_at on '{}' at offset {} after {} bytes: the in-memory object store needs sequential writes at "
          "contiguous offsets (it has no parallel_write)",
          url_.display(), offset, data_.size()));
    }
    call_fault(store_.options_.fault, "write", url_);
    data_.append(static_cast<const char*>(buf), len);
  }

  void set_content_hash(const std::string& hash) override { options_.content_hash = hash; }

  void commit() override {
    if (finished_) throw std::logic_error(fmt::format("second commit of '{}'", url_.display()));
    finished_ = true;  // whatever happens now, this Writer is done
    store_.publish(key_of(url_), url_, options_, std::make_shared<const std::string>(std::move(data_)),
                   options_.content_hash);
  }

 private:
  MemoryStorage& store_;
  Url url_;
  WriteOptions options_;
  std::string data_;
  std::atomic<bool> busy_{false};
  bool finished_ = false;
};

MemoryStorage::MemoryStorage() : MemoryStorage(Options{}) {}

MemoryStorage::MemoryStorage(Options options) : options_(std::move(options)) {
  options_.page_size = std::max<size_t>(1, options_.page_size);
}

MemoryStorage::~MemoryStorage() = default;

// No real folders, links, parallel writes or stable identity: the rest of
// Features stays false.
Features MemoryStorage::features() const {
  Features f;
  f.server_side_copy = true;
  f.conditional_write = true;
  f.object_metadata = true;
  f.listed_metadata = true;
  f.reflink = options_.claims_reflink;
  f.connections = options_.connections;
  f.ranged_read_size = options_.ranged_read_size;
  f.ranged_read_streams = options_.ranged_read_streams;
  return f;
}

void MemoryStorage::fault(const char* op, const Url& url) const { call_fault(options_.fault, op, url); }

bool MemoryStorage::is_prefix_locked(const std::string& key) const {
  std::string prefix = folder_prefix(key);
  auto it = objects_.lower_bound(prefix);
  return it != objects_.end() && it->first.starts_with(prefix);
}

FileInfo MemoryStorage::info_of(const Object& object) {
  FileInfo info;
  info.size = object.data->size();
  info.mtime_ns = static_cast<int64_t>(object.generation);
  info.etag = etag_of(object.generation);
  info.content_hash = object.content_hash;
  return info;
}

std::optional<MemoryStorage::Found> MemoryStorage::find_object(const Url& url) {
  fault("open_read", url);
  std::string key = key_of(url);
  std::lock_guard lock(mu_);
  if (!is_bucket_root(key)) {
    auto it = objects_.find(key);
    if (it != objects_.end()) return Found{it->second.data, info_of(it->second)};
  }
  if (is_prefix_locked(key)) fail("'{}' is a folder, not a file", url.display());
  return std::nullopt;
}

std::optional<FileInfo> MemoryStorage::stat(const Url& url) {
  fault("stat", url);
  std::string key = key_of(url);
  std::lock_guard lock(mu_);
  if (!is_bucket_root(key)) {
    auto it = objects_.find(key);
    if (it != objects_.end()) return info_of(it->second);
  }
  if (is_prefix_locked(key)) {
    FileInfo dir;
    dir.is_dir = true;
    return dir;
  }
  return std::nullopt;
}

std::unique_ptr<Reader> MemoryStorage::open_read(const Url& url) {
  auto found = find_object(url);
  if (!found) return nullptr;
  return std::make_unique<MemoryReader>(std::move(found->data), std::move(found->info), url, options_.fault);
}

std::unique_ptr<Document> MemoryStorage::read_document(const Url& url) {
  auto found = find_object(url);
  if (!found) return nullptr;
  return std::make_unique<MemoryDocument>(std::move(found->data));
}

void MemoryStorage::check_write_locked(const std::string& key, const Url& url, const WriteOptions& options) const {
  if (is_bucket_root(key)) fail_with(ErrorCode::kBadInput, "'{}' is the root of a bucket, not an object", url.display());
  auto it = objects_.find(key);
  if (!options.if_match.empty()) {
    if (it == objects_.end()) {
      fail_with(ErrorCode::kPreconditionFailed, "'{}' is gone (it was expected with etag {})", url.display(),
                options.if_match);
    }
    std::string etag = etag_of(it->second.generation);
    if (etag != options.if_match) {
      fail_with(ErrorCode::kPreconditionFailed, "'{}' was replaced meanwhile (etag {}, expected {})", url.display(),
                etag, options.if_match);
    }
  } else if (!options.overwrite && it != objects_.end()) {
    fail_with(ErrorCode::kAlreadyExists, "'{}' already exists", url.display());
  }
}

void MemoryStorage::publish(const std::string& key, const Url& url, const WriteOptions& options,
                            std::shared_ptr<const std::string> data, std::string content_hash) {
  fault("commit", url);
  if (options_.failing_commits.count(url.str())) {
    throw StorageError(fmt::format("cannot write '{}': injected commit failure", url.display()));
  }
  std::lock_guard lock(mu_);
  check_write_locked(key, url, options);
  Object& object = objects_[key];
  object.data = std::move(data);
  object.generation = ++clock_;
  object.content_hash = std::move(content_hash);
}

std::unique_ptr<Writer> MemoryStorage::open_write(const Url& url, const WriteOptions& options) {
  fault("open_write", url);
  {
    std::lock_guard lock(mu_);
    check_write_locked(key_of(url), url, options);
  }
  return std::make_unique<MemoryWriter>(*this, url, options);
}

bool MemoryStorage::remove(const Url& url, const RemoveOptions& options) {
  fault("remove", url);
  std::string key = key_of(url);
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return false;  // absent, or a prefix: folders are not removed
  if (!options.if_match.empty() && etag_of(it->second.generation) != options.if_match) {
    fail_with(ErrorCode::kPreconditionFailed, "'{}' was replaced meanwhile (etag {}, expected {}): not removed",
              url.display(), etag_of(it->second.generation), options.if_match);
  }
  objects_.erase(it);
  return true;
}

void MemoryStorage::copy(const Url& from, const Url& to, const WriteOptions& options) {
  fault("copy", to);
  std::shared_ptr<const std::string> data;
  std::string content_hash;
  {
    std::lock_guard lock(mu_);
    auto it = objects_.find(key_of(from));
    if (it == objects_.end()) {
      if (is_prefix_locked(key_of(from))) fail("'{}' is a folder, not a file", from.display());
      throw StorageError(fmt::format("cannot copy '{}': no such object", from.display()), ErrorCode::kNotFound);
    }
    data = it->second.data;  // shared, as a server-side copy moves no bytes through us
    content_hash = options.content_hash.empty() ? it->second.content_hash : options.content_hash;
  }
  publish(key_of(to), to, options, std::move(data), std::move(content_hash));
}

bool MemoryStorage::link(const Url&, const Url& to, LinkMode, const WriteOptions&) {
  fault("link", to);
  return false;
}

void MemoryStorage::list(const Url& url, const ListOptions& options, const ListPage& on_page) {
  std::string key = key_of(url);
  std::string prefix = folder_prefix(key);
  fault("list", url);
  {
    std::lock_guard lock(mu_);
    if (!is_bucket_root(key) && objects_.count(key)) fail("'{}' is a file, not a folder", url.display());
  }
  // Pages are separate requests, as on S3: each continues after the last key
  // of the one before, and sees the objects as they are then.
  std::vector<ListEntry> page;
  auto emit = [&](std::string relative_path, FileInfo info) {
    page.push_back({std::move(relative_path), std::move(info)});
    if (page.size() < options_.page_size) return;
    on_page(std::move(page));
    page.clear();
    fault("list", url);
  };
  FileInfo folder;
  folder.is_dir = true;
  // The folders of the last key listed, outermost first: keys come in
  // order, so the keys below one folder come together, and a folder is new
  // exactly when it differs from the one at its depth here.
  std::vector<std::string> open_folders;
  std::string from = prefix;  // the next key listed is the first one >= from
  for (;;) {
    std::string relative;
    FileInfo info;
    {
      std::lock_guard lock(mu_);
      auto it = objects_.lower_bound(from);
      if (it == objects_.end() || !it->first.starts_with(prefix)) break;
      relative = it->first.substr(prefix.size());
      info = info_of(it->second);
      from = it->first + '\0';
    }
    size_t depth = 0;
    bool skipped = false;
    for (size_t slash = relative.find('/'); slash != std::string::npos; slash = relative.find('/', slash + 1), ++depth) {
      std::string dir = relative.substr(0, slash);
      if (depth < open_folders.size() && open_folders[depth] == dir) continue;
      open_folders.resize(depth);
      open_folders.push_back(dir);
      if (options.include_dirs) emit(dir, folder);
      if (!options.recursive || (options.descend && !options.descend(dir))) {
        // "/" + 1: the first key after everything below this folder (the
        // delimiter, or a pruned folder, as an S3 backend would list it).
        from = prefix + dir + static_cast<char>('/' + 1);
        skipped = true;
        break;
      }
    }
    if (skipped) continue;
    open_folders.resize(depth);
    emit(std::move(relative), std::move(info));
  }
  if (!page.empty()) on_page(std::move(page));
}

size_t MemoryStorage::object_count() const {
  std::lock_guard lock(mu_);
  return objects_.size();
}

namespace {

std::mutex registry_mu;

std::map<std::string, std::shared_ptr<MemoryStorage>>& registry() {
  static std::map<std::string, std::shared_ptr<MemoryStorage>> stores;
  return stores;
}

}  // namespace

std::shared_ptr<MemoryStorage> register_memory_store(const std::string& name, MemoryStorage::Options options) {
  auto store = std::make_shared<MemoryStorage>(std::move(options));
  std::lock_guard lock(registry_mu);
  registry()[name] = store;
  return store;
}

std::shared_ptr<MemoryStorage> find_memory_store(const std::string& name) {
  std::lock_guard lock(registry_mu);
  auto it = registry().find(name);
  return it == registry().end() ? nullptr : it->second;
}

void unregister_memory_store(const std::string& name) {
  std::lock_guard lock(registry_mu);
  registry().erase(name);
}

}  // namespace wrapp::storage
