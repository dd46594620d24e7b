#include "model/ignore_rules.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <utility>

namespace wrapp::model {

using ignore_detail::ByteSet;
using ignore_detail::GlobToken;
using ignore_detail::Rule;
using ignore_detail::Segment;

namespace {

constexpr size_t npos = std::string_view::npos;
constexpr std::string_view kAutoPngSuffix = ".auto.png";
// Paths deeper than this share the matching of "**" rules among their
// parent folders (see PrefixMatches).
constexpr size_t kSharedPrefixDepth = 16;

// ---------------------------------------------------------------------------
// Character classes ("[...]"), following git's wildmatch.c.

bool add_posix_class(std::string_view name, ByteSet* set) {
  auto add_if = [set](auto pred) {
    for (int c = 0; c < 256; ++c) {
      if (pred(c)) set->set(static_cast<unsigned char>(c));
    }
  };
  auto is_upper = [](int c) { return c >= 'A' && c <= 'Z'; };
  auto is_lower = [](int c) { return c >= 'a' && c <= 'z'; };
  auto is_digit = [](int c) { return c >= '0' && c <= '9'; };
  auto is_alpha = [=](int c) { return is_upper(c) || is_lower(c); };
  auto is_alnum = [=](int c) { return is_alpha(c) || is_digit(c); };
  auto is_graph = [](int c) { return c > 32 && c < 127; };
  if (name == "alnum") {
    add_if(is_alnum);
  } else if (name == "alpha") {
    add_if(is_alpha);
  } else if (name == "blank") {
    add_if([](int c) { return c == ' ' || c == '\t'; });
  } else if (name == "cntrl") {
    add_if([](int c) { return c < 32 || c == 127; });
  } else if (name == "digit") {
    add_if(is_digit);
  } else if (name == "graph") {
    add_if(is_graph);
  } else if (name == "lower") {
    add_if(is_lower);
  } else if (name == "print") {
    add_if([](int c) { return c >= 32 && c < 127; });
  } else if (name == "punct") {
    add_if([=](int c) { return is_graph(c) && !is_alnum(c); });
  } else if (name == "space") {
    add_if([](int c) { return c == ' ' || (c >= '\t' && c <= '\r'); });
  } else if (name == "upper") {
    add_if(is_upper);
  } else if (name == "xdigit") {
    add_if([=](int c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); });
  } else {
    return false;  // git aborts the whole match on an unknown class
  }
  return true;
}

// Parses the class opening at raw[open] == '['. Returns the index of the
// closing ']' and fills *set, or npos if the class is malformed (git then
// makes the whole pattern fail to match).
size_t parse_class(std::string_view raw, size_t open, ByteSet* set) {
  const size_t n = raw.size();
  size_t p = open + 1;
  bool negated = false;
  if (p < n && (raw[p] == '!' || raw[p] == '^')) {
    negated = true;
    ++p;
  }
  bool first = true;
  bool has_prev = false;
  unsigned char prev = 0;
  for (;; ++p) {
    if (p >= n) return npos;
    unsigned char c = static_cast<unsigned char>(raw[p]);
    if (c == ']' && !first) break;  // a ']' right after '[' or '[!' is literal
    first = false;
    if (c == '\\') {
      if (++p >= n) return npos;
      c = static_cast<unsigned char>(raw[p]);
      set->set(c);
      prev = c;
      has_prev = true;
    } else if (c == '-' && has_prev && p + 1 < n && raw[p + 1] != ']') {
      c = static_cast<unsigned char>(raw[++p]);
      if (c == '\\') {
        if (++p >= n) return npos;
        c = static_cast<unsigned char>(raw[p]);
      }
      for (int x = prev; x <= c; ++x) set->set(static_cast<unsigned char>(x));
      has_prev = false;
    } else if (c == '[' && p + 1 < n && raw[p + 1] == ':') {
      size_t s = p + 2;
      size_t q = s;
      while (q < n && raw[q] != ']') ++q;
      if (q >= n) return npos;
      if (q == s || raw[q - 1] != ':') {
        // No ":]": the '[' is an ordinary member; go on with the ':'.
        set->set('[');
        prev = '[';
        has_prev = true;
      } else {
        if (!add_posix_class(raw.substr(s, q - 1 - s), set)) return npos;
        p = q;
        has_prev = false;
      }
    } else {
      set->set(c);
      prev = c;
      has_prev = true;
    }
  }
  if (negated) {
    for (auto& word : set->bits) word = ~word;
  }
  // With pathname semantics a class never matches '/'.
  set->bits['/' >> 6] &= ~(std::uint64_t{1} << ('/' & 63));
  return p;
}

// ---------------------------------------------------------------------------
// Compiling one path component.

Segment compile_segment(std::string_view raw, bool allow_double_star) {
  Segment seg;
  if (allow_double_star && raw.size() >= 2 && raw.find_first_not_of('*') == npos) {
    seg.kind = Segment::Kind::kDoubleStar;
    return seg;
  }
  std::vector<GlobToken>& toks = seg.tokens;
  for (size_t i = 0; i < raw.size();) {
    const char c = raw[i];
    GlobToken t;
    if (c == '\\') {
      if (i + 1 >= raw.size()) {
        seg.kind = Segment::Kind::kNever;  // lone trailing backslash
        seg.tokens.clear();
        return seg;
      }
      t.op = GlobToken::Op::kChar;
      t.ch = static_cast<unsigned char>(raw[i + 1]);
      i += 2;
    } else if (c == '*') {
      while (i < raw.size() && raw[i] == '*') ++i;
      t.op = GlobToken::Op::kStar;
    } else if (c == '?') {
      t.op = GlobToken::Op::kAnyChar;
      ++i;
    } else if (c == '[') {
      ByteSet set;
      size_t close = parse_class(raw, i, &set);
      if (close == npos) {
        seg.kind = Segment::Kind::kNever;
        seg.tokens.clear();
        seg.classes.clear();
        return seg;
      }
      t.op = GlobToken::Op::kClass;
      t.cls = static_cast<std::uint16_t>(seg.classes.size());
      seg.classes.push_back(set);
      i = close + 1;
    } else {
      t.op = GlobToken::Op::kChar;
      t.ch = static_cast<unsigned char>(c);
      ++i;
    }
    toks.push_back(t);
  }

  // Pick a fast path when the shape allows one.
  size_t stars = 0;
  size_t others = 0;  // '?' and classes
  for (const GlobToken& t : toks) {
    if (t.op == GlobToken::Op::kStar) {
      ++stars;
    } else if (t.op != GlobToken::Op::kChar) {
      ++others;
    }
  }
  auto chars = [&](size_t from, size_t to) {
    std::string s;
    s.reserve(to - from);
    for (size_t k = from; k < to; ++k) s.push_back(static_cast<char>(toks[k].ch));
    return s;
  };
  const size_t n = toks.size();
  const bool star_front = n > 0 && toks.front().op == GlobToken::Op::kStar;
  const bool star_back = n > 0 && toks.back().op == GlobToken::Op::kStar;
  if (others == 0 && stars == 0) {
    seg.kind = Segment::Kind::kLiteral;
    seg.literal = chars(0, n);
  } else if (others == 0 && stars == 1 && n == 1) {
    seg.kind = Segment::Kind::kStar;
  } else if (others == 0 && stars == 1 && star_front) {
    seg.kind = Segment::Kind::kSuffix;
    seg.literal = chars(1, n);
  } else if (others == 0 && stars == 1 && star_back) {
    seg.kind = Segment::Kind::kPrefix;
    seg.literal = chars(0, n - 1);
  } else if (others == 0 && stars == 2 && star_front && star_back) {
    seg.kind = Segment::Kind::kContains;
    seg.literal = chars(1, n - 1);
  } else {
    seg.kind = Segment::Kind::kGlob;
    return seg;
  }
  seg.tokens.clear();
  return seg;
}

bool glob_match(const Segment& seg, std::string_view text) {
  const std::vector<GlobToken>& toks = seg.tokens;
  const size_t np = toks.size();
  const size_t nt = text.size();
  size_t p = 0;
  size_t t = 0;
  size_t star_p = npos;  // token index after the last '*' seen
  size_t star_t = 0;     // text index that '*' is currently assumed to end at
  while (t < nt) {
    if (p < np) {
      const GlobToken& tok = toks[p];
      const unsigned char c = static_cast<unsigned char>(text[t]);
      bool ok = false;
      switch (tok.op) {
        case GlobToken::Op::kStar:
          star_p = ++p;
          star_t = t;
          continue;
        case GlobToken::Op::kChar:
          ok = tok.ch == c;
          break;
        case GlobToken::Op::kAnyChar:
          ok = c != '/';
          break;
        case GlobToken::Op::kClass:
          ok = seg.classes[tok.cls].test(c);
          break;
      }
      if (ok) {
        ++p;
        ++t;
        continue;
      }
    }
    if (star_p == npos || text[star_t] == '/') return false;  // '*' never eats '/'
    p = star_p;
    t = ++star_t;
  }
  while (p < np && toks[p].op == GlobToken::Op::kStar) ++p;
  return p == np;
}

// ---------------------------------------------------------------------------
// Parsing lines.

// git's trim_trailing_spaces(): drops unescaped trailing ' ' (not tabs).
std::string_view trim_trailing_spaces(std::string_view s) {
  size_t last_space = npos;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ' ') {
      if (last_space == npos) last_space = i;
    } else if (s[i] == '\\') {
      if (++i >= s.size()) return s;  // trailing backslash: keep as is
      last_space = npos;
    } else {
      last_space = npos;
    }
  }
  return last_space == npos ? s : s.substr(0, last_space);
}

