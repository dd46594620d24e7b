#include "storage/storage.h"

#include "storage/local_storage.h"
#include "util/error.h"

namespace wrapp::storage {

Storage& storage_for(const Url& url) {
  static LocalStorage local;
  if (url.scheme() == "file") return local;
  fail("No storage backend available to handle URL '{}' (supported: local paths and file:// URLs)", url.str());
}

std::optional<std::string> read_all(const Url& url) {
  auto reader = storage_for(url).open_read(url);
  if (!reader) return std::nullopt;
  std::string out(reader->size(), '\0');
  size_t n = reader->read_at(0, out.data(), out.size());
  out.resize(n);
  return out;
}

void write_all(const Url& url, const std::string& content, const WriteOptions& options) {
  WriteOptions opts = options;
  opts.size_hint = content.size();
  auto writer = storage_for(url).open_write(url, opts);
  writer->write_at(0, content.data(), content.size());
  writer->commit();
}

}  // namespace wrapp::storage
