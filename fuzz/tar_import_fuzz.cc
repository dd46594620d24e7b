// util/tar on any input, as import reads an archive: every member's header
// and data (tar and tar.gz), package files parsed; what it reads is written
// again by tar::Writer and must read back the same.
#include <cstring>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "model/package_info.h"
#include "util/json_writer.h"
#include "util/paths.h"
#include "util/tar.h"

namespace {

wrapp::tar::Reader::Source memory_source(std::string_view bytes, size_t& offset) {
  wrapp::tar::Reader::Source s;
  s.read = [bytes, &offset](void* buf, size_t len) {
    size_t n = std::min(len, bytes.size() - offset);
    std::memcpy(buf, bytes.data() + offset, n);
    offset += n;
    return n;
  };
  s.skip = [bytes, &offset](uint64_t n) {
    uint64_t k = std::min<uint64_t>(n, bytes.size() - offset);
    offset += k;
    return k;
  };
  return s;
}

struct Read {
  std::string path;
  std::string data;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wrapp;
  using fuzz::require;
  std::vector<Read> files;
  fuzz::accepted([&] {
    size_t offset = 0;
    tar::Reader reader(memory_source(fuzz::as_text(data, size), offset), "fuzz.tar");
    while (auto h = reader.next()) {
      std::string bytes;
      char buf[4096];
      for (size_t n; (n = reader.read(buf, sizeof buf)) > 0;) {
        bytes.append(buf, n);
        require(bytes.size() <= h->size || h->type != tar::MemberType::kFile, "more data than the header says");
        if (bytes.size() > (64u << 20)) return;  // a gzip bomb: enough
      }
      if (h->type != tar::MemberType::kFile) continue;
      require(bytes.size() == h->size, "a member ended short without an error");
      if (h->path.size() > 7 && h->path.starts_with('.') && h->path.ends_with(".wrapp")) {
        fuzz::accepted([&] { model::PackageInfo::parse(bytes, h->path); });
      }
      // What export would write: safe UTF-8 paths.
      if (files.size() < 16 && is_safe_relative_path(h->path) && is_valid_utf8(h->path)) {
        files.push_back({h->path, std::move(bytes)});
      }
    }
  });
  // What was read, written again, reads back the same.
  std::string archive;
  {
    tar::Writer writer([&](const void* p, size_t n) { archive.append(static_cast<const char*>(p), n); }, "again.tar");
    for (const auto& f : files) {
      writer.begin_file(f.path, f.data.size(), 0644, 0);
      writer.write(f.data.data(), f.data.size());
    }
    writer.finish();
  }
  size_t offset = 0;
  tar::Reader again(memory_source(archive, offset), "again.tar");
  for (const auto& f : files) {
    auto h = again.next();
    require(h && h->type == tar::MemberType::kFile && h->path == f.path && h->size == f.data.size(),
            "a written member reads back otherwise");
    std::string bytes;
    char buf[4096];
    for (size_t n; (n = again.read(buf, sizeof buf)) > 0;) bytes.append(buf, n);
    require(bytes == f.data, "a written member's bytes read back otherwise");
  }
  require(!again.next(), "more members read back than written");
  return 0;
}
