#include "storage/s3/s3_xml.h"

#include <expat.h>
#include <time.h>

#include <charconv>
#include <cstring>
#include <functional>

#include "util/error.h"

namespace wrapp::storage::s3 {

namespace {

// Walks a document, calling on_end(path, text) for every element as it
// closes: path is the names from the root ("ListBucketResult/Contents/Key"),
// text the element's own character data (only kept for leaf elements).
class Walker {
 public:
  using OnEnd = std::function<void(const std::string& path, const std::string& text)>;

  explicit Walker(OnEnd on_end) : on_end_(std::move(on_end)) {}

  // Returns "" on success, else why the document was refused.
  std::string walk(std::string_view xml) {
    if (xml.size() > kMaxDocument) return "the document is too large";
    XML_Parser p = XML_ParserCreate(nullptr);
    if (!p) return "out of memory";
    struct Free {
      XML_Parser p;
      ~Free() { XML_ParserFree(p); }
    } free_parser{p};
    parser_ = p;
    XML_SetUserData(p, this);
    XML_SetElementHandler(p, &Walker::start, &Walker::end);
    XML_SetCharacterDataHandler(p, &Walker::text);
    // S3 never sends a DTD: refusing one means no entity is ever defined,
    // let alone expanded.
    XML_SetStartDoctypeDeclHandler(p, &Walker::doctype);
    if (XML_Parse(p, xml.data(), static_cast<int>(xml.size()), XML_TRUE) == XML_STATUS_ERROR) {
      if (!refusal_.empty()) return refusal_;
      return fmt::format("malformed XML at line {}: {}", XML_GetCurrentLineNumber(p),
                         XML_ErrorString(XML_GetErrorCode(p)));
    }
    return refusal_;
  }

 private:
  void refuse(std::string why) {
    if (refusal_.empty()) refusal_ = std::move(why);
    XML_StopParser(parser_, XML_FALSE);
  }

  static void start(void* user, const XML_Char* name, const XML_Char**) {
    auto* w = static_cast<Walker*>(user);
    if (!w->refusal_.empty()) return;
    if (++w->depth_ > kMaxDepth) return w->refuse("elements nested too deep");
    std::string_view local(name);
    if (auto colon = local.rfind(':'); colon != std::string_view::npos) local.remove_prefix(colon + 1);
    w->lengths_.push_back(w->path_.size());
    if (!w->path_.empty()) w->path_ += '/';
    w->path_ += local;
    w->text_.clear();
  }

  static void end(void* user, const XML_Char*) {
    auto* w = static_cast<Walker*>(user);
    if (!w->refusal_.empty()) return;
    try {
      w->on_end_(w->path_, w->text_);
    } catch (const std::exception& e) {
      return w->refuse(e.what());
    }
    w->text_.clear();
    w->path_.resize(w->lengths_.back());
    w->lengths_.pop_back();
    --w->depth_;
  }

  static void text(void* user, const XML_Char* s, int len) {
    auto* w = static_cast<Walker*>(user);
    if (!w->refusal_.empty()) return;
    if (w->text_.size() + static_cast<size_t>(len) > kMaxText) return w->refuse("an element's text is too long");
    w->text_.append(s, static_cast<size_t>(len));
  }

  static void doctype(void* user, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    static_cast<Walker*>(user)->refuse("a DOCTYPE (S3 sends none)");
  }