// Splits an anchored pattern at '/' (an escaped "\/" also separates),
// keeping '/' that sit inside a well-formed "[...]".
std::vector<std::string_view> split_pattern(std::string_view p) {
  std::vector<std::string_view> out;
  size_t start = 0;
  size_t i = 0;
  while (i < p.size()) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size() && p[i + 1] == '/') {
      out.push_back(p.substr(start, i - start));
      i += 2;
      start = i;
    } else if (c == '\\') {
      i += 2;
    } else if (c == '[') {
      ByteSet unused;
      size_t close = parse_class(p, i, &unused);
      i = close == npos ? i + 1 : close + 1;
    } else if (c == '/') {
      out.push_back(p.substr(start, i - start));
      start = ++i;
    } else {
      ++i;
    }
  }
  out.push_back(p.substr(start, std::min(i, p.size()) - start));
  return out;
}

std::optional<Rule> compile_rule(std::string_view line) {
  Rule r;
  if (line.size() > kMaxIgnorePatternBytes) {
    // No path component or path of a file system is that long: such a line
    // is garbage (a binary file given as rules, say). Like any malformed
    // pattern it never matches, and it is not compiled, nor kept whole.
    r.pattern = std::string(line.substr(0, 64)) + "...";
    r.never = true;
    return r;
  }
  r.pattern = std::string(line);
  std::string_view p = line;
  if (!p.empty() && p.front() == '!') {
    r.negated = true;
    p.remove_prefix(1);
  }
  if (!p.empty() && p.back() == '/') {
    r.dir_only = true;
    p.remove_suffix(1);
  }
  if (p.empty()) return std::nullopt;
  r.anchored = p.find('/') != npos;
  if (!r.anchored) {
    r.basename = compile_segment(p, /*allow_double_star=*/false);
    r.never = r.basename.kind == Segment::Kind::kNever;
    return r;
  }
  if (p.front() == '/') p.remove_prefix(1);
  if (p.empty()) return std::nullopt;
  for (std::string_view raw : split_pattern(p)) {
    Segment seg = compile_segment(raw, /*allow_double_star=*/true);
    if (seg.kind == Segment::Kind::kNever) r.never = true;
    if (seg.kind == Segment::Kind::kDoubleStar) {
      // "**/**" is the same as "**".
      if (!r.segments.empty() && r.segments.back().kind == Segment::Kind::kDoubleStar) continue;
      r.has_double_star = true;
    }
    r.segments.push_back(std::move(seg));
  }
  if (r.never) r.segments.clear();
  for (const Segment& seg : r.segments) {
    // A trailing "**" needs one component; others need none.
    if (seg.kind != Segment::Kind::kDoubleStar || &seg == &r.segments.back()) ++r.min_parts;
  }
  return r;
}

