#include "model/ignore_rules.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "util/test_data.h"

namespace wrapp::model {
namespace {

using Match = IgnoreRules::Match;

// Verdict of one rule file for one path, without parent semantics.
Match m(std::string_view rules, std::string_view path, bool is_dir = false) {
  return IgnoreRules::parse(rules).match(path, is_dir);
}

IgnoreEvaluator evaluator(std::string_view rules) {
  IgnoreEvaluator e;
  e.add_rules(IgnoreRules::parse(rules));
  return e;
}

// ---------------------------------------------------------------------------
// Line syntax

TEST(IgnoreParseTest, BlankLinesAndCommentsAreNotRules) {
  IgnoreRules r = IgnoreRules::parse("\n\n# a comment\n   \n#*.txt\nfoo\n\n");
  EXPECT_EQ(r.size(), 1u);
  EXPECT_EQ(r.pattern(0), "foo");
  EXPECT_EQ(r.match("foo", false), Match::kIgnored);
  // The commented-out pattern has no effect.
  EXPECT_EQ(r.match("a.txt", false), Match::kNone);
  EXPECT_EQ(IgnoreRules::parse("").size(), 0u);
  EXPECT_EQ(IgnoreRules::parse("# only\n#comments").size(), 0u);
}

TEST(IgnoreParseTest, EscapedHashIsALiteral) {
  EXPECT_EQ(IgnoreRules::parse("#foo").size(), 0u);
  EXPECT_EQ(m("\\#foo", "#foo"), Match::kIgnored);
  EXPECT_EQ(m("\\#foo", "foo"), Match::kNone);
  EXPECT_EQ(m("\\#foo", "dir/#foo"), Match::kIgnored);
  // A '#' that is not first is an ordinary character.
  EXPECT_EQ(m("a#b", "a#b"), Match::kIgnored);
}

TEST(IgnoreParseTest, EscapedBangIsALiteral) {
  EXPECT_EQ(m("\\!important!.txt", "!important!.txt"), Match::kIgnored);
  EXPECT_EQ(m("\\!important!.txt", "important!.txt"), Match::kNone);
  // Unescaped, it negates.
  EXPECT_EQ(m("!important!.txt", "important!.txt"), Match::kIncluded);
}

TEST(IgnoreParseTest, TrailingSpacesAreIgnoredUnlessEscaped) {
  EXPECT_EQ(m("foo   ", "foo"), Match::kIgnored);
  EXPECT_EQ(m("foo   ", "foo   "), Match::kNone);
  EXPECT_EQ(m("foo\\ ", "foo "), Match::kIgnored);
  EXPECT_EQ(m("foo\\ ", "foo"), Match::kNone);
  // Only the spaces after the escaped one go.
  EXPECT_EQ(m("foo\\   ", "foo "), Match::kIgnored);
  EXPECT_EQ(m("foo\\   ", "foo   "), Match::kNone);
  // Tabs are not trimmed, and leading spaces are significant.
  EXPECT_EQ(m("foo\t", "foo\t"), Match::kIgnored);
  EXPECT_EQ(m("foo\t", "foo"), Match::kNone);
  EXPECT_EQ(m(" foo", " foo"), Match::kIgnored);
  EXPECT_EQ(m(" foo", "foo"), Match::kNone);
}

TEST(IgnoreParseTest, CrLfAndBomAreHandled) {
  IgnoreRules r = IgnoreRules::parse("\xEF\xBB\xBF*.tmp\r\n# c\r\nbuild/\r\n");
  EXPECT_EQ(r.size(), 2u);
  EXPECT_EQ(r.match("a.tmp", false), Match::kIgnored);
  EXPECT_EQ(r.match("build", true), Match::kIgnored);
  EXPECT_EQ(r.match("build", false), Match::kNone);
}

TEST(IgnoreParseTest, BackslashEscapesAnyCharacter) {
  EXPECT_EQ(m("\\a\\b\\c", "abc"), Match::kIgnored);
  EXPECT_EQ(m("\\*.txt", "*.txt"), Match::kIgnored);
  EXPECT_EQ(m("\\*.txt", "a.txt"), Match::kNone);
  EXPECT_EQ(m("what\\?", "what?"), Match::kIgnored);
  EXPECT_EQ(m("what\\?", "whatx"), Match::kNone);
  EXPECT_EQ(m("\\[x]", "[x]"), Match::kIgnored);
  EXPECT_EQ(m("\\[x]", "x"), Match::kNone);
  EXPECT_EQ(m("back\\\\slash", "back\\slash"), Match::kIgnored);
}

TEST(IgnoreParseTest, MalformedPatternsNeverMatch) {
  // As in git: a lone trailing backslash, an unterminated class and an
  // unknown POSIX class make the pattern match nothing.
  EXPECT_EQ(m("foo\\", "foo"), Match::kNone);
  EXPECT_EQ(m("foo\\", "foo\\"), Match::kNone);
  EXPECT_EQ(m("[abc", "[abc"), Match::kNone);
  EXPECT_EQ(m("[abc", "a"), Match::kNone);
  EXPECT_EQ(m("[[:nope:]]", "a"), Match::kNone);
  // Degenerate lines produce no rule at all.
  EXPECT_EQ(IgnoreRules::parse("!\n/\n!/\n").size(), 0u);
}

// ---------------------------------------------------------------------------
// Negation and last-match-wins

TEST(IgnoreNegationTest, LastMatchingPatternWins) {
  const char* rules = "*.log\n!keep.log\n";
  EXPECT_EQ(m(rules, "a.log"), Match::kIgnored);
  EXPECT_EQ(m(rules, "keep.log"), Match::kIncluded);
  EXPECT_EQ(m(rules, "sub/keep.log"), Match::kIncluded);
  EXPECT_EQ(m(rules, "a.txt"), Match::kNone);
  // Order matters: a later plain rule overrides the earlier negation.
  EXPECT_EQ(m("!keep.log\n*.log\n", "keep.log"), Match::kIgnored);
  // Specific and catch-all rules interleave correctly.
  EXPECT_EQ(m("*\n!*.txt\n", "a.txt"), Match::kIncluded);
  EXPECT_EQ(m("*\n!*.txt\n", "a.usd"), Match::kIgnored);
  EXPECT_EQ(m("!*.txt\n*\n", "a.txt"), Match::kIgnored);
  EXPECT_EQ(m("a.txt\n!*.tx?\nb.txt\n", "a.txt"), Match::kIncluded);
  EXPECT_EQ(m("a.txt\n!*.tx?\nb.txt\n", "b.txt"), Match::kIgnored);
}

TEST(IgnoreNegationTest, CannotReincludeBelowAnExcludedDirectory) {
  IgnoreEvaluator e = evaluator("build/\n!build/keep.txt\n!*.md\n");
  // The single-path verdict says "included" ...
  EXPECT_EQ(IgnoreRules::parse("build/\n!build/keep.txt\n").match("build/keep.txt", false),
            Match::kIncluded);
  // ... but the parent directory is excluded, so it stays ignored.
  EXPECT_TRUE(e.is_ignored("build/keep.txt"));
  EXPECT_TRUE(e.is_ignored("build/sub/readme.md"));
  EXPECT_TRUE(e.is_dir_ignored("build"));
  EXPECT_FALSE(e.is_ignored("readme.md"));
  EXPECT_FALSE(e.is_ignored("src/keep.txt"));
}

TEST(IgnoreNegationTest, GitDocExampleExcludeEverythingButFooBar) {
  // From gitignore(5).
  IgnoreEvaluator e = evaluator("/*\n!/foo\n/foo/*\n!/foo/bar\n");
  EXPECT_TRUE(e.is_ignored("top.txt"));
  EXPECT_TRUE(e.is_dir_ignored("other"));
  EXPECT_TRUE(e.is_ignored("other/x.txt"));
  EXPECT_FALSE(e.is_dir_ignored("foo"));
  EXPECT_TRUE(e.is_ignored("foo/baz.txt"));
  EXPECT_TRUE(e.is_dir_ignored("foo/qux"));
  EXPECT_TRUE(e.is_ignored("foo/qux/bar"));
  EXPECT_FALSE(e.is_dir_ignored("foo/bar"));
  EXPECT_FALSE(e.is_ignored("foo/bar"));
  EXPECT_FALSE(e.is_ignored("foo/bar/deep/file.c"));
}

TEST(IgnoreNegationTest, ReincludingTheDirectoryItselfWorks) {
  IgnoreEvaluator e = evaluator("logs/\n!logs/\n");
  EXPECT_FALSE(e.is_dir_ignored("logs"));
  EXPECT_FALSE(e.is_ignored("logs/a.log"));
}

// ---------------------------------------------------------------------------
// Anchoring

TEST(IgnoreAnchorTest, SlashInTheMiddleAnchorsToTheRoot) {
  // gitignore(5): "doc/frotz/" matches doc/frotz but not a/doc/frotz.
  const char* rules = "doc/frotz/";
  EXPECT_EQ(m(rules, "doc/frotz", true), Match::kIgnored);
  EXPECT_EQ(m(rules, "a/doc/frotz", true), Match::kNone);
  EXPECT_EQ(m("doc/frotz", "doc/frotz"), Match::kIgnored);
  EXPECT_EQ(m("doc/frotz", "x/doc/frotz"), Match::kNone);
}

TEST(IgnoreAnchorTest, NoSlashMatchesAtAnyDepth) {
  // gitignore(5): "frotz/" matches frotz and a/frotz, both directories.
  const char* rules = "frotz/";
  EXPECT_EQ(m(rules, "frotz", true), Match::kIgnored);
  EXPECT_EQ(m(rules, "a/frotz", true), Match::kIgnored);
  EXPECT_EQ(m(rules, "a/b/c/frotz", true), Match::kIgnored);
  EXPECT_EQ(m(rules, "frotzz", true), Match::kNone);
  EXPECT_EQ(m(rules, "frotz/x", true), Match::kNone);  // only the last component
  // "hello.*" matches any file or directory whose name begins with "hello.".
  EXPECT_EQ(m("hello.*", "hello.c"), Match::kIgnored);
  EXPECT_EQ(m("hello.*", "a/b/hello.txt"), Match::kIgnored);
  EXPECT_EQ(m("hello.*", "a/hello.d", true), Match::kIgnored);
  EXPECT_EQ(m("hello.*", "hello"), Match::kNone);
  EXPECT_EQ(m("hello.*", "hello.d/x"), Match::kNone);
}

TEST(IgnoreAnchorTest, LeadingSlashAnchors) {
  // gitignore(5): "/*.c" matches cat-file.c but not mozilla-sha1/sha1.c.
  EXPECT_EQ(m("/*.c", "cat-file.c"), Match::kIgnored);
  EXPECT_EQ(m("/*.c", "mozilla-sha1/sha1.c"), Match::kNone);
  EXPECT_EQ(m("*.c", "mozilla-sha1/sha1.c"), Match::kIgnored);
  EXPECT_EQ(m("/build", "build", true), Match::kIgnored);
  EXPECT_EQ(m("/build", "src/build", true), Match::kNone);
}

TEST(IgnoreAnchorTest, StarDoesNotCrossSlashes) {
  // gitignore(5): "foo/*" matches foo/test.json and foo/bar, not foo/bar/hello.c.
  const char* rules = "foo/*";
  EXPECT_EQ(m(rules, "foo/test.json"), Match::kIgnored);
  EXPECT_EQ(m(rules, "foo/bar", true), Match::kIgnored);
  EXPECT_EQ(m(rules, "foo/bar/hello.c"), Match::kNone);
  EXPECT_EQ(m(rules, "foo", true), Match::kNone);
  EXPECT_EQ(m(rules, "a/foo/x"), Match::kNone);
  // With parent semantics foo/bar/hello.c is ignored because foo/bar is.
  EXPECT_TRUE(evaluator(rules).is_ignored("foo/bar/hello.c"));
  EXPECT_EQ(m("doc/*.txt", "doc/a.txt"), Match::kIgnored);
  EXPECT_EQ(m("doc/*.txt", "doc/x/a.txt"), Match::kNone);
  EXPECT_EQ(m("a*b/c", "a/b/c"), Match::kNone);
  EXPECT_EQ(m("a*b/c", "axxb/c"), Match::kIgnored);
}

// ---------------------------------------------------------------------------
// Directory-only patterns

TEST(IgnoreDirOnlyTest, TrailingSlashMatchesDirectoriesOnly) {
  const char* rules = "cache/";
  EXPECT_EQ(m(rules, "cache", true), Match::kIgnored);
  EXPECT_EQ(m(rules, "cache", false), Match::kNone);
  EXPECT_EQ(m(rules, "a/cache", false), Match::kNone);
  IgnoreEvaluator e = evaluator(rules);
  EXPECT_TRUE(e.is_dir_ignored("cache"));
  EXPECT_TRUE(e.is_dir_ignored("x/cache"));
  EXPECT_FALSE(e.is_ignored("cache"));           // a file named cache
  EXPECT_FALSE(e.is_ignored("x/cache", false));  // a file named cache
  // Everything below an ignored directory is ignored.
  EXPECT_TRUE(e.is_ignored("cache/a.bin"));
  EXPECT_TRUE(e.is_ignored("x/cache/deep/a.bin"));
  EXPECT_TRUE(e.is_dir_ignored("x/cache/deep"));
  EXPECT_FALSE(e.is_ignored("x/cachex/a.bin"));
}

TEST(IgnoreDirOnlyTest, PatternsWithoutSlashMatchFilesAndDirectories) {
  IgnoreEvaluator e = evaluator(".thumbs");
  EXPECT_TRUE(e.is_ignored(".thumbs"));
  EXPECT_TRUE(e.is_dir_ignored(".thumbs"));
  EXPECT_TRUE(e.is_dir_ignored("props/.thumbs"));
  EXPECT_TRUE(e.is_ignored("props/.thumbs/256x256/a.png"));
  EXPECT_FALSE(e.is_ignored("props/thumbs/a.png"));
}

// ---------------------------------------------------------------------------
// Wildcards

TEST(IgnoreWildcardTest, QuestionMarkMatchesOneCharExceptSlash) {
  EXPECT_EQ(m("?.txt", "a.txt"), Match::kIgnored);
  EXPECT_EQ(m("?.txt", "d/b.txt"), Match::kIgnored);
  EXPECT_EQ(m("?.txt", "ab.txt"), Match::kNone);
  EXPECT_EQ(m("?.txt", ".txt"), Match::kNone);
  EXPECT_EQ(m("/a?b", "a/b"), Match::kNone);
  EXPECT_EQ(m("/a?b", "axb"), Match::kIgnored);
  EXPECT_EQ(m("x/a?b", "x/a/b"), Match::kNone);
}

TEST(IgnoreWildcardTest, StarMatchesWithinAName) {
  EXPECT_EQ(m("*", "anything"), Match::kIgnored);
  EXPECT_EQ(m("*", "a/b/c", true), Match::kIgnored);
  EXPECT_EQ(m("*.tmp", "x.tmp"), Match::kIgnored);
  EXPECT_EQ(m("*.tmp", ".tmp"), Match::kIgnored);
  EXPECT_EQ(m("*.tmp", "x.tmpl"), Match::kNone);
  EXPECT_EQ(m("tmp*", "tmpfile"), Match::kIgnored);
  EXPECT_EQ(m("tmp*", "atmp"), Match::kNone);
  EXPECT_EQ(m("*cache*", "my_cache_dir"), Match::kIgnored);
  EXPECT_EQ(m("*cache*", "cach"), Match::kNone);
  EXPECT_EQ(m("a*b*c", "aXbYc"), Match::kIgnored);
  EXPECT_EQ(m("a*b*c", "abc"), Match::kIgnored);
  EXPECT_EQ(m("a*b*c", "aXbYcZ"), Match::kNone);
  EXPECT_EQ(m("a*a*a", "aaaa"), Match::kIgnored);
  EXPECT_EQ(m("a*a*a", "aa"), Match::kNone);
  EXPECT_EQ(m("*.tar.gz", "pkg.tar.gz"), Match::kIgnored);
}

TEST(IgnoreWildcardTest, CharacterClasses) {
  EXPECT_EQ(m("[abc].txt", "b.txt"), Match::kIgnored);
  EXPECT_EQ(m("[abc].txt", "d.txt"), Match::kNone);
  EXPECT_EQ(m("file[0-9]", "file7"), Match::kIgnored);
  EXPECT_EQ(m("file[0-9]", "filex"), Match::kNone);
  EXPECT_EQ(m("file[0-9]", "file10"), Match::kNone);
  EXPECT_EQ(m("file[!0-9]", "filex"), Match::kIgnored);
  EXPECT_EQ(m("file[!0-9]", "file7"), Match::kNone);
  EXPECT_EQ(m("file[^0-9]", "filex"), Match::kIgnored);
  EXPECT_EQ(m("file[^0-9]", "file7"), Match::kNone);
  EXPECT_EQ(m("[a-cx-z]", "y"), Match::kIgnored);
  EXPECT_EQ(m("[a-cx-z]", "m"), Match::kNone);
  // ']' first is a member; '-' first or last is a member.
  EXPECT_EQ(m("[]a]", "]"), Match::kIgnored);
  EXPECT_EQ(m("[]a]", "a"), Match::kIgnored);
  EXPECT_EQ(m("[!]a]", "b"), Match::kIgnored);
  EXPECT_EQ(m("[!]a]", "]"), Match::kNone);
  EXPECT_EQ(m("[-a]", "-"), Match::kIgnored);
  EXPECT_EQ(m("[a-]", "-"), Match::kIgnored);
  EXPECT_EQ(m("[a-]", "b"), Match::kNone);
  // Escapes inside a class.
  EXPECT_EQ(m("[\\]]", "]"), Match::kIgnored);
  EXPECT_EQ(m("[a\\-c]", "-"), Match::kIgnored);
  EXPECT_EQ(m("[a\\-c]", "b"), Match::kNone);
  EXPECT_EQ(m("[\\!]x", "!x"), Match::kIgnored);
  // POSIX classes.
  EXPECT_EQ(m("v[[:digit:]]", "v3"), Match::kIgnored);
  EXPECT_EQ(m("v[[:digit:]]", "vx"), Match::kNone);
  EXPECT_EQ(m("[[:upper:]]*", "Readme"), Match::kIgnored);
  EXPECT_EQ(m("[[:upper:]]*", "readme"), Match::kNone);
  // A class never matches '/'.
  EXPECT_EQ(m("/a[/]b", "a/b"), Match::kNone);
  EXPECT_EQ(m("/a[!x]b", "a/b"), Match::kNone);
  // Classes combined with '*' and '?'.
  EXPECT_EQ(m("*.[oa]", "lib/x.o"), Match::kIgnored);
  EXPECT_EQ(m("*.[oa]", "x.so"), Match::kNone);
  EXPECT_EQ(m("?[0-9]*", "a1rest"), Match::kIgnored);
  EXPECT_EQ(m("?[0-9]*", "ab"), Match::kNone);
}

TEST(IgnoreWildcardTest, MatchingIsCaseSensitive) {
  EXPECT_EQ(m("*.PNG", "a.png"), Match::kNone);
  EXPECT_EQ(m("*.PNG", "a.PNG"), Match::kIgnored);
  EXPECT_EQ(m("Build/", "build", true), Match::kNone);
  EXPECT_EQ(m("[a-z].txt", "A.txt"), Match::kNone);
}

// ---------------------------------------------------------------------------
// "**"

TEST(IgnoreDoubleStarTest, LeadingDoubleStarMatchesInAllDirectories) {
  // gitignore(5): "**/foo" matches file or directory foo anywhere.
  EXPECT_EQ(m("**/foo", "foo"), Match::kIgnored);
  EXPECT_EQ(m("**/foo", "a/foo"), Match::kIgnored);
  EXPECT_EQ(m("**/foo", "a/b/foo", true), Match::kIgnored);
  EXPECT_EQ(m("**/foo", "foo/a"), Match::kNone);
  EXPECT_EQ(m("**/foo", "xfoo"), Match::kNone);
  // "**/foo/bar" matches file or directory bar directly under foo anywhere.
  EXPECT_EQ(m("**/foo/bar", "foo/bar"), Match::kIgnored);
  EXPECT_EQ(m("**/foo/bar", "x/y/foo/bar"), Match::kIgnored);
  EXPECT_EQ(m("**/foo/bar", "foo/x/bar"), Match::kNone);
}

TEST(IgnoreDoubleStarTest, TrailingDoubleStarMatchesEverythingInside) {
  // gitignore(5): "abc/**" matches all files inside abc, with infinite depth.
  EXPECT_EQ(m("abc/**", "abc/x"), Match::kIgnored);
  EXPECT_EQ(m("abc/**", "abc/x/y/z.txt"), Match::kIgnored);
  EXPECT_EQ(m("abc/**", "abc/sub", true), Match::kIgnored);
  EXPECT_EQ(m("abc/**", "abc", true), Match::kNone);
  EXPECT_EQ(m("abc/**", "x/abc/y"), Match::kNone);
  // Since abc itself is not excluded, a file inside can be re-included ...
  IgnoreEvaluator e = evaluator("abc/**\n!abc/keep.txt\n");
  EXPECT_FALSE(e.is_dir_ignored("abc"));
  EXPECT_FALSE(e.is_ignored("abc/keep.txt"));
  EXPECT_TRUE(e.is_ignored("abc/other.txt"));
  // ... but not one inside an excluded subdirectory.
  IgnoreEvaluator e2 = evaluator("abc/**\n!abc/sub/keep.txt\n");
  EXPECT_TRUE(e2.is_dir_ignored("abc/sub"));
  EXPECT_TRUE(e2.is_ignored("abc/sub/keep.txt"));
}

TEST(IgnoreDoubleStarTest, MiddleDoubleStarMatchesZeroOrMoreDirectories) {
  // gitignore(5): "a/**/b" matches a/b, a/x/b, a/x/y/b and so on.
  const char* rules = "a/**/b";
  EXPECT_EQ(m(rules, "a/b"), Match::kIgnored);
  EXPECT_EQ(m(rules, "a/x/b"), Match::kIgnored);
  EXPECT_EQ(m(rules, "a/x/y/b"), Match::kIgnored);
  EXPECT_EQ(m(rules, "a/xb"), Match::kNone);
  EXPECT_EQ(m(rules, "a/b/c"), Match::kNone);
  EXPECT_EQ(m(rules, "x/a/b"), Match::kNone);
  EXPECT_EQ(m(rules, "b"), Match::kNone);
  // Several "**" and redundant ones.
  EXPECT_EQ(m("a/**/b/**/c", "a/b/c"), Match::kIgnored);
  EXPECT_EQ(m("a/**/b/**/c", "a/1/b/2/3/c"), Match::kIgnored);
  EXPECT_EQ(m("a/**/b/**/c", "a/1/c/2/b"), Match::kNone);
  EXPECT_EQ(m("a/**/**/b", "a/b"), Match::kIgnored);
  EXPECT_EQ(m("a/**/**/b", "a/x/y/b"), Match::kIgnored);
  EXPECT_EQ(m("**/x/**", "p/x/q"), Match::kIgnored);
  EXPECT_EQ(m("**/x/**", "x", true), Match::kNone);
  EXPECT_EQ(m("/**/*.c", "src/deep/x.c"), Match::kIgnored);
  EXPECT_EQ(m("/**/*.c", "x.c"), Match::kIgnored);
}

TEST(IgnoreDoubleStarTest, OtherDoubleStarsActLikeStar) {
  EXPECT_EQ(m("a/**b", "a/xb"), Match::kIgnored);
  EXPECT_EQ(m("a/**b", "a/x/b"), Match::kNone);
  EXPECT_EQ(m("a**/b", "ax/b"), Match::kIgnored);
  EXPECT_EQ(m("a**/b", "a/x/b"), Match::kNone);
  EXPECT_EQ(m("foo**bar", "dir/fooXbar"), Match::kIgnored);
  EXPECT_EQ(m("foo**bar", "foo/bar"), Match::kNone);
  // "**" without a slash matches every name, like "*".
  EXPECT_EQ(m("**", "a/b/c"), Match::kIgnored);
  EXPECT_EQ(m("\\**", "*x"), Match::kIgnored);
  EXPECT_EQ(m("\\**", "x"), Match::kNone);
}

// Reference for anchored patterns made of literal, "*" and "**" components:
// the plain recursive definition (exponential, fine for small cases).
bool reference_match(const std::vector<std::string>& segs, size_t i, const std::vector<std::string>& parts,
                     size_t k) {
  if (i == segs.size()) return k == parts.size();
  if (segs[i] == "**") {
    if (i + 1 == segs.size()) return parts.size() - k >= 1;  // trailing: one component or more
    for (size_t j = k; j <= parts.size(); ++j) {
      if (reference_match(segs, i + 1, parts, j)) return true;
    }
    return false;
  }
  if (k == parts.size()) return false;
  return (segs[i] == "*" || segs[i] == parts[k]) && reference_match(segs, i + 1, parts, k + 1);
}

TEST(IgnoreDoubleStarTest, AgreesWithTheRecursiveDefinition) {
  // Every pattern of 2..4 components from {a, b, *, **} against every path
  // of 1..5 components from {a, b}.
  const std::vector<std::string> atoms = {"a", "b", "*", "**"};
  std::vector<std::vector<std::string>> paths;
  for (size_t len = 1; len <= 5; ++len) {
    for (size_t bits = 0; bits < (size_t{1} << len); ++bits) {
      std::vector<std::string> p;
      for (size_t i = 0; i < len; ++i) p.push_back((bits >> i) & 1 ? "b" : "a");
      paths.push_back(p);
    }
  }
  size_t checked = 0;
  for (size_t len = 2; len <= 4; ++len) {
    size_t combos = 1;
    for (size_t i = 0; i < len; ++i) combos *= atoms.size();
    for (size_t c = 0; c < combos; ++c) {
      std::vector<std::string> segs;
      std::string pattern;
      for (size_t i = 0, x = c; i < len; ++i, x /= atoms.size()) {
        segs.push_back(atoms[x % atoms.size()]);
        pattern += (i ? "/" : "") + segs.back();
      }
      IgnoreRules rules = IgnoreRules::parse(pattern);
      for (const auto& p : paths) {
        std::string path;
        for (size_t i = 0; i < p.size(); ++i) path += (i ? "/" : "") + p[i];
        bool expected = reference_match(segs, 0, p, 0);
        ASSERT_EQ(rules.match(path, false) == Match::kIgnored, expected) << pattern << " vs " << path;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 10000u);
}

// Hostile patterns finish in well under a second. A backtracking matcher
// needs about C(400, 20) steps for the "**" case and never finishes.
TEST(IgnoreHostileTest, ManyDoubleStarsAgainstADeepPathAreQuick) {
  std::string pattern;
  for (int i = 0; i < 20; ++i) pattern += "**/a/";
  pattern += "**/b";
  std::string deep;
  for (int i = 0; i < 400; ++i) deep += "a/";
  auto start = std::chrono::steady_clock::now();
  IgnoreRules rules = IgnoreRules::parse(pattern);
  EXPECT_EQ(rules.match(deep + "c", false), Match::kNone);
  EXPECT_EQ(rules.match(deep + "b", false), Match::kIgnored);
  IgnoreEvaluator e = evaluator(pattern + "\n" + pattern + "/**\n");
  EXPECT_FALSE(e.is_ignored(deep + "c"));  // every parent folder is tried too
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2) * testing::kSanitizerSlowdown);
}

TEST(IgnoreHostileTest, DeepPathsShareTheMatchingOfTheirParents) {
  // The evaluator asks about a path and every parent folder; past 16
  // levels one pass of each "**" rule answers for all of them. The answers
  // are those of the rules asked one prefix at a time.
  std::vector<std::string> rule_sets = {"a/**/b/\n", "**/x/**/y\n", "a/**/a/**/a/**/b\n!a/**/c/**\n",
                                        "**/d7/**/\n", "z/**\n**/q\n!**/q/**\n"};
  std::vector<std::string> names = {"a", "b", "c", "x", "y", "q", "d7"};
  for (const std::string& text : rule_sets) {
    IgnoreRules rules = IgnoreRules::parse(text);
    IgnoreEvaluator e = evaluator(text);
    for (int seed = 0; seed < 200; ++seed) {
      std::vector<std::string> parts;
      unsigned x = static_cast<unsigned>(seed) * 2654435761u + 1;
      size_t depth = 17 + seed % 30;
      std::string path;
      for (size_t i = 0; i < depth; ++i) {
        x = x * 1103515245u + 12345u;
        path += (i ? "/" : "") + names[(x >> 16) % names.size()];
      }
      // Expected: the path itself, or any parent folder, is ignored.
      bool expected = rules.match(path, false) == Match::kIgnored;
      for (size_t slash = path.find('/'); !expected && slash != std::string::npos; slash = path.find('/', slash + 1)) {
        expected = rules.match(path.substr(0, slash), true) == Match::kIgnored;
      }
      ASSERT_EQ(e.is_ignored(path), expected) << text << " vs " << path;
    }
  }
}

TEST(IgnoreHostileTest, ManyDoubleStarsAgainstAPathAtTheLengthBoundAreQuick) {
  // A 2000-component path (4000 bytes) against a pattern of 800 "**/a"
  // and a last "*" that every component passes, so no cheap rejection: it
  // can only fail at the end (no "c" folder), for the path and each of its
  // 2000 parent folders. One by one, about 1.6e9 steps; shared, 1.6e6.
  std::string pattern;
  for (int i = 0; i < 800; ++i) pattern += "**/a/";
  pattern += "**/c/*";
  std::string path;
  for (int i = 0; i < 2000; ++i) path += "a/";
  path += "x";
  auto start = std::chrono::steady_clock::now();
  IgnoreEvaluator e = evaluator(pattern + "\n");
  EXPECT_FALSE(e.is_ignored(path));
  EXPECT_TRUE(e.is_ignored("a/" + path.substr(0, path.size() - 1) + "c/x"));
  // Under 0.1 s optimised, 12 s one by one.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3) * testing::kSanitizerSlowdown);
}

TEST(IgnoreHostileTest, ManyStarsAgainstALongNameAreQuick) {
  std::string name(100000, 'a');
  auto start = std::chrono::steady_clock::now();
  for (const char* pattern : {"a*a*a*a*a*a*a*a*a*b", "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b",
                              "a*a*a*a*a*a*a*a*a*b/x", "**/*a*a*a*a*a*a*a*a*a*[b]"}) {
    SCOPED_TRACE(pattern);
    EXPECT_EQ(m(pattern, name), Match::kNone);
    EXPECT_EQ(m(pattern, "d/" + name), Match::kNone);
  }
  EXPECT_EQ(m("a*a*a*a*a*a*a*a*a*b", name + "b"), Match::kIgnored);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2) * testing::kSanitizerSlowdown);
}

