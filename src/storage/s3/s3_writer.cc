#include "storage/s3/s3_writer.h"

#include <future>
#include <stdexcept>

#include "model/hash.h"
#include "storage/s3/s3_multipart.h"
#include "storage/s3/s3_storage.h"
#include "storage/s3/s3_xml.h"
#include "util/error.h"

namespace wrapp::storage::s3 {

namespace {

// Without a size hint, parts grow (doubling every this many) so that an
// object of any size fits in S3's 10,000 parts.
constexpr int kPartsPerSize = 1000;

class S3Writer : public Writer {
 public:
  S3Writer(Service& service, Url url, WriteOptions options)
      : service_(service),
        url_(std::move(url)),
        options_(std::move(options)),
        part_size_(part_size_for(service.config(), options_.size_hint)),
        hashing_(options_.content_hash.empty()) {}

  ~S3Writer() override {
    wait_for_part(std::nothrow);
    upload_.reset();  // aborts an unfinished upload
  }

  void write_at(uint64_t offset, const void* buf, size_t len) override {
    if (finished_) throw std::logic_error(fmt::format("write_at on '{}' after commit", url_.str()));
    if (offset != written_) {
      throw std::logic_error(fmt::format("write_at on '{}' at offset {} after {} bytes: S3 writes are sequential",
                                         url_.str(), offset, written_));
    }
    if (hashing_) hasher_.update(buf, len);
    buffer_.append(static_cast<const char*>(buf), len);
    written_ += len;
    if (!upload_ && buffer_.size() > service_.config().multipart_threshold) start_upload();
    while (upload_ && buffer_.size() >= part_size_) {
      send_part(buffer_.substr(0, part_size_));
      buffer_.erase(0, part_size_);
    }
  }

  void commit() override {
    if (finished_) throw std::logic_error(fmt::format("second commit of '{}'", url_.str()));
    finished_ = true;  // whatever happens now, this Writer is done
    if (upload_) {
      complete_upload();
    } else {
      put_whole();
    }
  }

 private:
  std::string hash() { return hashing_ ? hasher_.finish() : options_.content_hash; }

  void start_upload() {
    Headers headers;
    if (!hashing_) headers.emplace_back(kHashHeader, options_.content_hash);
    upload_ = std::make_unique<MultipartUpload>(service_, url_, headers);
  }

  // Sends a part in the background once the previous one is done: one part
  // travels while the caller fills the next.
  void send_part(std::string data) {
    wait_for_part();
    if (part_number_ >= static_cast<int>(kMaxParts)) {
      throw StorageError(fmt::format("cannot write '{}': more than {} parts of {} bytes", url_.str(), kMaxParts,
                                     part_size_));
    }
    int number = ++part_number_;
    if (options_.size_hint == 0 && number % kPartsPerSize == 0) part_size_ = std::min(part_size_ * 2, kMaxPartSize);
    pending_ = std::async(std::launch::async,
                          [this, number, data = std::move(data)] { upload_->upload_part(number, data); });
  }

  void wait_for_part() {
    if (pending_.valid()) pending_.get();  // rethrows the part's failure
  }
  void wait_for_part(std::nothrow_t) noexcept {
    try {
      wait_for_part();
    } catch (...) {
    }
  }

  void put_whole() {
    std::string content_hash = hash();
    Call call{.op = "write", .method = "PUT", .url = url_, .headers = service_.conditions(options_), .body = buffer_};
    call.headers.emplace_back(kHashHeader, content_hash);
    http::Response r = service_.send(call);
    if (r.ok()) return;
    if (r.status == 412 || (r.status == 404 && !options_.if_match.empty())) {
      if (may_be_ours() && is_ours(content_hash)) return;
      fail_condition(url_, options_);
    }
    service_.fail(call, r);
  }

  // Whether a refusal may hide our own earlier attempt, which went through
  // unseen. Asked on every refusal: a count of our attempts once missed such
  // a case (a lost answer under ASan's timing), and the check costs one HEAD
  // on a refusal only. Only for create-only writes: bytes equal to ours are then
  // as good as ours. A compare-and-swap's rival often writes the very same
  // bytes (two read-modify-writes from one state), so there the refusal
  // stands: a lost race is never taken for a win (a write that went through
  // unseen is reported as refused instead, and the caller reads again).
  bool may_be_ours() const { return options_.if_match.empty(); }

  // After a write was refused: whether the object there is the one this
  // Writer sent (an earlier attempt went through unseen).
  bool is_ours(const std::string& content_hash) {
    Call head{.op = "stat", .method = "HEAD", .url = url_};
    http::Response r = service_.send(head);
    if (!r.ok()) return false;
    FileInfo info = service_.info_of(r);
    return info.content_hash == content_hash && info.size == written_;
  }

  void complete_upload() {
    if (!buffer_.empty()) send_part(std::move(buffer_));
    wait_for_part();
    if (!options_.if_match.empty()) {
      // Checked first as well: some services (moto among them) ignore
      // If-Match on CompleteMultipartUpload.
      Call head{.op = "stat", .method = "HEAD", .url = url_};
      http::Response r = service_.send(head);
      if (r.status == 404 || (r.ok() && service_.version_of(r) != options_.if_match)) fail_condition(url_, options_);
      if (!r.ok()) service_.fail(head, r);
    }
    http::Response r = upload_->complete(service_.conditions(options_));
    if (r.status == 412 || (r.status == 404 && !options_.if_match.empty())) fail_condition(url_, options_);
    if (!r.ok()) {
      service_.fail(Call{.op = "complete the upload of", .method = "POST", .url = url_}, r);
    }
    if (!hashing_) return;
    // S3 gives the new object's ETag in the body, GCS its generation as a header.
    std::string version = service_.config().is_gcs() ? service_.version_of(r) : parse_result_etag(r.body, url_.str());
    if (!version.empty()) store_hash(version);
  }

  // Puts the hash computed while streaming in the completed object's
  // metadata: a copy onto itself, only while it is the version completed
  // (without that version's tag the object keeps no hash: a copy could
  // label another writer's bytes with ours).
  void store_hash(const std::string& version) {
    if (written_ > kMaxPartSize) return;  // CopyObject's limit: the object keeps no hash
    Call call{.op = "store the content hash of", .method = "PUT", .url = url_,
              .headers = {{"x-amz-copy-source", copy_source(url_)},
                          {std::string(service_.dialect().copy_source_match_header), version},
                          {"x-amz-metadata-directive", "REPLACE"},
                          {kHashHeader, hasher_.finish()}}};
    try {
      service_.send(call);  // a failure only costs a later reader one hashing pass
    } catch (const StorageError&) {
    }
  }

  Service& service_;
  Url url_;
  WriteOptions options_;
  uint64_t part_size_;
  bool hashing_;
  model::FlatHasher hasher_;
  std::string buffer_;
  uint64_t written_ = 0;
  bool finished_ = false;
  std::unique_ptr<MultipartUpload> upload_;
  int part_number_ = 0;
  std::future<void> pending_;
};

}  // namespace

uint64_t part_size_for(const Config& config, uint64_t size_hint) {
  uint64_t size = config.multipart_chunksize;
  uint64_t needed = (size_hint + kMaxParts - 1) / kMaxParts;
  if (needed > size) size = std::min((needed + kMiB - 1) / kMiB * kMiB, kMaxPartSize);
  return size;
}

std::unique_ptr<Writer> make_writer(Service& service, const Url& url, const WriteOptions& options) {
  return std::make_unique<S3Writer>(service, url, options);
}

}  // namespace wrapp::storage::s3
