#include "util/tar.h"

#include <locale.h>

#include <exception>
#include <vector>

#include "util/archive_library.h"
#include "util/error.h"

namespace wrapp::tar {

namespace {

// libarchive, loaded by the first archive read or written (archive_library.h).
const util::ArchiveLibrary& lib() { return util::archive_library(); }

// libarchive converts member names between the archive's charset and the
// current locale's, and in the "C" locale a program starts in it cannot
// convert UTF-8 at all (it even crashes writing a pax header). Every call
// into libarchive therefore runs with a UTF-8 LC_CTYPE on its thread
// (uselocale: nothing else in the process sees it), so names pass as the
// UTF-8 bytes they are. Without a UTF-8 locale on the system, names still
// pass as bytes (pax marks them hdrcharset=BINARY).
class Utf8Names {
 public:
  Utf8Names() {
    static locale_t utf8 = [] {
      locale_t l = ::newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
      return l ? l : ::newlocale(LC_CTYPE_MASK, "en_US.UTF-8", static_cast<locale_t>(0));
    }();
    if (utf8) previous_ = ::uselocale(utf8);
  }
  ~Utf8Names() {
    if (previous_) ::uselocale(previous_);
  }
  Utf8Names(const Utf8Names&) = delete;
  Utf8Names& operator=(const Utf8Names&) = delete;

 private:
  locale_t previous_ = static_cast<locale_t>(0);
};

std::string archive_message(archive* a) {
  const char* text = lib().archive_error_string(a);
  return text ? text : "unknown error";
}

}  // namespace

const char* member_type_name(MemberType type) {
  switch (type) {
    case MemberType::kFile: return "file";
    case MemberType::kDirectory: return "folder";
    case MemberType::kSymlink: return "symbolic link";
    case MemberType::kHardlink: return "hard link";
    case MemberType::kOther: return "device, FIFO or socket";
  }
  return "?";
}

// ---------------------------------------------------------------------------
// Writer

struct Writer::Impl {
  Sink sink;
  std::string origin;
  archive* a = nullptr;
  // An exception from the sink, kept while libarchive unwinds its C frames.
  std::exception_ptr failure;
  bool abandoned = false;
  bool finished = false;
  bool in_member = false;
  std::string member;
  uint64_t remaining = 0;

  // Here, not in ~Writer: a constructor that throws leaves no Writer to
  // destroy, only its Impl.
  ~Impl() {
    if (!a) return;
    Utf8Names names;
    abandoned = !finished;  // an unfinished archive: nothing more reaches the sink
    lib().archive_write_free(a);
  }

  static la_ssize_t on_write(archive*, void* self, const void* data, size_t len) {
    auto* impl = static_cast<Impl*>(self);
    if (impl->abandoned) return static_cast<la_ssize_t>(len);
    try {
      impl->sink(data, len);
      return static_cast<la_ssize_t>(len);
    } catch (...) {
      impl->failure = std::current_exception();
      return -1;
    }
  }

  [[noreturn]] void fail_call(const char* what) {
    if (failure) std::rethrow_exception(failure);
    throw FailedCommand(fmt::format("cannot write tar archive '{}': {}: {}", shorten_for_message(origin), what,
                                    archive_message(a)));
  }

  void check_member_complete() {
    if (in_member && remaining != 0) {
      throw FailedCommand(fmt::format("tar archive '{}': member '{}' ended {} bytes short of its size",
                                      shorten_for_message(origin), shorten_for_message(member), remaining));
    }
  }
};

Writer::Writer(Sink sink, std::string origin) : impl_(std::make_unique<Impl>()) {
  impl_->sink = std::move(sink);
  impl_->origin = std::move(origin);
  Utf8Names names;
  impl_->a = lib().archive_write_new();
  if (!impl_->a) throw std::bad_alloc();
  if (lib().archive_write_set_format_pax_restricted(impl_->a) != ARCHIVE_OK) impl_->fail_call("format");
  // The sink gets about a megabyte at a time (100 of tar's 10240-byte
  // records, not a write call per record), and the end is padded to a whole
  // record as tar(1) pads it.
  if (lib().archive_write_set_bytes_per_block(impl_->a, 100 * 10240) != ARCHIVE_OK ||
      lib().archive_write_set_bytes_in_last_block(impl_->a, 10240) != ARCHIVE_OK) {
    impl_->fail_call("block size");
  }
  if (lib().archive_write_open(impl_->a, impl_.get(), nullptr, &Impl::on_write, nullptr) != ARCHIVE_OK) {
    impl_->fail_call("open");
  }
}

Writer::~Writer() = default;

void Writer::begin_file(std::string_view path, uint64_t size, uint32_t mode, int64_t mtime) {
  Impl& w = *impl_;
  w.check_member_complete();
  Utf8Names names;
  std::unique_ptr<archive_entry, void (*)(archive_entry*)> entry(lib().archive_entry_new(), lib().archive_entry_free);
  if (!entry) throw std::bad_alloc();
  std::string name(path);
  lib().archive_entry_set_pathname(entry.get(), name.c_str());
  lib().archive_entry_set_filetype(entry.get(), AE_IFREG);
  lib().archive_entry_set_perm(entry.get(), mode & 07777);
  lib().archive_entry_set_size(entry.get(), static_cast<la_int64_t>(size));
  lib().archive_entry_set_mtime(entry.get(), mtime, 0);
  // ARCHIVE_WARN: written, with a name that had to be stored as raw bytes.
  if (lib().archive_write_header(w.a, entry.get()) < ARCHIVE_WARN) w.fail_call("header");
  w.in_member = true;
  w.member = std::move(name);
  w.remaining = size;
}

void Writer::write(const void* data, size_t len) {
  Impl& w = *impl_;
  if (!w.in_member || len > w.remaining) {
    throw FailedCommand(fmt::format("tar archive '{}': more data than member '{}' holds",
                                    shorten_for_message(w.origin), shorten_for_message(w.member)));
  }
  Utf8Names names;
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    la_ssize_t n = lib().archive_write_data(w.a, p, len);
    if (n <= 0) w.fail_call("data");
    p += n;
    len -= static_cast<size_t>(n);
    w.remaining -= static_cast<uint64_t>(n);
  }
}

