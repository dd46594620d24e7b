#include "util/paths.h"

namespace wrapp {

bool is_safe_segment(std::string_view s) {
  if (s.empty() || s == "." || s == "..") return false;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f || c == '/' || c == '\\') return false;
  }
  return true;
}

bool is_safe_relative_path(std::string_view rel) {
  if (rel.empty() || rel.front() == '/') return false;
  size_t i = 0;
  while (i <= rel.size()) {
    size_t j = rel.find('/', i);
    if (j == std::string_view::npos) j = rel.size();
    if (!is_safe_segment(rel.substr(i, j - i))) return false;
    i = j + 1;
  }
  return true;
}

std::string percent_encode_path(std::string_view in) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (unsigned char c : in) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '.' || c == '~' || c == '/' || c == '!' ||
                 c == '$' || c == '&' || c == '\'' || c == '(' || c == ')' || c == '*' ||
                 c == '+' || c == ',' || c == ';' || c == '=' || c == ':' || c == '@';
    if (plain) {
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