TEST(IgnoreHostileTest, OverlongPatternsNeverMatch) {
  std::string at_bound(kMaxIgnorePatternBytes, 'n');
  EXPECT_EQ(m(at_bound, at_bound), Match::kIgnored);
  std::string over(kMaxIgnorePatternBytes + 1, 'n');
  EXPECT_EQ(m(over, over), Match::kNone);
  // Even one that would match everything; the lines around still count.
  std::string stars(1 << 20, '*');
  IgnoreRules r = IgnoreRules::parse("keep.me\n" + stars + "\n*.tmp\n");
  EXPECT_EQ(r.size(), 3u);
  EXPECT_EQ(r.match("x.bin", false), Match::kNone);
  EXPECT_EQ(r.match("keep.me", false), Match::kIgnored);
  EXPECT_EQ(r.match("x.tmp", false), Match::kIgnored);
  EXPECT_LT(r.pattern(1).size(), 100u);  // not kept whole
}

TEST(IgnoreHostileTest, RulesWithAnyLastByteKeepTheirOrder) {
  // "*", "*[!x]" and "?" can end in most any byte: they sit in the index
  // once, merged with the per-byte lists in rule order.
  EXPECT_EQ(m("*.tmp\n!*\n", "a.tmp"), Match::kIncluded);
  EXPECT_EQ(m("!*\n*.tmp\n", "a.tmp"), Match::kIgnored);
  EXPECT_EQ(m("*.tmp\n!*[!x]\n", "a.tmp"), Match::kIncluded);
  EXPECT_EQ(m("!*[!x]\n*.tmp\n!a.tm?\n", "a.tmp"), Match::kIncluded);
  EXPECT_EQ(m("!*[!x]\n*.tmp\n!a.tm?\nx\n", "a.tmp"), Match::kIncluded);
  EXPECT_EQ(m("!*[!x]\n*.tmp\n!a.tm?\n*p\n", "a.tmp"), Match::kIgnored);
  // A big file of such rules: the index grows with the rules, not 256 times.
  std::string many;
  for (int i = 0; i < 200000; ++i) many += "*[!x]" + std::to_string(i % 10) + "*\n";
  IgnoreRules r = IgnoreRules::parse(many + "!keep\n");
  EXPECT_EQ(r.size(), 200001u);
  EXPECT_EQ(r.match("keep", false), Match::kIncluded);
  EXPECT_EQ(r.match("a5b", false), Match::kIgnored);
  EXPECT_EQ(r.match("x5b", false), Match::kNone);
}

