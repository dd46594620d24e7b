#include "storage/url.h"

#include <algorithm>

#include <unistd.h>

#include <climits>
#include <vector>

#include "util/error.h"
#include "util/paths.h"

namespace wrapp::storage {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view in, std::string_view original) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size() || hex_value(in[i + 1]) < 0 || hex_value(in[i + 2]) < 0) {
        fail("malformed URL '{}': bad percent-escape", original);
      }
      out.push_back(static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2])));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

// Lexical normalisation of an absolute path; ".." above the root is refused.
std::string normalize_absolute(std::string_view path, std::string_view original) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view seg = path.substr(i, j - i);
    if (seg.empty() || seg == ".") {
    } else if (seg == "..") {
      if (parts.empty()) fail("path '{}' goes above the root", original);
      parts.pop_back();
    } else {
      parts.push_back(seg);
    }
    i = j + 1;
  }
  std::string out;
  for (auto p : parts) {
    out += '/';
    out += p;
  }
  return out.empty() ? "/" : out;
}

std::string current_directory() {
  char buf[PATH_MAX];
  if (!getcwd(buf, sizeof buf)) throw_errno("cannot read the working directory", ".", errno);
  return buf;
}

}  // namespace

Url Url::from_local_path(std::string_view path) {
  if (path.empty()) fail("empty path");
  if (path.find('\0') != std::string_view::npos) fail("path contains a NUL byte");
  Url u;
  u.scheme_ = "file";
  std::string abs = path.front() == '/' ? std::string(path) : current_directory() + "/" + std::string(path);
  u.path_ = normalize_absolute(abs, path);
  u.anchor_size_ = u.path_.size();
  return u;
}

Url Url::parse(std::string_view text) {
  size_t colon = text.find("://");
  if (colon == std::string_view::npos) return from_local_path(text);
  std::string scheme(text.substr(0, colon));
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view rest = text.substr(colon + 3);
  size_t slash = rest.find('/');
  std::string_view authority = slash == std::string_view::npos ? rest : rest.substr(0, slash);
  std::string_view raw_path = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
  if (scheme.empty()) fail("malformed URL '{}': empty scheme", text);
  Url u;
  u.scheme_ = scheme;
  if (scheme == "file") {
    if (!authority.empty() && authority != "localhost") {
      fail("unsupported file URL '{}': only local files (file:///path) are supported", text);
    }
  } else {
    if (authority.empty()) fail("malformed URL '{}': no host or bucket", text);
    u.authority_ = std::string(authority);
  }
  // Strip query/fragment: not part of a storage path.
  size_t q = raw_path.find_first_of("?#");
  if (q != std::string_view::npos) raw_path = raw_path.substr(0, q);
  std::string decoded = percent_decode(raw_path, text);
  if (decoded.find('\0') != std::string::npos) fail("malformed URL '{}': contains a NUL byte", text);
  u.path_ = normalize_absolute(decoded, text);
  u.anchor_size_ = u.path_.size();
  return u;
}

Url Url::join(std::string_view relative) const {
  if (relative.empty()) return *this;
  // The common case, catalog paths (already validated): plain concatenation.
  if (is_safe_relative_path(relative)) {
    Url u = *this;
    if (u.path_.size() > 1) u.path_.push_back('/');
    u.path_.append(relative);
    return u;
  }
  if (relative.front() == '/' || relative.find('\\') != std::string_view::npos) {
    fail("path '{}' is not a relative path", relative);
  }
  size_t i = 0;
  while (i <= relative.size()) {
    size_t j = relative.find('/', i);
    if (j == std::string_view::npos) j = relative.size();
    if (relative.substr(i, j - i) == "..") fail("path '{}' contains '..'", relative);
    i = j + 1;
  }
  Url u = *this;
  u.path_ = normalize_absolute(path_ + "/" + std::string(relative), relative);
  return u;
}

Url Url::parent() const {
  Url u = *this;
  size_t slash = path_.rfind('/');
  u.path_ = slash == 0 ? "/" : path_.substr(0, slash);
  u.anchor_size_ = std::min(anchor_size_, u.path_.size());
  return u;
}

Url Url::anchor() const {
  Url u = *this;
  u.path_ = path_.substr(0, anchor_size_);
  return u;
}

std::string Url::beneath_anchor() const {
  if (path_.size() <= anchor_size_) return "";
  size_t start = anchor_size_ == 1 ? 1 : anchor_size_ + 1;  // the root "/" has no separator after it
  return path_.substr(start);
}

Url Url::anchored() const {
  Url u = *this;
  u.anchor_size_ = path_.size();
  return u;
}

std::string Url::name() const {
  if (path_ == "/") return "";
  return path_.substr(path_.rfind('/') + 1);
}

bool Url::relative_to(const Url& base, std::string* relative) const {
  if (scheme_ != base.scheme_ || authority_ != base.authority_) return false;
  if (path_ == base.path_) {
    relative->clear();
    return true;
  }
  std::string prefix = base.path_ == "/" ? "/" : base.path_ + "/";
  if (path_.compare(0, prefix.size(), prefix) != 0) return false;
  *relative = path_.substr(prefix.size());
  return true;
}

std::string Url::str() const {
  if (scheme_ == "file") return "file://" + percent_encode_path(path_);
  return scheme_ + "://" + authority_ + percent_encode_path(path_);
}

std::string Url::display() const { return scheme_ == "file" ? path_ : str(); }

}  // namespace wrapp::storage
