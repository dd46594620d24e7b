// Reads one generation of a GCS object: whole, into memory, when it is
// small (Config::snapshot_limit), else in ranges (media downloads with a
// Range header). Every download carries ifGenerationMatch with the
// generation that was opened, so an object replaced while it is read fails
// the read instead of mixing two contents; where a server ignores that
// (emulators), the size in Content-Range and the x-goog-generation header,
// when sent, are compared as well.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "storage/gcs/json.h"
#include "storage/gcs/session.h"
#include "storage/storage.h"

namespace wrapp::storage::gcs {

class GcsReader : public Reader {
 public:
  // `snapshot`: the whole content, already downloaded; nullptr to read in
  // ranges.
  GcsReader(std::shared_ptr<Session> session, Url url, Location location, ObjectMeta meta,
            std::shared_ptr<const std::string> snapshot = nullptr);
  uint64_t size() const override { return meta_.info.size; }
  size_t read_at(uint64_t offset, void* buf, size_t len) override;
  FileInfo info() const override { return meta_.info; }

 private:
  // One ranged request for [offset, offset + len); returns the bytes it got.
  size_t read_range(uint64_t offset, char* buf, size_t len);
  [[noreturn]] void changed(std::string_view how) const;

  std::shared_ptr<Session> session_;
  Url url_;
  Location location_;
  ObjectMeta meta_;
  std::shared_ptr<const std::string> snapshot_;
};

// The whole content of generation `meta` of the object; nullopt when that
// generation is no longer there (replaced or removed: open it again).
std::optional<std::string> download_generation(Session& session, const Url& url, const Location& location,
                                               const ObjectMeta& meta);

}  // namespace wrapp::storage::gcs