// ---------------------------------------------------------------------------
// The evaluator

TEST(IgnoreEvaluatorTest, AutoPngFilesAreAlwaysIgnored) {
  IgnoreEvaluator e;
  EXPECT_EQ(e.size(), 0u);
  EXPECT_TRUE(e.is_ignored("thumb.auto.png"));
  EXPECT_TRUE(e.is_ignored("a/b/.thumbs/256x256/scene.usd.auto.png"));
  EXPECT_TRUE(e.is_ignored(".auto.png"));
  EXPECT_FALSE(e.is_ignored("thumb.png"));
  EXPECT_FALSE(e.is_ignored("auto.png"));
  EXPECT_FALSE(e.is_ignored("thumb.auto.png.bak"));
  EXPECT_FALSE(e.is_ignored("thumb.AUTO.PNG"));
  EXPECT_FALSE(e.is_ignored("scene.usd"));
  EXPECT_FALSE(e.is_dir_ignored("a/b"));
  // It applies to files only ...
  EXPECT_FALSE(e.is_dir_ignored("weird.auto.png"));
  EXPECT_FALSE(e.is_ignored("weird.auto.png/inner.usd"));
  // ... and no negation can re-include such a file.
  e.add_rules(IgnoreRules::parse("!*.auto.png\n!thumb.auto.png\n"));
  EXPECT_TRUE(e.is_ignored("thumb.auto.png"));
  EXPECT_TRUE(e.is_ignored("x/y.auto.png"));
}