  OnEnd on_end_;
  XML_Parser parser_ = nullptr;
  size_t depth_ = 0;
  std::string path_;
  std::vector<size_t> lengths_;
  std::string text_;
  std::string refusal_;
};

[[noreturn]] void refuse(const std::string& where, const std::string& what, const std::string& why) {
  throw StorageError(fmt::format("S3 sent an unreadable {} for '{}': {}", what, where, why));
}

void walk_or_throw(std::string_view xml, const std::string& where, const char* what, Walker::OnEnd on_end) {
  std::string why = Walker(std::move(on_end)).walk(xml);
  if (!why.empty()) refuse(where, what, why);
}

uint64_t parse_size(const std::string& text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    throw std::runtime_error("a Size that is not a number");
  }
  return value;
}

// Two digits, or -1.
int digits(std::string_view s, size_t at, size_t n) {
  if (at + n > s.size()) return -1;
  int value = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

std::optional<int64_t> to_ns(int year, int month, int day, int hour, int minute, int second, int64_t nanos) {
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  struct tm t {};
  t.tm_year = year - 1900;
  t.tm_mon = month - 1;
  t.tm_mday = day;
  t.tm_hour = hour;
  t.tm_min = minute;
  t.tm_sec = second;
  time_t seconds = timegm(&t);
  if (seconds < 0) return std::nullopt;
  return static_cast<int64_t>(seconds) * 1'000'000'000 + nanos;
}

}  // namespace

std::optional<int64_t> parse_time(std::string_view s) {
  // ISO 8601: 2009-10-12T17:50:30[.000]Z
  if (s.size() >= 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s.back() == 'Z') {
    int64_t nanos = 0;
    size_t at = 19;
    if (s[at] == '.') {
      int64_t scale = 100'000'000;
      for (++at; at + 1 < s.size() && s[at] >= '0' && s[at] <= '9'; ++at, scale /= 10) nanos += (s[at] - '0') * scale;
    }
    if (at + 1 != s.size()) return std::nullopt;
    return to_ns(digits(s, 0, 4), digits(s, 5, 2), digits(s, 8, 2), digits(s, 11, 2), digits(s, 14, 2),
                 digits(s, 17, 2), nanos);
  }
  // HTTP date: Wed, 12 Oct 2009 17:50:30 GMT
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() == 29 && s.substr(25) == " GMT" && s[3] == ',') {
    int month = 0;
    for (int m = 0; m < 12; ++m) {
      if (s.substr(8, 3) == months[m]) month = m + 1;
    }
    if (s[19] != ':' || s[22] != ':') return std::nullopt;
    return to_ns(digits(s, 12, 4), month, digits(s, 5, 2), digits(s, 17, 2), digits(s, 20, 2), digits(s, 23, 2), 0);
  }
  return std::nullopt;
}

ListResult parse_list(std::string_view xml, const std::string& where) {
  ListResult out;
  ListedObject current;
  size_t entries = 0;
  walk_or_throw(xml, where, "listing", [&](const std::string& path, const std::string& text) {
    if (path == "ListBucketResult/Contents/Key") {
      current.key = text;
    } else if (path == "ListBucketResult/Contents/Size") {
      current.size = parse_size(text);
    } else if (path == "ListBucketResult/Contents/ETag") {
      current.etag = text;
    } else if (path == "ListBucketResult/Contents/LastModified") {
      current.mtime_ns = parse_time(text).value_or(0);
    } else if (path == "ListBucketResult/Contents") {
      if (current.key.empty()) throw std::runtime_error("an entry without a Key");
      if (++entries > kMaxEntries) throw std::runtime_error("too many entries");
      out.objects.push_back(std::move(current));
      current = ListedObject{};
    } else if (path == "ListBucketResult/CommonPrefixes/Prefix") {
      if (++entries > kMaxEntries) throw std::runtime_error("too many entries");
      out.prefixes.push_back(text);
    } else if (path == "ListBucketResult/IsTruncated") {
      out.truncated = text == "true";
    } else if (path == "ListBucketResult/NextContinuationToken") {
      out.next_token = text;
    } else if (path.find('/') == std::string::npos && path != "ListBucketResult") {
      throw std::runtime_error("a <" + path.substr(0, 64) + "> document, not a ListBucketResult");
    }
  });
  if (out.truncated && out.next_token.empty()) refuse(where, "listing", "a truncated page without a continuation token");
  return out;
}

std::string parse_upload_id(std::string_view xml, const std::string& where) {
  std::string id;
  walk_or_throw(xml, where, "multipart upload", [&](const std::string& path, const std::string& text) {
    if (path == "InitiateMultipartUploadResult/UploadId") id = text;
  });
  if (id.empty()) refuse(where, "multipart upload", "no UploadId");
  return id;
}

std::string parse_result_etag(std::string_view xml, const std::string& where) {
  std::string etag;
  walk_or_throw(xml, where, "result", [&](const std::string& path, const std::string& text) {
    if (path == "CopyObjectResult/ETag" || path == "CopyPartResult/ETag" ||
        path == "CompleteMultipartUploadResult/ETag") {
      etag = text;
    }
  });
  if (etag.empty()) refuse(where, "result", "no ETag");
  return etag;
}

std::optional<ErrorInfo> parse_error(std::string_view xml) {
  ErrorInfo info;
  bool is_error = false;
  std::string why = Walker([&](const std::string& path, const std::string& text) {
                      if (path == "Error") is_error = true;
                      if (path == "Error/Code") info.code = text;
                      if (path == "Error/Message") info.message = text;
                    }).walk(xml);
  if (!why.empty() || !is_error) return std::nullopt;
  return info;
}

}  // namespace wrapp::storage::s3
