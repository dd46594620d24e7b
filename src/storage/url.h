// URLs of everything wrapp touches: local paths, file:// URLs and, later,
// s3://, gs:// and https:// object-store URLs.
//
// A Url is always absolute and lexically normalised: bare paths are resolved
// against the working directory, "." segments and duplicate slashes are
// removed, ".." segments are resolved (and refused above the root). The path
// never ends in "/" except for the root itself.
#pragma once

#include <string>
#include <string_view>

namespace wrapp::storage {

class Url {
 public:
  Url() = default;

  // Parses a bare path ("a/b", "/abs") or a URL ("file:///abs", "s3://b/k").
  // Throws FailedCommand naming the input when it is malformed.
  static Url parse(std::string_view text);

  static Url from_local_path(std::string_view path);

  const std::string& scheme() const { return scheme_; }
  // Host, bucket or account; empty for file URLs.
  const std::string& authority() const { return authority_; }
  // Decoded, absolute, normalised path ("/" for the root).
  const std::string& path() const { return path_; }
  bool is_local() const { return scheme_ == "file"; }

  // Appends a relative, forward-slash path. Refuses (FailedCommand) absolute
  // paths and any ".." segment: callers join untrusted catalog paths here.
  Url join(std::string_view relative) const;
  Url parent() const;
  // Last path segment ("" for the root).
  std::string name() const;

  // If this Url is `base` or lies below it, returns the relative path
  // ("" for equal) and true.
  bool relative_to(const Url& base, std::string* relative) const;

  // Canonical text form: "file:///abs/path" with reserved bytes %-encoded.
  std::string str() const;
  // What a user wants to read in a message: the local path for file URLs.
  std::string display() const;

  bool operator==(const Url&) const = default;
  bool operator<(const Url& o) const { return str() < o.str(); }

 private:
  std::string scheme_;
  std::string authority_;
  std::string path_ = "/";
};

}  // namespace wrapp::storage