TEST(IgnoreEvaluatorTest, NothingIsIgnoredWithoutRules) {
  IgnoreEvaluator e;
  EXPECT_FALSE(e.is_ignored("a.txt"));
  EXPECT_FALSE(e.is_ignored(".wrappignore"));
  EXPECT_FALSE(e.is_ignored(""));
  EXPECT_FALSE(e.is_dir_ignored(""));
  // Only negations: nothing can be ignored either.
  e.add_rules(IgnoreRules::parse("!*.txt\n"));
  EXPECT_FALSE(e.is_ignored("a.txt"));
}

TEST(IgnoreEvaluatorTest, LaterRuleSetsOverrideEarlierOnes) {
  IgnoreEvaluator e;
  e.add_rules(IgnoreRules::parse("*.tmp\n"));
  e.add_rules(IgnoreRules::parse("!keep.tmp\n"));
  EXPECT_EQ(e.size(), 2u);
  EXPECT_TRUE(e.is_ignored("a.tmp"));
  EXPECT_FALSE(e.is_ignored("keep.tmp"));
  EXPECT_FALSE(e.is_ignored("d/keep.tmp"));

  IgnoreEvaluator reversed;
  reversed.add_rules(IgnoreRules::parse("!keep.tmp\n"));
  reversed.add_rules(IgnoreRules::parse("*.tmp\n"));
  EXPECT_TRUE(reversed.is_ignored("keep.tmp"));

  // A later set can un-ignore a directory an earlier one ignored.
  IgnoreEvaluator dirs;
  dirs.add_rules(IgnoreRules::parse("vendor/\n"));
  EXPECT_TRUE(dirs.is_ignored("vendor/lib/a.usd"));
  dirs.add_rules(IgnoreRules::parse("!vendor/\n"));
  EXPECT_FALSE(dirs.is_dir_ignored("vendor"));
  EXPECT_FALSE(dirs.is_ignored("vendor/lib/a.usd"));
}