void Writer::finish() {
  Impl& w = *impl_;
  w.check_member_complete();
  Utf8Names names;
  if (lib().archive_write_close(w.a) != ARCHIVE_OK) w.fail_call("close");
  w.finished = true;
}

// ---------------------------------------------------------------------------
// Reader

namespace {
constexpr size_t kReadBlock = 1 << 20;
}

struct Reader::Impl {
  Source source;
  std::string origin;
  archive* a = nullptr;
  std::vector<char> buffer;
  std::exception_ptr failure;

  ~Impl() {
    if (!a) return;
    Utf8Names names;
    lib().archive_read_free(a);
  }

  static la_ssize_t on_read(archive*, void* self, const void** out) {
    auto* impl = static_cast<Impl*>(self);
    try {
      size_t n = impl->source.read(impl->buffer.data(), impl->buffer.size());
      *out = impl->buffer.data();
      return static_cast<la_ssize_t>(n);
    } catch (...) {
      impl->failure = std::current_exception();
      return -1;
    }
  }

  static la_int64_t on_skip(archive*, void* self, la_int64_t request) {
    auto* impl = static_cast<Impl*>(self);
    if (!impl->source.skip || request <= 0) return 0;
    try {
      return static_cast<la_int64_t>(impl->source.skip(static_cast<uint64_t>(request)));
    } catch (...) {
      impl->failure = std::current_exception();
      return -1;
    }
  }

  [[noreturn]] void fail_call() {
    if (failure) std::rethrow_exception(failure);
    throw FailedCommand(fmt::format("'{}' is not a valid tar archive (plain or gzip-compressed): {}",
                                    shorten_for_message(origin), archive_message(a)),
                        ErrorCode::kBadInput);
  }
};

Reader::Reader(Source source, std::string origin) : impl_(std::make_unique<Impl>()) {
  impl_->source = std::move(source);
  impl_->origin = std::move(origin);
  impl_->buffer.resize(kReadBlock);
  Utf8Names names;
  impl_->a = lib().archive_read_new();
  if (!impl_->a) throw std::bad_alloc();
  archive* a = impl_->a;
  if (lib().archive_read_support_format_tar(a) != ARCHIVE_OK || lib().archive_read_support_filter_gzip(a) < ARCHIVE_WARN) {
    impl_->fail_call();
  }
  lib().archive_read_set_callback_data(a, impl_.get());
  lib().archive_read_set_read_callback(a, &Impl::on_read);
  lib().archive_read_set_skip_callback(a, &Impl::on_skip);
  if (lib().archive_read_open1(a) != ARCHIVE_OK) impl_->fail_call();
}

Reader::~Reader() = default;

std::optional<MemberHeader> Reader::next() {
  Impl& r = *impl_;
  Utf8Names names;
  archive_entry* entry = nullptr;
  int rc = lib().archive_read_next_header(r.a, &entry);
  if (rc == ARCHIVE_EOF) return std::nullopt;
  // ARCHIVE_WARN: a header libarchive could read, with something it
  // mended (a name it could not convert): the caller checks the name.
  if (rc < ARCHIVE_WARN || !entry) r.fail_call();
  MemberHeader h;
  const char* path = lib().archive_entry_pathname(entry);
  if (path) h.path = path;
  mode_t type = lib().archive_entry_filetype(entry);
  if (const char* hardlink = lib().archive_entry_hardlink(entry)) {
    h.type = MemberType::kHardlink;
    h.link_target = hardlink;
  } else if (type == AE_IFREG) {
    h.type = MemberType::kFile;
  } else if (type == AE_IFDIR) {
    h.type = MemberType::kDirectory;
  } else if (type == AE_IFLNK) {
    h.type = MemberType::kSymlink;
    if (const char* target = lib().archive_entry_symlink(entry)) h.link_target = target;
  } else {
    h.type = MemberType::kOther;
  }
  la_int64_t size = lib().archive_entry_size(entry);
  h.size = size > 0 ? static_cast<uint64_t>(size) : 0;
  h.mode = lib().archive_entry_perm(entry) & 07777;
  h.mtime = lib().archive_entry_mtime(entry);
  return h;
}

size_t Reader::read(void* buf, size_t len) {
  Impl& r = *impl_;
  Utf8Names names;
  la_ssize_t n = lib().archive_read_data(r.a, buf, len);
  if (n < 0) r.fail_call();
  return static_cast<size_t>(n);
}

}  // namespace wrapp::tar
