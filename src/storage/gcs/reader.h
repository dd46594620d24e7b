// Reads one generation of a GCS object in ranges (media downloads with a
// Range header). Every request carries ifGenerationMatch with the
// generation that was opened, so an object replaced while it is read fails
// the read instead of mixing two contents; where a server ignores that
// (emulators), the size in Content-Range and the x-goog-generation header,
// when sent, are compared as well.
#pragma once

#include <memory>

#include "storage/gcs/json.h"
#include "storage/gcs/session.h"
#include "storage/storage.h"

namespace wrapp::storage::gcs {

class GcsReader : public Reader {
 public:
  GcsReader(std::shared_ptr<Session> session, Url url, Location location, ObjectMeta meta);
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
};

}  // namespace wrapp::storage::gcs
