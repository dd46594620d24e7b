#include "util/paths.h"

namespace wrapp {

static_assert(kMaxSegmentBytes == 255 && kMaxPathBytes == 4096, "the messages below name these numbers");

std::string_view segment_problem(std::string_view s) {
  if (s.empty()) return "an empty name";
  if (s == "." || s == "..") return "'.' or '..'";
  if (s.size() > kMaxSegmentBytes) return "a name longer than 255 bytes";
  for (unsigned char c : s) {
    if (c == '/') return "a '/'";
    if (c == '\\') return "a backslash";
    if (c < 0x20 || c == 0x7f) return "a control character";
  }
  return {};
}

std::string_view relative_path_problem(std::string_view rel) {
  if (rel.empty()) return "an empty path";
  if (rel.front() == '/') return "an absolute path";
  if (rel.size() > kMaxPathBytes) return "a path longer than 4096 bytes";
  size_t i = 0;
  while (i <= rel.size()) {
    size_t j = rel.find('/', i);
    if (j == std::string_view::npos) j = rel.size();
    std::string_view segment = rel.substr(i, j - i);
    if (segment.empty()) return "an empty segment";
    if (segment == "..") return "a '..' segment";
    if (segment == ".") return "a '.' segment";
    if (segment.size() > kMaxSegmentBytes) return "a segment longer than 255 bytes";
    if (std::string_view p = segment_problem(segment); !p.empty()) return p;
    i = j + 1;
  }
  return {};
}

bool is_safe_segment(std::string_view s) { return segment_problem(s).empty(); }

bool is_safe_relative_path(std::string_view rel) { return relative_path_problem(rel).empty(); }

namespace {

constexpr const char* kHex = "0123456789ABCDEF";

bool plain_in_path(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~' || c == '/' || c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' ||
         c == ')' || c == '*' || c == '+' || c == ',' || c == ';' || c == '=' || c == ':' || c == '@';
}

}  // namespace

bool equals_percent_encoded(std::string_view encoded, std::string_view path) {
  size_t k = 0;
  for (unsigned char c : path) {
    if (plain_in_path(c)) {
      if (k >= encoded.size() || encoded[k] != static_cast<char>(c)) return false;
      ++k;
    } else {
      if (k + 3 > encoded.size() || encoded[k] != '%' || encoded[k + 1] != kHex[c >> 4] ||
          encoded[k + 2] != kHex[c & 15]) {
        return false;
      }
      k += 3;
    }
  }
  return k == encoded.size();
}

std::string percent_encode_path(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (unsigned char c : in) {
    if (plain_in_path(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace wrapp
