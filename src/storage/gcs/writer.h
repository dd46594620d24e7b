// Writes one GCS object; nothing is visible before commit().
//
// Small objects (up to Config::multipart_threshold) are buffered and sent
// at commit in one multipart upload: the object resource (name, content
// hash as metadata "wrapp-hash") and the bytes, with the precondition.
// Bigger ones start a resumable upload session once the buffer passes the
// threshold and stream into it in chunks of Config::chunk_size (multiples
// of 256 KiB), so memory stays near one chunk; commit sends the last bytes
// with the total size, which finalises the object. The content hash comes
// with WriteOptions at open, or at commit when it was computed while the
// bytes streamed (set_content_hash). A multipart upload carries it either
// way. A resumable session takes metadata only when it starts: a hash that
// comes later is set by a metadata patch of the new generation right after
// it is finalised (ifGenerationMatch on it), so for a moment the object has
// no hash, which readers take as unknown. The precondition is given at the
// session's start and GCS checks it again when the upload completes.
//
// A Writer destroyed without commit cancels its session (best effort: an
// unfinished session holds no object and expires on its own after a week).
// Writes must be sequential (no parallel_write).
#pragma once

#include <memory>
#include <string>

#include "storage/gcs/config.h"
#include "storage/gcs/session.h"
#include "storage/storage.h"

namespace wrapp::storage::gcs {

class GcsWriter : public Writer {
 public:
  GcsWriter(std::shared_ptr<Session> session, Url url, Location location, WriteOptions options);
  ~GcsWriter() override;

  void write_at(uint64_t offset, const void* buf, size_t len) override;
  void set_content_hash(const std::string& hash) override;
  void commit() override;

 private:
  // The generation written.
  std::string upload_multipart();
  void start_resumable();
  // Sends buffer_[0, n) at offset sent_ into the session; `last` with the
  // total size (the final request). Returns the generation when last.
  std::string send_chunk(size_t n, bool last);
  // Sleeps before another round of a chunk (jittered, growing with `round`).
  void back_off(int round);
  // How many bytes the session holds (asked after a broken request).
  uint64_t persisted();
  // Sets the content hash on generation `generation` (a resumable upload
  // whose hash came after its initiation).
  void patch_hash(const std::string& generation);
  [[noreturn]] void refused(const http::Response& response, std::string_view action);

  std::shared_ptr<Session> session_;
  Url url_;
  Location location_;
  WriteOptions options_;
  std::string buffer_;       // bytes not yet in the session
  uint64_t written_ = 0;     // bytes given to write_at
  uint64_t sent_ = 0;        // bytes the session holds
  std::string session_uri_;  // of the resumable upload, once started
  bool hash_sent_ = false;   // options_.content_hash went with the upload's metadata
  bool finished_ = false;
};

}  // namespace wrapp::storage::gcs
