#include "storage/gcs/writer.h"

#include <charconv>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <thread>

#include "storage/gcs/objects.h"
#include "util/error.h"

namespace wrapp::storage::gcs {
namespace {

// Attempts at one chunk (each after asking the session what it kept).
constexpr int kChunkRounds = 8;

std::string random_boundary() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  return fmt::format("wrapp-{:016x}{:016x}", random(), random());
}

// The end of "bytes=0-N" (a 308's Range header) plus one: what the session
// holds; 0 when there is no Range (nothing held).
std::optional<uint64_t> held_by(const http::Response& r) {
  std::string range = r.header("range");
  if (range.empty()) return 0;
  auto dash = range.rfind('-');
  if (dash == std::string::npos) return std::nullopt;
  uint64_t last = 0;
  auto [end, ec] = std::from_chars(range.data() + dash + 1, range.data() + range.size(), last);
  if (ec != std::errc() || end != range.data() + range.size()) return std::nullopt;
  return last + 1;
}

}  // namespace

GcsWriter::GcsWriter(std::shared_ptr<Session> session, Url url, Location location, WriteOptions options)
    : session_(std::move(session)), url_(std::move(url)), location_(std::move(location)), options_(std::move(options)) {
  buffer_.reserve(std::min<uint64_t>(options_.size_hint, session_->config().multipart_threshold));
}

GcsWriter::~GcsWriter() {
  if (finished_ || session_uri_.empty()) return;
  try {
    // DELETE cancels a resumable session (GCS answers 499).
    session_->client().perform({.method = "DELETE", .url = session_uri_});
  } catch (...) {
    // Best effort: the session expires unused.
  }
}

void GcsWriter::refused(const http::Response& response, std::string_view action) {
  if (response.status == 412) precondition_failed(options_, url_);
  session_->fail(response, action, url_);
}

void GcsWriter::write_at(uint64_t offset, const void* buf, size_t len) {
  if (finished_) throw std::logic_error(fmt::format("write_at on '{}' after commit", url_.str()));
  if (offset != written_) {
    throw std::logic_error(fmt::format("write_at on '{}' at offset {} after {} bytes: Google Cloud Storage uploads "
                                       "need sequential writes (no parallel_write)",
                                       url_.str(), offset, written_));
  }
  buffer_.append(static_cast<const char*>(buf), len);
  written_ += len;
  const Config& config = session_->config();
  if (session_uri_.empty() && written_ <= config.multipart_threshold) return;
  if (session_uri_.empty()) start_resumable();
  // Whole chunks only; the rest waits for more bytes or for commit.
  while (buffer_.size() >= config.chunk_size) send_chunk(config.chunk_size, false);
}

void GcsWriter::set_content_hash(const std::string& hash) { options_.content_hash = hash; }

void GcsWriter::commit() {
  if (finished_) throw std::logic_error(fmt::format("second commit of '{}'", url_.str()));
  finished_ = true;  // whatever happens now, this Writer is done
  auto lock = session_->lock_object(location_);
  if (lock.owns_lock()) check_write(get_object(*session_, url_, location_), location_, options_, url_);
  bool resumable = !session_uri_.empty();
  std::string generation = resumable ? send_chunk(buffer_.size(), true) : upload_multipart();
  session_uri_.clear();  // finalised: nothing to cancel
  verify_written(*session_, url_, location_, options_, generation);
  if (resumable && !hash_sent_ && !options_.content_hash.empty()) patch_hash(generation);
}

void GcsWriter::patch_hash(const std::string& generation) {
  nlohmann::json patch = {{"metadata", {{std::string(kHashKey), options_.content_hash}}}};
  std::string body = patch.dump();
  std::string path = object_path(location_) + "?ifGenerationMatch=" + generation;
  auto r = session_->send(url_, [&] {
    return http::Request{.method = "PATCH",
                         .url = session_->api(path),
                         .headers = {{"Content-Type", "application/json; charset=UTF-8"}},
                         .body = body};
  });
  // 412: the object was replaced since; the hash belongs to no object now.
  if (!r.ok() && r.status != 412) session_->fail(r, "cannot record the content hash of", url_);
}

std::string GcsWriter::upload_multipart() {
  std::string resource = object_resource_json(location_, options_.content_hash);
  std::string boundary = random_boundary();
  while (buffer_.find(boundary) != std::string::npos) boundary = random_boundary();
  std::string body;
  body.reserve(buffer_.size() + resource.size() + 256);
  body += "--" + boundary + "\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n" + resource + "\r\n";
  body += "--" + boundary + "\r\nContent-Type: application/octet-stream\r\n\r\n";
  body += buffer_;
  body += "\r\n--" + boundary + "--\r\n";
  std::string().swap(buffer_);
  std::string path = upload_path(location_.bucket) + "?uploadType=multipart" + write_precondition(options_);
  auto r = session_->send(url_, [&] {
    return http::Request{.method = "POST",
                         .url = session_->api(path),
                         .headers = {{"Content-Type", "multipart/related; boundary=" + boundary}},
                         .body = body};
  });
  if (!r.ok()) refused(r, "cannot write");
  return parse_object(r.body, fmt::format("writing '{}'", url_.str())).info.etag;
}

