// URLs of everything wrapp touches: local paths, file:// URLs and, later,
// s3://, gs:// and https:// object-store URLs.
//
// A Url is always absolute and lexically normalised: bare paths are resolved
// against the working directory, "." segments and duplicate slashes are
// removed, ".." segments are resolved (and refused above the root). The path
// never ends in "/" except for the root itself.
//
// The anchor. A Url remembers how much of its path was given by a user (on
// the command line, in Python, as a repository recorded in a package file):
// parse() anchors the whole path, join() keeps the anchor of the Url it
// extends, and parent() never leaves the anchor below the path. Storage
// trusts the anchor as it is (a user may point at a symbolic link), but
// resolves what lies beneath it without following links for writes and
// deletes (storage/storage.h). So `repo.join(".packages/p/1/x")` can only
// ever write below the repository the user named.
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

  // The anchor's length in path(): path().substr(0, anchor_size()) is the
  // part a user gave; the rest is resolved without following links.
  size_t anchor_size() const { return anchor_size_; }
  // The anchor as a Url of its own.
  Url anchor() const;
  // The path beneath the anchor, relative ("" when the Url is its anchor).
  std::string beneath_anchor() const;
  // This Url anchored at its whole path: for a location that is itself
  // given by a user (a dependency's recorded repository).
  Url anchored() const;

  // If this Url is `base` or lies below it, returns the relative path
  // ("" for equal) and true.
  bool relative_to(const Url& base, std::string* relative) const;

  // Canonical text form: "file:///abs/path" with reserved bytes %-encoded.
  std::string str() const;
  // What a user wants to read in a message: the local path for file URLs.
  std::string display() const;

  // Equal when they name the same object; anchors are not compared.
  bool operator==(const Url& o) const {
    return scheme_ == o.scheme_ && authority_ == o.authority_ && path_ == o.path_;
  }
  bool operator<(const Url& o) const { return str() < o.str(); }

 private:
  std::string scheme_;
  std::string authority_;
  std::string path_ = "/";
  size_t anchor_size_ = 1;
};

}  // namespace wrapp::storage