// ---------------------------------------------------------------------------
// Matching.

// A path split into components without allocating for ordinary depths.
class PathParts {
 public:
  explicit PathParts(std::string_view path) {
    size_t start = 0;
    while (start < path.size()) {
      size_t slash = path.find('/', start);
      size_t end = slash == npos ? path.size() : slash;
      if (end > start) push(path.substr(start, end - start));  // skips "" of "a//b", "/a", "a/"
      if (slash == npos) break;
      start = slash + 1;
    }
  }
  size_t size() const { return n_; }
  const std::string_view* data() const { return n_ <= kInline ? inline_.data() : heap_.data(); }

 private:
  static constexpr size_t kInline = 32;
  void push(std::string_view s) {
    if (n_ < kInline) {
      inline_[n_++] = s;
      return;
    }
    if (heap_.empty()) heap_.assign(inline_.begin(), inline_.end());
    heap_.push_back(s);
    ++n_;
  }
  std::array<std::string_view, kInline> inline_{};
  std::vector<std::string_view> heap_;
  size_t n_ = 0;
};

// Whole-path match of an anchored pattern with "**" components, without
// backtracking: every way the "**"s can split the path is followed at once
// (live[i]: segments [0, i) have matched the parts read so far), so a
// pattern like "**/a/**/a/**/a/**/b" costs O(segments x parts), never
// exponential time. With `prefixes` (n + 1 zeroed bytes), also records for
// every k whether the first k parts match: one pass answers for every
// parent folder of the path.
bool match_segments(const Segment* seg, size_t m, const std::string_view* parts, size_t n,
                    char* prefixes = nullptr) {
  constexpr size_t kInline = 64;
  std::array<char, 2 * kInline> inline_buffer{};
  std::vector<char> heap_buffer;
  char* live = inline_buffer.data();
  if (m + 1 > kInline) {
    heap_buffer.assign(2 * (m + 1), 0);
    live = heap_buffer.data();
  }
  char* next = live + (m + 1);
  auto is_double_star = [&](size_t i) { return seg[i].kind == Segment::Kind::kDoubleStar; };
  // A "**" that is not last also matches zero components.
  auto close = [&](char* state) {
    for (size_t i = 0; i + 1 < m; ++i) {
      if (state[i] && is_double_star(i)) state[i + 1] = 1;
    }
  };
  live[0] = 1;
  close(live);
  for (size_t k = 0; k < n; ++k) {
    std::fill(next, next + m + 1, 0);
    bool any = false;
    for (size_t i = 0; i < m; ++i) {
      if (!live[i]) continue;
      if (is_double_star(i)) {
        next[i] = 1;  // it takes this component too
        if (i + 1 == m) next[m] = 1;  // trailing "/**": one component or more, not the dir itself
        any = true;
      } else if (seg[i].matches(parts[k])) {
        next[i + 1] = 1;
        any = true;
      }
    }
    if (!any) return false;
    close(next);
    std::swap(live, next);
    if (prefixes) prefixes[k + 1] = live[m];
  }
  return live[m] != 0;
}

