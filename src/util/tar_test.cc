#include "util/tar.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "util/error.h"
#include "util/test_data.h"

namespace wrapp::tar {
namespace {

struct File {
  std::string path;
  std::string data;
  uint32_t mode = 0644;
};

std::string write_archive(const std::vector<File>& files) {
  std::string out;
  Writer w([&](const void* data, size_t len) { out.append(static_cast<const char*>(data), len); }, "test.tar");
  for (const auto& f : files) {
    w.begin_file(f.path, f.data.size(), f.mode, 1700000000);
    // In uneven pieces: the writer must not care how data arrives.
    for (size_t off = 0; off < f.data.size();) {
      size_t n = std::min<size_t>(f.data.size() - off, 77777);
      w.write(f.data.data() + off, n);
      off += n;
    }
  }
  w.finish();
  return out;
}

// A source over `bytes`, with or without a skip callback.
Reader::Source source_of(const std::string& bytes, size_t& offset, bool seekable) {
  Reader::Source s;
  s.read = [&bytes, &offset](void* buf, size_t len) {
    size_t n = std::min(len, bytes.size() - offset);
    std::memcpy(buf, bytes.data() + offset, n);
    offset += n;
    return n;
  };
  if (seekable) {
    s.skip = [&bytes, &offset](uint64_t n) {
      uint64_t k = std::min<uint64_t>(n, bytes.size() - offset);
      offset += k;
      return k;
    };
  }
  return s;
}

std::string read_data(Reader& r) {
  std::string out;
  char buf[4096];
  for (size_t n; (n = r.read(buf, sizeof buf)) > 0;) out.append(buf, n);
  return out;
}

// One hand-made ustar header (what other tools write: links, devices).
std::string ustar_header(const std::string& name, char type, uint64_t size, const std::string& link = "") {
  std::string h(512, '\0');
  std::memcpy(&h[0], name.data(), std::min<size_t>(name.size(), 100));
  std::snprintf(&h[100], 8, "%07o", 0644);
  std::snprintf(&h[108], 8, "%07o", 0);
  std::snprintf(&h[116], 8, "%07o", 0);
  std::snprintf(&h[124], 12, "%011llo", static_cast<unsigned long long>(size));
  std::snprintf(&h[136], 12, "%011o", 0);
  h[156] = type;
  std::memcpy(&h[157], link.data(), std::min<size_t>(link.size(), 100));
  std::memcpy(&h[257], "ustar", 6);
  h[263] = '0';
  h[264] = '0';
  std::memset(&h[148], ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(&h[148], 8, "%06o", sum);
  return h;
}

TEST(Tar, RoundTripKeepsNamesModesAndBytes) {
  std::vector<File> files{{".pkg.wrapp", "{}\n", 0444},
                          {"a.txt", "alpha\n"},
                          {"empty.txt", ""},
                          {"ünïcode/ß.txt", "unicode\n"},
                          {std::string(150, 'd') + "/" + std::string(120, 'f'), "a long name\n"},
                          {"big.bin", wrapp::testing::pattern(3 * (1 << 20) + 5, 3), 0755}};
  std::string archive = write_archive(files);
  EXPECT_EQ(archive.size() % 10240, 0u) << "records are padded as tar(1) pads them";
  for (bool seekable : {false, true}) {
    size_t offset = 0;
    Reader r(source_of(archive, offset, seekable), "test.tar");
    for (const auto& f : files) {
      auto h = r.next();
      ASSERT_TRUE(h.has_value()) << f.path;
      EXPECT_EQ(h->path, f.path);
      EXPECT_EQ(h->type, MemberType::kFile);
      EXPECT_EQ(h->size, f.data.size());
      EXPECT_EQ(h->mode, f.mode);
      EXPECT_EQ(h->mtime, 1700000000);
      EXPECT_EQ(read_data(r), f.data) << f.path;
    }
    EXPECT_FALSE(r.next().has_value());
  }
}

TEST(Tar, MembersOf8GiBAndMoreKeepTheirSize) {
  // ustar's size field ends at 8 GiB - 1: the writer adds a pax size
  // record. Only the head is written (a header is flushed with its first
  // record of data); the reader needs no more to report the size.
  constexpr uint64_t kSize = (uint64_t{9} << 30) + 7;
  std::string head;
  {
    Writer w([&](const void* data, size_t len) { head.append(static_cast<const char*>(data), len); }, "big.tar");
    w.begin_file("huge.bin", kSize, 0644, 0);
    std::string zeros(1 << 20, '\0');
    w.write(zeros.data(), zeros.size());
  }  // abandoned: nothing more reaches the sink
  ASSERT_GE(head.size(), 10240u);
  EXPECT_NE(head.find("size=9663676423"), std::string::npos);
  head.resize(10240);
  head.append(std::string(1 << 20, '\0'));  // enough data for the reader to start
  size_t offset = 0;
  Reader r(source_of(head, offset, false), "big.tar");
  auto h = r.next();
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->path, "huge.bin");
  EXPECT_EQ(h->size, kSize);
}

TEST(Tar, UnreadDataIsSkipped) {
  std::string archive = write_archive({{"a.bin", wrapp::testing::pattern(2 << 20, 1)}, {"b.txt", "bravo"}});
  size_t offset = 0;
  Reader r(source_of(archive, offset, true), "test.tar");
  ASSERT_EQ(r.next()->path, "a.bin");
  auto h = r.next();
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->path, "b.txt");
  EXPECT_EQ(read_data(r), "bravo");
}

TEST(Tar, LinksFoldersAndDevicesAreReportedAsSuch) {
  std::string archive = ustar_header("dir/", '5', 0) + ustar_header("sym", '2', 0, "/etc/passwd") +
                        ustar_header("hard", '1', 0, "dir/x") + ustar_header("fifo", '6', 0) +
                        ustar_header("chr", '3', 0) + std::string(1024, '\0');
  size_t offset = 0;
  Reader r(source_of(archive, offset, false), "test.tar");
  std::vector<std::pair<MemberType, std::string>> seen;
  while (auto h = r.next()) seen.emplace_back(h->type, h->link_target);
  std::vector<std::pair<MemberType, std::string>> expected{{MemberType::kDirectory, ""},
                                                           {MemberType::kSymlink, "/etc/passwd"},
                                                           {MemberType::kHardlink, "dir/x"},
                                                           {MemberType::kOther, ""},
                                                           {MemberType::kOther, ""}};
  EXPECT_EQ(seen, expected);
}

TEST(Tar, GarbageAndTruncatedArchivesAreBadInput) {
  std::string archive = write_archive({{"a.bin", wrapp::testing::pattern(100000, 2)}});
  for (const std::string& bytes : {std::string("this is not a tar archive, not even close"),
                                   archive.substr(0, 512 + 5000)}) {
    size_t offset = 0;
    try {
      Reader r(source_of(bytes, offset, false), "bad.tar");
      while (r.next()) read_data(r);
      ADD_FAILURE() << "accepted " << bytes.size() << " bytes";
    } catch (const FailedCommand& e) {
      EXPECT_EQ(e.code(), ErrorCode::kBadInput) << e.what();
      EXPECT_NE(std::string(e.what()).find("bad.tar"), std::string::npos) << e.what();
    }
  }
}

TEST(Tar, CallbackErrorsComeOutUnchanged) {
  Writer w([](const void*, size_t) { throw StorageError("disk full", ErrorCode::kIo); }, "out.tar");
  EXPECT_THROW(
      {
        w.begin_file("a.bin", 1 << 20, 0644, 0);
        std::string data(1 << 20, 'x');
        w.write(data.data(), data.size());
        w.finish();
      },
      StorageError);

  Reader::Source failing;
  failing.read = [](void*, size_t) -> size_t { throw StorageError("read failed", ErrorCode::kIo); };
  EXPECT_THROW(
      {
        Reader r(failing, "in.tar");
        r.next();
      },
      StorageError);
}

TEST(Tar, MemberSizesAreEnforced) {
  std::string out;
  auto sink = [&](const void* data, size_t len) { out.append(static_cast<const char*>(data), len); };
  {
    Writer w(sink, "out.tar");
    w.begin_file("a", 3, 0644, 0);
    EXPECT_THROW(w.write("abcd", 4), FailedCommand);
  }
  {
    Writer w(sink, "out.tar");
    w.begin_file("a", 3, 0644, 0);
    w.write("ab", 2);
    EXPECT_THROW(w.begin_file("b", 0, 0644, 0), FailedCommand);
  }
  {
    Writer w(sink, "out.tar");
    w.begin_file("a", 3, 0644, 0);
    EXPECT_THROW(w.finish(), FailedCommand);
  }
}

}  // namespace
}  // namespace wrapp::tar
