#include "storage/azure/writer.h"

#include <future>
#include <random>
#include <stdexcept>

#include "model/hash.h"
#include "storage/azure/backend.h"
#include "storage/azure/shared_key.h"
#include "storage/azure/xml.h"
#include "util/error.h"

namespace wrapp::storage::azure {

namespace {

// Without a size hint, blocks grow (doubling every this many) so that a
// blob of any size fits in Azure's 50,000 blocks.
constexpr uint64_t kBlocksPerSize = 5000;

std::string random_tag() {
  std::random_device device;
  return fmt::format("{:08x}{:08x}", device(), device());
}

class AzureWriter : public Writer {
 public:
  AzureWriter(Service& service, Url url, WriteOptions options)
      : service_(service),
        url_(std::move(url)),
        options_(std::move(options)),
        block_size_(block_size_for(service.config(), options_.size_hint)),
        hashing_(options_.content_hash.empty()) {}

  ~AzureWriter() override {
    try {
      wait_for_block();
    } catch (...) {
      // dropped: the uncommitted blocks are Azure's to discard
    }
  }

  void write_at(uint64_t offset, const void* buf, size_t len) override {
    if (finished_) throw std::logic_error(fmt::format("write_at on '{}' after commit", url_.str()));
    if (offset != written_) {
      throw std::logic_error(fmt::format("write_at on '{}' at offset {} after {} bytes: Azure writes are sequential",
                                         url_.str(), offset, written_));
    }
    if (hashing_) hasher_.update(buf, len);
    buffer_.append(static_cast<const char*>(buf), len);
    written_ += len;
    if (!in_blocks_ && buffer_.size() > service_.config().single_put_limit) in_blocks_ = true;
    while (in_blocks_ && buffer_.size() >= block_size_) {
      send_block(buffer_.substr(0, block_size_));
      buffer_.erase(0, block_size_);
    }
  }

  void set_content_hash(const std::string& hash) override {
    hashing_ = false;
    options_.content_hash = hash;
  }

  void commit() override {
    if (finished_) throw std::logic_error(fmt::format("second commit of '{}'", url_.str()));
    finished_ = true;  // whatever happens now, this Writer is done
    std::string content_hash = hashing_ ? hasher_.finish() : options_.content_hash;
    if (in_blocks_) {
      if (!buffer_.empty()) send_block(std::move(buffer_));
      wait_for_block();
      put_block_list(content_hash);
    } else {
      put_blob(content_hash);
    }
  }

 private:
  // Sends a block in the background once the previous one is done: one
  // block travels while the caller fills the next.
  void send_block(std::string data) {
    wait_for_block();
    if (block_ids_.size() >= kMaxBlocks) {
      throw StorageError(fmt::format("cannot write '{}': more than {} blocks of {} bytes", url_.str(), kMaxBlocks,
                                     block_size_));
    }
    // Every id of a blob has the same length, as Azure requires.
    std::string id = base64_encode(fmt::format("{}-{:08}", tag_, block_ids_.size()));
    block_ids_.push_back(id);
    if (options_.size_hint == 0 && block_ids_.size() % kBlocksPerSize == 0) {
      block_size_ = std::min(block_size_ * 2, kMaxBlockSize);
    }
    pending_ = std::async(std::launch::async, [this, id, data = std::move(data)] {
      Call call{.op = "write", .method = "PUT", .url = url_, .query = {{"comp", "block"}, {"blockid", id}},
                .body = data};
      http::Response r = service_.send(call);
      if (!r.ok()) service_.fail(call, r);
    });
  }

  void wait_for_block() {
    if (pending_.valid()) pending_.get();  // rethrows the block's failure
  }

  // Sends the committing request; maps a refusal by the write's condition.
  void send_commit(Call& call, const std::string& content_hash) {
    call.headers.emplace_back(kHashHeader, content_hash);
    http::Response r = service_.send(call);
    if (r.ok()) return;
    if (refused_by_condition(r, options_)) {
      // Our own first attempt may have gone through unseen: checked on every
      // refusal (a count of attempts once missed such a case, see the S3
      // writer). Only for create-only writes: a compare-and-swap's
      // rival often writes the very same bytes, and a lost race must never
      // pass for a win (see the S3 writer).
      if (options_.if_match.empty() && is_ours(content_hash)) return;
      fail_condition(url_, options_);
    }
    service_.fail(call, r);
  }

  void put_blob(const std::string& content_hash) {
    Call call{.op = "write", .method = "PUT", .url = url_, .headers = condition_headers(options_), .body = buffer_};
    call.headers.emplace_back("x-ms-blob-type", "BlockBlob");
    send_commit(call, content_hash);
  }

  void put_block_list(const std::string& content_hash) {
    std::string body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
    for (const auto& id : block_ids_) body += "<Latest>" + id + "</Latest>";
    body += "</BlockList>";
    Call call{.op = "write", .method = "PUT", .url = url_, .query = {{"comp", "blocklist"}},
              .headers = condition_headers(options_), .body = body};
    send_commit(call, content_hash);
  }

  // After a write was refused: whether the blob there is the one this
  // Writer sent (an earlier attempt went through unseen).
  bool is_ours(const std::string& content_hash) {
    Call head{.op = "stat", .method = "HEAD", .url = url_};
    http::Response r = service_.send(head);
    return r.ok() && r.header(kHashHeader) == content_hash && info_of_response(r).size == written_;
  }

  Service& service_;
  Url url_;
  WriteOptions options_;
  uint64_t block_size_;
  bool hashing_;
  model::FlatHasher hasher_;
  std::string buffer_;
  uint64_t written_ = 0;
  bool finished_ = false;
  bool in_blocks_ = false;
  std::string tag_ = random_tag();
  std::vector<std::string> block_ids_;
  std::future<void> pending_;
};

}  // namespace

uint64_t block_size_for(const Config& config, uint64_t size_hint) {
  uint64_t size = config.block_size;
  uint64_t needed = (size_hint + kMaxBlocks - 1) / kMaxBlocks;
  if (needed > size) size = std::min((needed + kMiB - 1) / kMiB * kMiB, kMaxBlockSize);
  return size;
}

std::unique_ptr<Writer> make_writer(Service& service, const Url& url, const WriteOptions& options) {
  return std::make_unique<AzureWriter>(service, url, options);
}

}  // namespace wrapp::storage::azure