// The prefix matches of the "**" rules for one deep path, computed on first
// use: the evaluator asks about the path and each of its parent folders,
// which would cost O(segments x parts^2) one by one.
class PrefixMatches {
 public:
  PrefixMatches(const std::string_view* parts, size_t n) : parts_(parts), n_(n) {}
  // Whether rule `id` (anchored, with "**") matches the first k parts.
  bool matches(const Rule& r, std::uint32_t id, size_t k) {
    auto [it, added] = memo_.try_emplace(id);
    if (added) {
      it->second.assign(n_ + 1, 0);
      match_segments(r.segments.data(), r.segments.size(), parts_, n_, it->second.data());
    }
    return it->second[k] != 0;
  }

 private:
  const std::string_view* parts_;
  size_t n_;
  std::unordered_map<std::uint32_t, std::vector<char>> memo_;
};

// `prefixes`, when given, holds the whole path of which these are the first
// n parts.
bool rule_matches(const Rule& r, std::uint32_t id, const std::string_view* parts, size_t n, bool is_dir,
                  PrefixMatches* prefixes) {
  if (r.never || (r.dir_only && !is_dir)) return false;
  if (!r.anchored) return r.basename.matches(parts[n - 1]);
  if (r.has_double_star) {
    if (n < r.min_parts) return false;
    // Cheap reject on the last component before backtracking over "**".
    const Segment& last = r.segments.back();
    if (last.kind != Segment::Kind::kDoubleStar && !last.matches(parts[n - 1])) return false;
    if (prefixes) return prefixes->matches(r, id, n);
    return match_segments(r.segments.data(), r.segments.size(), parts, n);
  }
  if (r.segments.size() != n) return false;
  // Last component first: it is the one most likely to differ.
  for (size_t i = n; i-- > 0;) {
    if (!r.segments[i].matches(parts[i])) return false;
  }
  return true;
}