void GcsWriter::start_resumable() {
  std::string resource = object_resource_json(location_, options_.content_hash);
  hash_sent_ = !options_.content_hash.empty();
  std::string path = upload_path(location_.bucket) + "?uploadType=resumable&name=" +
                     http::uri_encode(location_.object, false) + write_precondition(options_);
  auto r = session_->send(url_, [&] {
    return http::Request{.method = "POST",
                         .url = session_->api(path),
                         .headers = {{"Content-Type", "application/json; charset=UTF-8"},
                                     {"X-Upload-Content-Type", "application/octet-stream"}},
                         .body = resource};
  });
  if (!r.ok()) refused(r, "cannot start an upload to");
  session_uri_ = r.header("location");
  if (!session_uri_.starts_with("https://") && !session_uri_.starts_with("http://")) {
    throw StorageError(fmt::format("cannot start an upload to '{}': Google Cloud Storage gave no session URL",
                                   url_.str()));
  }
}

uint64_t GcsWriter::persisted() {
  auto r = session_->send(url_, [&] {
    return http::Request{.method = "PUT", .url = session_uri_, .headers = {{"Content-Range", "bytes */*"}}};
  });
  auto held = held_by(r);
  if (r.status != 308 || !held) refused(r, "cannot resume the upload to");
  // gcp-storage-emulator answers an empty session with "bytes=0-0" where GCS
  // sends no Range. A session holds whole 256 KiB units until it is
  // finalised, so one byte held can only mean none.
  if (*held == 1 && session_->config().emulator) return 0;
  return *held;
}

void GcsWriter::back_off(int round) {
  // Full jitter, as the HTTP client's retries (0.1 s doubling, at most 8 s).
  auto cap = std::chrono::milliseconds(std::min<int64_t>(8000, int64_t{100} << std::min(round, 7)));
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::this_thread::sleep_for(std::chrono::milliseconds(random() % (cap.count() + 1)));
  if (session_->check_cancelled()) session_->check_cancelled()();
}

std::string GcsWriter::send_chunk(size_t n, bool last) {
  // A request may break after the server kept part of it: then the session
  // is asked how much it holds and the rest is sent (GCS keeps what it got).
  for (int round = 0;; ++round) {
    if (round > 0) {
      uint64_t held = persisted();
      if (held < sent_ || held > sent_ + n) {
        throw StorageError(fmt::format("cannot write '{}': the upload session holds {} bytes, expected {} to {}",
                                       url_.str(), held, sent_, sent_ + n));
      }
      buffer_.erase(0, held - sent_);
      n -= held - sent_;
      sent_ = held;
    }
    if (round >= kChunkRounds) {
      throw StorageError(fmt::format("cannot write '{}': the upload session stops taking bytes", url_.str()));
    }
    std::string total = last ? std::to_string(sent_ + n) : "*";
    std::string range = n == 0 ? "bytes */" + total : fmt::format("bytes {}-{}/{}", sent_, sent_ + n - 1, total);
    std::string_view body(buffer_.data(), n);
    http::Response r;
    // One attempt per round: a chunk sent again blindly after a lost answer
    // would start at bytes the session already holds (GCS answers 400), so
    // after a broken or failed attempt the session is asked what it kept.
    static const http::RetryPolicy kOneAttempt{.attempts = 1};
    try {
      r = session_->send(
          url_,
          [&] {
            return http::Request{
                .method = "PUT", .url = session_uri_, .headers = {{"Content-Range", range}}, .body = body};
          },
          &kOneAttempt);
    } catch (const http::TransportError&) {
      if (round >= kChunkRounds - 1) throw;
      back_off(round);
      continue;
    }
    if (http::is_retryable_status(r.status) && round < kChunkRounds - 1) {
      back_off(round);
      continue;
    }
    if (last && r.ok()) {
      buffer_.clear();
      sent_ += n;
      return parse_object(r.body, fmt::format("writing '{}'", url_.str())).info.etag;
    }
    if (r.status != 308) refused(r, "cannot write");
    auto held = held_by(r);
    if (!held || *held < sent_ || *held > sent_ + n) {
      throw StorageError(fmt::format("cannot write '{}': the upload session answered with an unexpected range",
                                     url_.str()));
    }
    buffer_.erase(0, *held - sent_);
    n -= *held - sent_;
    sent_ = *held;
    if (n == 0 && !last) return {};
    // Part of the chunk (or, finalising, something) is still to be sent.
  }
}

}  // namespace wrapp::storage::gcs
