// Ignore rules: the .gitignore format, as WRAPP uses it for .wrappignore and
// --ignore-file.
//
// Pure and allocation-light: patterns are compiled once at parse() time into
// per-path-component matchers (exact name, "*.ext" suffix, "prefix*",
// "*infix*", or a general glob with precompiled character classes), so a
// query is a reverse scan over the rules with cheap string comparisons. No
// std::regex, no I/O, no caches: every const member is safe to call from many
// threads at once.
//
// Semantics follow gitignore(5) and git's wildmatch:
//  * blank lines match nothing; a line starting with '#' is a comment;
//    trailing spaces are dropped unless escaped ("\ "); a trailing "\r" is
//    dropped (CRLF files); a leading UTF-8 BOM is skipped;
//  * '!' negates (re-includes); "\!" and "\#" are literals; a backslash
//    escapes any character; a pattern ending in a lone backslash, an
//    unterminated '[' or an unknown [:class:] never matches (as in git);
//  * a trailing '/' makes the pattern match directories only;
//  * a '/' at the start or in the middle anchors the pattern to the root;
//    otherwise it matches the last path component at any depth;
//  * '*' and '?' never match '/'; "[...]" supports ranges, "[!...]"/"[^...]",
//    escapes and POSIX classes ("[[:digit:]]");
//  * "**/" leading = any directories, "/**" trailing = everything inside
//    (not the directory itself), "a/**/b" = zero or more directories; any
//    other "**" behaves like '*';
//  * the last matching rule wins; matching is case-sensitive.
//
// Paths passed in are relative to the root, use '/', and have no leading
// slash (a stray leading or trailing '/' is tolerated and dropped).
//
// Bounded: a pattern longer than kMaxIgnorePatternBytes never matches (and
// is not compiled); matching a path costs at most O(pattern x path) per rule
// (no backtracking over "*" or "**"), whatever the pattern.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace wrapp::model {

// Longer than any path a file system holds (PATH_MAX).
inline constexpr size_t kMaxIgnorePatternBytes = 4096;

namespace ignore_detail {

// One element of a compiled glob (one path component).
struct GlobToken {
  enum class Op : std::uint8_t { kChar, kAnyChar, kStar, kClass };
  Op op = Op::kChar;
  unsigned char ch = 0;    // kChar
  std::uint16_t cls = 0;   // kClass: index into Segment::classes
};

// 256-bit byte set for "[...]".
struct ByteSet {
  std::array<std::uint64_t, 4> bits{};
  void set(unsigned char c) { bits[c >> 6] |= std::uint64_t{1} << (c & 63); }
  bool test(unsigned char c) const { return (bits[c >> 6] >> (c & 63)) & 1; }
};

// A compiled pattern for one path component (or "**").
struct Segment {
  enum class Kind : std::uint8_t {
    kLiteral,     // text == literal
    kStar,        // anything ("*")
    kSuffix,      // "*literal"
    kPrefix,      // "literal*"
    kContains,    // "*literal*"
    kGlob,        // general: tokens
    kDoubleStar,  // "**" as a whole component of an anchored pattern
    kNever,       // malformed (unterminated class, trailing backslash, ...)
  };
  Kind kind = Kind::kNever;
  std::string literal;
  std::vector<GlobToken> tokens;
  std::vector<ByteSet> classes;