IgnoreRules::Match verdict(const std::vector<Rule>& rules, const ignore_detail::RuleIndex& index,
                           const std::string_view* parts, size_t n, bool is_dir,
                           PrefixMatches* prefixes = nullptr) {
  const unsigned char last = static_cast<unsigned char>(parts[n - 1].back());
  std::int64_t id =
      index.find(last, [&](std::uint32_t i) { return rule_matches(rules[i], i, parts, n, is_dir, prefixes); });
  if (id < 0) return IgnoreRules::Match::kNone;
  return rules[static_cast<size_t>(id)].negated ? IgnoreRules::Match::kIncluded : IgnoreRules::Match::kIgnored;
}

// The bytes a component matched by `r` can end with.
ByteSet last_bytes(const Rule& r) {
  ByteSet all;
  for (auto& word : all.bits) word = ~std::uint64_t{0};
  ByteSet none;
  if (r.never) return none;
  const Segment& seg = r.anchored ? r.segments.back() : r.basename;
  switch (seg.kind) {
    case Segment::Kind::kLiteral:
    case Segment::Kind::kSuffix:
      if (seg.literal.empty()) return none;
      none.set(static_cast<unsigned char>(seg.literal.back()));
      return none;
    case Segment::Kind::kGlob: {
      const GlobToken& t = seg.tokens.back();
      if (t.op == GlobToken::Op::kChar) {
        none.set(t.ch);
        return none;
      }
      if (t.op == GlobToken::Op::kClass) return seg.classes[t.cls];
      return all;
    }
    case Segment::Kind::kNever:
      return none;
    default:
      return all;
  }
}

}  // namespace

namespace ignore_detail {

bool Segment::matches(std::string_view text) const {
  switch (kind) {
    // The first/last byte is compared inline before memcmp: most candidates
    // are rejected there (literal is never empty for these kinds).
    case Kind::kLiteral:
      return text.size() == literal.size() && text.front() == literal.front() &&
             std::memcmp(text.data(), literal.data(), text.size()) == 0;
    case Kind::kStar:
    case Kind::kDoubleStar:
      return true;
    case Kind::kSuffix:
      return text.size() >= literal.size() && text.back() == literal.back() &&
             std::memcmp(text.data() + (text.size() - literal.size()), literal.data(), literal.size()) == 0;
    case Kind::kPrefix:
      return text.size() >= literal.size() && text.front() == literal.front() &&
             std::memcmp(text.data(), literal.data(), literal.size()) == 0;
    case Kind::kContains:
      return text.find(literal) != npos;
    case Kind::kGlob:
      return glob_match(*this, text);
    case Kind::kNever:
      return false;
  }
  return false;
}

void RuleIndex::build(const std::vector<Rule>& rules) {
  std::vector<ByteSet> sets;
  sets.reserve(rules.size());
  ids_.clear();
  any_.clear();
  for (const Rule& r : rules) {
    sets.push_back(last_bytes(r));
    size_t count = 0;
    for (std::uint64_t word : sets.back().bits) count += static_cast<size_t>(__builtin_popcountll(word));
    if (count > kMaxIndexedBytes) {
      any_.push_back(static_cast<std::uint32_t>(sets.size() - 1));
      sets.back() = ByteSet{};  // listed once, not under each byte
    }
  }
  std::reverse(any_.begin(), any_.end());
  for (int c = 0; c < 256; ++c) {
    offsets_[c] = static_cast<std::uint32_t>(ids_.size());
    for (size_t i = rules.size(); i-- > 0;) {
      if (sets[i].test(static_cast<unsigned char>(c))) ids_.push_back(static_cast<std::uint32_t>(i));
    }
  }
  offsets_[256] = static_cast<std::uint32_t>(ids_.size());
}

}  // namespace ignore_detail