TEST(IgnoreEvaluatorTest, WrappDocExample) {
  IgnoreEvaluator e = evaluator(".thumbs\n.wrappignore\n");
  EXPECT_TRUE(e.is_ignored(".wrappignore"));
  EXPECT_TRUE(e.is_dir_ignored("assets/.thumbs"));
  EXPECT_TRUE(e.is_ignored("assets/.thumbs/256x256/a.usd.png"));
  EXPECT_FALSE(e.is_ignored("assets/a.usd"));
  EXPECT_FALSE(e.is_dir_ignored("assets"));
}

TEST(IgnoreEvaluatorTest, ToleratesStraySlashes) {
  IgnoreEvaluator e = evaluator("/build/\n");
  EXPECT_TRUE(e.is_dir_ignored("build/"));
  EXPECT_TRUE(e.is_dir_ignored("/build"));
  EXPECT_TRUE(e.is_ignored("build//x.o"));
  EXPECT_FALSE(e.is_dir_ignored("src/build"));
}

TEST(IgnoreEvaluatorTest, DeepPathsBeyondInlineStorage) {
  std::string path;
  for (int i = 0; i < 100; ++i) {
    path += 'd';
    path += std::to_string(i);
    path += '/';
  }
  IgnoreEvaluator e = evaluator("d77/\n**/d99/*.tmp\n");
  EXPECT_TRUE(e.is_ignored(path + "file.txt"));
  EXPECT_TRUE(e.is_dir_ignored(path.substr(0, path.find("d78/"))));
  EXPECT_FALSE(e.is_dir_ignored(path.substr(0, path.find("d77/"))));
  IgnoreEvaluator e2 = evaluator("**/d99/*.tmp\n");
  EXPECT_TRUE(e2.is_ignored(path + "x.tmp"));
  EXPECT_FALSE(e2.is_ignored(path + "x.txt"));
}