  bool matches(std::string_view text) const;
};

struct Rule {
  std::string pattern;  // the source line, after trimming (for diagnostics)
  bool negated = false;
  bool dir_only = false;
  bool anchored = false;  // matched against the whole path, else the basename
  bool never = false;     // can never match
  bool has_double_star = false;
  size_t min_parts = 0;            // anchored: fewest path components it can match
  Segment basename;                // !anchored
  std::vector<Segment> segments;   // anchored
};

// Candidate rules by the last byte of the component being matched: a rule
// whose pattern must end in one of a few bytes (".thumbs", "*.tmp",
// "*.sw[op]") is listed only under those bytes; others ("*", "*[!a]") once,
// in a list for every byte, so the index costs at most kMaxIndexedBytes
// entries a rule. Lists are in descending rule order, so the first match is
// the last matching rule.
class RuleIndex {
 public:
  static constexpr size_t kMaxIndexedBytes = 16;
  void build(const std::vector<Rule>& rules);
  // Calls fn(rule id) for every candidate of `last`, in descending order,
  // until it returns true; returns the id it stopped at, or -1.
  template <typename Fn>
  std::int64_t find(unsigned char last, Fn fn) const {
    const std::uint32_t *a = ids_.data() + offsets_[last], *a_end = ids_.data() + offsets_[last + 1];
    const std::uint32_t *b = any_.data(), *b_end = any_.data() + any_.size();
    while (a != a_end || b != b_end) {
      std::uint32_t id = (b == b_end || (a != a_end && *a > *b)) ? *a++ : *b++;
      if (fn(id)) return id;
    }
    return -1;
  }

 private:
  std::array<std::uint32_t, 257> offsets_{};
  std::vector<std::uint32_t> ids_;
  std::vector<std::uint32_t> any_;  // rules whose last byte can be most anything
};

}  // namespace ignore_detail

// One parsed ignore file.
class IgnoreRules {
 public:
  // Never throws on odd patterns: like git, malformed ones just never match.
  static IgnoreRules parse(std::string_view text);

  enum class Match { kNone, kIgnored, kIncluded };

  // Last matching rule's verdict for this one path (does not look at
  // parents): kIgnored for a plain rule, kIncluded for a '!' rule, kNone if
  // no rule matches.
  Match match(std::string_view relative_path, bool is_dir) const;

  // Number of rules (patterns; blank and comment lines are not rules).
  size_t size() const { return rules_.size(); }
  bool empty() const { return rules_.empty(); }
  // The i-th rule's pattern text as written (after '!'/space trimming).
  const std::string& pattern(size_t i) const { return rules_.at(i).pattern; }

 private:
  friend class IgnoreEvaluator;
  std::vector<ignore_detail::Rule> rules_;
  ignore_detail::RuleIndex index_;
};

// The always-on rule plus zero or more rule files, evaluated with git's
// parent-directory semantics: a path is ignored when it, or any of its
// ancestor directories, is ignored; a '!' rule cannot re-include a path whose
// parent directory is ignored.
class IgnoreEvaluator {
 public:
  // Only the built-in rule: files (not directories) whose name ends with
  // ".auto.png" are always ignored; no '!' rule can re-include them.
  IgnoreEvaluator() = default;

  // Later rule sets are evaluated after earlier ones (last match wins across
  // all of them).
  void add_rules(IgnoreRules rules);

  // True if the directory should be skipped entirely during a walk: it or
  // one of its ancestors is ignored.
  bool is_dir_ignored(std::string_view relative_dir) const {
    return is_ignored(relative_dir, true);
  }

  // True if the path is ignored, including because any ancestor directory
  // is ignored. The empty path (the root) is never ignored.
  bool is_ignored(std::string_view relative_path, bool is_dir = false) const;

  // Total number of user rules (the built-in rule is not counted).
  size_t size() const { return rules_.size(); }

  // A caller's own rule (the Python API's IgnoreEvaluator and its
  // predicates): a path is also ignored when `predicate` returns true for
  // it or for one of its parent folders (is_dir true), as for rule files.
  // Called from many threads at once; the built-in rule stays first.
  using Predicate = std::function<bool(std::string_view relative_path, bool is_dir)>;
  void add_predicate(Predicate predicate);

 private:
  bool is_ignored_by_predicates(std::string_view relative_path, bool is_dir) const;

  std::vector<Predicate> predicates_;
  std::vector<ignore_detail::Rule> rules_;  // all sets, in evaluation order
  ignore_detail::RuleIndex index_;
  bool any_ignoring_rule_ = false;          // any non-'!' rule
};

}  // namespace wrapp::model
