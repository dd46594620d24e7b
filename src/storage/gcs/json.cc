#include "storage/gcs/json.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <ctime>

#include "util/error.h"

namespace wrapp::storage::gcs {
namespace {

using nlohmann::json;

// No answer of the JSON API nests deeper than a few levels; a document that
// does is refused before the parser (or a destructor) recurses into it.
constexpr int kMaxDepth = 32;

[[noreturn]] void malformed(const std::string& what, std::string_view why) {
  throw StorageError(fmt::format("{}: Google Cloud Storage answered with a malformed document ({})", what, why));
}

bool too_deep(std::string_view body) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxDepth) return true;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return false;
}

json parse_document(std::string_view body, const std::string& what) {
  if (too_deep(body)) malformed(what, "nested too deeply");
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) malformed(what, "not JSON");
  if (!j.is_object()) malformed(what, "not a JSON object");
  return j;
}

// An unsigned 64-bit number that GCS sends as a string ("size", and
// "generation"), or as a number.
std::optional<uint64_t> as_u64(const json& j) {
  if (j.is_number_unsigned()) return j.get<uint64_t>();
  if (j.is_number_integer()) {
    int64_t v = j.get<int64_t>();
    if (v < 0) return std::nullopt;
    return static_cast<uint64_t>(v);
  }
  if (!j.is_string()) return std::nullopt;
  const std::string& s = j.get_ref<const std::string&>();
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

const json* member(const json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

std::string string_member(const json& j, const char* key) {
  const json* m = member(j, key);
  return m && m->is_string() ? m->get<std::string>() : std::string();
}

ObjectMeta object_from(const json& j, const std::string& what) {
  if (!j.is_object()) malformed(what, "an object resource is not a JSON object");
  ObjectMeta meta;
  const json* name = member(j, "name");
  if (!name || !name->is_string() || name->get_ref<const std::string&>().empty()) {
    malformed(what, "an object without a name");
  }
  meta.name = name->get<std::string>();
  const json* size = member(j, "size");
  auto parsed_size = size ? as_u64(*size) : std::optional<uint64_t>(0);
  if (!parsed_size) malformed(what, fmt::format("object '{}' has no valid size", shorten_for_message(meta.name, 200)));
  meta.info.size = *parsed_size;
  const json* generation = member(j, "generation");
  auto parsed_generation = generation ? as_u64(*generation) : std::nullopt;
  if (!parsed_generation) {
    malformed(what, fmt::format("object '{}' has no valid generation", shorten_for_message(meta.name, 200)));
  }
  meta.info.etag = std::to_string(*parsed_generation);
  if (auto updated = parse_rfc3339_ns(string_member(j, "updated"))) meta.info.mtime_ns = *updated;
  if (const json* metadata = member(j, "metadata"); metadata && metadata->is_object()) {
    // Only a hash of the expected form is kept: the value is a hint that
    // decides what is downloaded, so garbage must not pass for one.
    std::string hash = string_member(*metadata, std::string(kHashKey).c_str());
    if (hash.size() <= 256) meta.info.content_hash = std::move(hash);
  }
  return meta;
}

}  // namespace

bool is_generation(std::string_view text) {
  if (text.empty() || text.size() > 20) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

ObjectMeta parse_object(std::string_view body, const std::string& what) {
  return object_from(parse_document(body, what), what);
}

ObjectPage parse_object_page(std::string_view body, const std::string& what) {
  json j = parse_document(body, what);
  ObjectPage page;
  if (const json* items = member(j, "items")) {
    if (!items->is_array()) malformed(what, "\"items\" is not a list");
    for (const auto& item : *items) page.items.push_back(object_from(item, what));
  }
  if (const json* prefixes = member(j, "prefixes")) {
    if (!prefixes->is_array()) malformed(what, "\"prefixes\" is not a list");
    for (const auto& p : *prefixes) {
      if (!p.is_string()) malformed(what, "a prefix is not a string");
      page.prefixes.push_back(p.get<std::string>());
    }
  }
  if (const json* token = member(j, "nextPageToken")) {
    if (!token->is_string()) malformed(what, "\"nextPageToken\" is not a string");
    page.next_page_token = token->get<std::string>();
  }
  return page;
}

RewriteStatus parse_rewrite(std::string_view body, const std::string& what) {
  json j = parse_document(body, what);
  RewriteStatus status;
  const json* done = member(j, "done");
  if (!done || !done->is_boolean()) malformed(what, "a rewrite answer without \"done\"");
  status.done = done->get<bool>();
  if (!status.done) {
    status.rewrite_token = string_member(j, "rewriteToken");
    if (status.rewrite_token.empty()) malformed(what, "an unfinished rewrite without a \"rewriteToken\"");
  } else if (const json* resource = member(j, "resource")) {
    status.resource = object_from(*resource, what);
  }
  return status;
}

AccessToken parse_access_token(std::string_view body, const std::string& what) {
  json j = parse_document(body, what);
  AccessToken token;
  token.token = string_member(j, "access_token");
  if (token.token.empty()) malformed(what, "no access_token");
  // Only characters a bearer token may hold (RFC 6750's b64token): it goes
  // into a header, where a line break would be an injection.
  for (char c : token.token) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("-._~+/=").find(c) != std::string_view::npos;
    if (!ok) malformed(what, "an access_token with characters a token cannot have");
  }
  const json* expires = member(j, "expires_in");
  auto seconds = expires ? as_u64(*expires) : std::nullopt;
  token.expires_in = seconds ? static_cast<int64_t>(std::min<uint64_t>(*seconds, 24 * 3600)) : 3600;
  return token;
}

std::string error_summary(std::string_view body) {
  if (body.empty() || too_deep(body)) return {};
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return {};
  std::string reason, message;
  if (const json* error = member(j, "error")) {
    if (error->is_object()) {
      message = string_member(*error, "message");
      if (const json* errors = member(*error, "errors"); errors && errors->is_array() && !errors->empty()) {
        reason = string_member(errors->front(), "reason");
        if (message.empty()) message = string_member(errors->front(), "message");
      }
    } else if (error->is_string()) {  // OAuth2 token endpoint
      reason = error->get<std::string>();
      message = string_member(j, "error_description");
    }
  }
  std::string out = reason.empty() ? message : (message.empty() ? reason : reason + ": " + message);
  return shorten_for_message(out, 512);
}

std::optional<int64_t> parse_rfc3339_ns(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
  auto digits = [&](size_t at, size_t n, int& out) {
    if (at + n > text.size()) return false;
    out = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  int year, month, day, hour, minute, second;
  if (!digits(0, 4, year) || text.size() < 20 || text[4] != '-' || !digits(5, 2, month) || text[7] != '-' ||
      !digits(8, 2, day) || (text[10] != 'T' && text[10] != 't') || !digits(11, 2, hour) || text[13] != ':' ||
      !digits(14, 2, minute) || text[16] != ':' || !digits(17, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  size_t at = 19;
  int64_t nanos = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    int64_t scale = 100'000'000;
    size_t start = at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      nanos += (text[at] - '0') * scale;
      scale /= 10;
      ++at;
    }
    if (at == start) return std::nullopt;
  }
  int64_t offset = 0;
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    int oh, om;
    if (!digits(at + 1, 2, oh) || at + 3 >= text.size() || text[at + 3] != ':' || !digits(at + 4, 2, om)) {
      return std::nullopt;
    }
    offset = (text[at] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != text.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  int64_t seconds = static_cast<int64_t>(::timegm(&tm)) - offset;
  return seconds * 1'000'000'000 + nanos;
}

}  // namespace wrapp::storage::gcs