TEST(IgnoreEvaluatorTest, ConcurrentQueriesAgree) {
  IgnoreEvaluator e = evaluator("*.tmp\n!keep*.tmp\nbuild/\n/out/**\n**/cache/[0-9]*\n");
  std::vector<std::string> paths;
  std::vector<bool> expected;
  for (int i = 0; i < 2000; ++i) {
    std::string dir = (i % 4 == 0) ? "build/" : (i % 4 == 1) ? "out/" : (i % 4 == 2) ? "a/cache/" : "src/";
    std::string name = (i % 3 == 0) ? "keep" + std::to_string(i) + ".tmp"
                       : (i % 3 == 1) ? std::to_string(i) + ".tmp"
                                      : std::to_string(i) + ".usd";
    paths.push_back(dir + name);
    expected.push_back(e.is_ignored(paths.back()));
  }
  // Spot-check the single-threaded answers themselves.
  EXPECT_TRUE(e.is_ignored("build/keep0.tmp"));
  EXPECT_TRUE(e.is_ignored("out/1.tmp"));
  EXPECT_TRUE(e.is_ignored("a/cache/2.usd"));
  EXPECT_FALSE(e.is_ignored("src/keep3.tmp"));
  EXPECT_TRUE(e.is_ignored("src/7.tmp"));
  EXPECT_FALSE(e.is_ignored("src/11.usd"));

  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 20; ++round) {
        for (size_t i = 0; i < paths.size(); ++i) {
          if (e.is_ignored(paths[i]) != expected[i]) ++mismatches;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace wrapp::model