IgnoreRules IgnoreRules::parse(std::string_view text) {
  IgnoreRules out;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == npos ? npos : nl - pos);
    pos = nl == npos ? text.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    line = trim_trailing_spaces(line);
    if (std::optional<Rule> rule = compile_rule(line)) out.rules_.push_back(std::move(*rule));
  }
  out.index_.build(out.rules_);
  return out;
}

IgnoreRules::Match IgnoreRules::match(std::string_view relative_path, bool is_dir) const {
  PathParts parts(relative_path);
  if (parts.size() == 0) return Match::kNone;
  return verdict(rules_, index_, parts.data(), parts.size(), is_dir);
}

void IgnoreEvaluator::add_rules(IgnoreRules rules) {
  for (Rule& r : rules.rules_) {
    if (!r.negated && !r.never) any_ignoring_rule_ = true;
    rules_.push_back(std::move(r));
  }
  index_.build(rules_);
}

bool IgnoreEvaluator::is_ignored(std::string_view relative_path, bool is_dir) const {
  PathParts parts(relative_path);
  const size_t n = parts.size();
  if (n == 0) return false;
  const std::string_view* p = parts.data();
  if (!is_dir && p[n - 1].ends_with(kAutoPngSuffix)) return true;
  if (!predicates_.empty() && is_ignored_by_predicates(relative_path, is_dir)) return true;
  if (!any_ignoring_rule_) return false;
  // Deep paths share one pass of each "**" rule among all their parents;
  // shallow ones (nearly all) are cheaper without the bookkeeping.
  std::optional<PrefixMatches> shared;
  if (n > kSharedPrefixDepth) shared.emplace(p, n);
  PrefixMatches* prefixes = shared ? &*shared : nullptr;
  if (verdict(rules_, index_, p, n, is_dir, prefixes) == IgnoreRules::Match::kIgnored) return true;
  // git cannot re-include a path whose parent directory is excluded.
  for (size_t k = 1; k < n; ++k) {
    if (verdict(rules_, index_, p, k, /*is_dir=*/true, prefixes) == IgnoreRules::Match::kIgnored) return true;
  }
  return false;
}

void IgnoreEvaluator::add_predicate(Predicate predicate) { predicates_.push_back(std::move(predicate)); }

bool IgnoreEvaluator::is_ignored_by_predicates(std::string_view relative_path, bool is_dir) const {
  while (!relative_path.empty() && relative_path.front() == '/') relative_path.remove_prefix(1);
  while (!relative_path.empty() && relative_path.back() == '/') relative_path.remove_suffix(1);
  for (const Predicate& predicate : predicates_) {
    if (predicate(relative_path, is_dir)) return true;
    // The parents, nearest the root first: an ignored folder hides all below.
    for (size_t slash = relative_path.find('/'); slash != std::string_view::npos;
         slash = relative_path.find('/', slash + 1)) {
      if (predicate(relative_path.substr(0, slash), true)) return true;
    }
  }
  return false;
}

}  // namespace wrapp::model
