#include <gtest/gtest.h>

#include <functional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/json_reader.h"
#include "util/json_writer.h"
#include "util/test_data.h"

namespace wrapp {
namespace {

// Reads any JSON value back into nlohmann form, through the pull API only.
nlohmann::json read_any(JsonReader& r) {
  switch (r.peek()) {
    case JsonReader::Type::kObject: {
      nlohmann::json j = nlohmann::json::object();
      r.begin_object();
      std::string key;
      while (r.next_key(key)) j[key] = read_any(r);
      return j;
    }
    case JsonReader::Type::kArray: {
      nlohmann::json j = nlohmann::json::array();
      r.begin_array();
      while (r.next_element()) j.push_back(read_any(r));
      return j;
    }
    case JsonReader::Type::kString: return r.read_string();
    case JsonReader::Type::kBool: return r.read_bool();
    case JsonReader::Type::kNull: r.read_null(); return nullptr;
    case JsonReader::Type::kNumber: {
      int64_t i;
      if (r.read_int64(i)) return i;
      uint64_t u;
      if (r.read_uint64(u)) return u;
      return nlohmann::json::parse(r.skip_value());
    }
  }
  return nullptr;
}

nlohmann::json parse(std::string_view text) {
  JsonReader r(text, "t.json");
  auto j = read_any(r);
  r.expect_end();
  return j;
}

TEST(JsonReader, ReadsWhatNlohmannReads) {
  for (const char* text : {R"({"a": [1, -2, 3.5e2, true, false, null, "x"], "b": {"c": {}}, "d": []})",
                           "  [ ]  ", "\"\\u00e9\\ud83d\\ude00\\n\\t\\\"\\\\\\/\"", "18446744073709551615",
                           "-9223372036854775808", R"({"k":"v","k2":{"n":[[],[{}]]}})", "0", "-0.5E-3"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(parse(text), nlohmann::json::parse(text));
  }
}

TEST(JsonReader, RefusesInvalidJsonNamingOriginAndByte) {
  for (const char* text : {"{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "01", "1.", "-", "\"abc", "\"a\x01\"",
                           "\"\\x\"", "\"\\ud800\"", "\"\\udc00\"", "tru", "nul", "{} x", "", "[1 2]",
                           "{\"a\":1 \"b\":2}", "{1:2}"}) {
    SCOPED_TRACE(text);
    try {
      parse(text);
      ADD_FAILURE() << "accepted";
    } catch (const FailedCommand& e) {
      EXPECT_NE(std::string(e.what()).find("t.json: not valid JSON at byte"), std::string::npos) << e.what();
    }
  }
}

// Strings are scanned sixteen bytes at a time: every stop (quote,
// backslash, control byte) and every non-ASCII byte is found at each
// offset within and across those blocks, as nlohmann finds it.
TEST(JsonReader, StringsReadTheSameWhereverTheirSpecialBytesFall) {
  for (size_t at = 0; at < 40; ++at) {
    std::string plain(at, 'a');
    SCOPED_TRACE(at);
    for (std::string special : {"\\\"", "\\\\", "\\n", "\\u00e9", "\xc3\xa9", "\xf0\x9f\x98\x80", "/", "\x7f"}) {
      std::string text = "[\"" + plain + special + plain + "\"]";
      EXPECT_EQ(parse(text), nlohmann::json::parse(text)) << special;
    }
    // A control byte, a lone continuation byte, a truncated sequence or a
    // UTF-8 surrogate at any offset is refused.
    for (std::string bad : {"\x01", "\x1f", "\x80", "\xc3", "\xed\xa0\x80", "\xe9z"}) {
      std::string text = "[\"" + plain + bad + plain + "\"]";
      EXPECT_THROW(parse(text), FailedCommand) << at;
    }
    // Non-ASCII bytes before an escape still make the string checked whole.
    EXPECT_THROW(parse("[\"" + plain + "\xc3\\u00a9\"]"), FailedCommand);
    EXPECT_THROW(parse("[\"" + plain + "\"" + std::string(20, 'b')), FailedCommand);  // unterminated
  }
}

// Written strings escape every quote, backslash and control byte wherever
// it falls in the sixteen-byte blocks they are scanned in, and nothing else.
TEST(JsonWriter, EscapesSpecialBytesAtEveryOffset) {
  for (size_t at = 0; at < 40; ++at) {
    std::string plain(at, 'a');
    for (std::string special : std::vector<std::string>{"\"", "\\", "\n", "\x01", "\x1f", "\xc3\xa9", "/", "\x7f",
                                                        std::string(1, '\0')}) {
      std::string value = plain + special + plain + special;
      std::string out;
      append_json_string(out, value);
      SCOPED_TRACE(out);
      EXPECT_EQ(nlohmann::json::parse(out).get<std::string>(), value);
      EXPECT_EQ(out, nlohmann::json(value).dump()) << at;  // nlohmann escapes the same bytes the same way
    }
  }
}

// count_ahead counts the occurrences from the reader's position on, none
// overlapping: the number of items a catalog is about to read.
TEST(JsonReader, CountAheadCountsFromThePositionWithoutOverlaps) {
  std::string text = R"([{"k": 1}, {"k": 2}, "kk", {"k": 3}])";
  JsonReader r(text, "c");
  EXPECT_EQ(r.count_ahead("\"k\""), 3u);
  EXPECT_EQ(r.count_ahead("k"), 5u);
  EXPECT_EQ(r.count_ahead("kk"), 1u);
  EXPECT_EQ(r.count_ahead("kkk"), 0u);
  EXPECT_EQ(r.count_ahead(""), 0u);
  EXPECT_EQ(r.count_ahead(text + "x"), 0u);
  EXPECT_EQ(r.count_ahead(text), 1u);
  r.begin_array();
  ASSERT_TRUE(r.next_element());
  r.skip_value();  // past {"k": 1}
  EXPECT_EQ(r.count_ahead("\"k\""), 2u);
  EXPECT_EQ(JsonReader("aaaa", "o").count_ahead("aa"), 2u);
}

TEST(JsonReader, IntegersOutOfRangeAreNotReadAsIntegers) {
  JsonReader r("[18446744073709551616, 9223372036854775808, 1.5, -1]", "n");
  r.begin_array();
  uint64_t u;
  int64_t i;
  ASSERT_TRUE(r.next_element());
  EXPECT_FALSE(r.read_uint64(u));
  EXPECT_FALSE(r.read_int64(i));
  r.skip_value();
  ASSERT_TRUE(r.next_element());
  EXPECT_FALSE(r.read_int64(i));
  EXPECT_TRUE(r.read_uint64(u));
  EXPECT_EQ(u, 9223372036854775808ULL);
  ASSERT_TRUE(r.next_element());
  EXPECT_FALSE(r.read_uint64(u));
  EXPECT_FALSE(r.read_int64(i));
  EXPECT_EQ(r.skip_value(), "1.5");
  ASSERT_TRUE(r.next_element());
  EXPECT_FALSE(r.read_uint64(u));
  EXPECT_TRUE(r.read_int64(i));
  EXPECT_EQ(i, -1);
  EXPECT_FALSE(r.next_element());
}

TEST(JsonReader, SkipValueReturnsTheRawText) {
  JsonReader r(R"({"keep": {"x": [1, "a\"b"]}, "n": 2})", "s");
  r.begin_object();
  std::string key;
  ASSERT_TRUE(r.next_key(key));
  EXPECT_EQ(r.skip_value(), R"({"x": [1, "a\"b"]})");
  ASSERT_TRUE(r.next_key(key));
  EXPECT_EQ(key, "n");
  EXPECT_EQ(r.skip_value(), "2");
  EXPECT_FALSE(r.next_key(key));
  r.expect_end();
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const FailedCommand& e) {
    return e.what();
  }
  return "";
}

TEST(JsonReader, RefusesNestingDeeperThanTheBoundAtTopLevel) {
  for (bool objects : {false, true}) {
    SCOPED_TRACE(objects ? "objects" : "arrays");
    std::string text = testing::nested_json(100000, objects);
    // The 257th opening bracket is where the reader stops.
    size_t at = 256 * (objects ? 5 : 1);
    std::string expected = fmt::format("t.json: not valid JSON at byte {}: nested deeper than 256 levels", at);
    // Skipped whole, or walked value by value (as every model parser does).
    EXPECT_EQ(error_of([&] {
                JsonReader r(text, "t.json");
                r.skip_value();
              }),
              expected);
    EXPECT_EQ(error_of([&] { parse(text); }), expected);
  }
}

TEST(JsonReader, AcceptsNestingUpToTheBound) {
  for (bool objects : {false, true}) {
    SCOPED_TRACE(objects ? "objects" : "arrays");
    std::string text = testing::nested_json(kMaxJsonDepth, objects);
    JsonReader r(text, "t.json");
    EXPECT_EQ(r.skip_value(), text);
    r.expect_end();
    EXPECT_EQ(parse(text), nlohmann::json::parse(text));
    std::string too_deep = testing::nested_json(kMaxJsonDepth + 1, objects);
    EXPECT_NE(error_of([&] { parse(too_deep); }).find("nested deeper than 256 levels"), std::string::npos);
  }
}

TEST(JsonReader, DepthIsCountedFromTheTopNotPerSkip) {
  // A value skipped inside a container counts the levels around it: 255
  // levels inside a top-level array make 256, one more is too deep.
  for (size_t inner : {size_t{255}, size_t{256}}) {
    std::string text = "[" + testing::nested_json(inner, true) + ", " + testing::nested_json(inner, false) + "]";
    std::string err = error_of([&] {
      JsonReader r(text, "t.json");
      r.begin_array();
      while (r.next_element()) r.skip_value();
      r.expect_end();
    });
    if (inner == 255) {
      EXPECT_EQ(err, "");
    } else {
      EXPECT_NE(err.find("nested deeper than 256 levels"), std::string::npos) << err;
    }
  }
}

TEST(JsonReader, SkippingMixedContainersLeavesTheReaderWhereItWas) {
  std::string deep = R"({"a": [1, {"b": [[], {}, [[{"c": null}]]]}, "x"], "d": {"e": [true, false]}})";
  std::string text = "[" + deep + ", 7, " + deep + "]";
  JsonReader r(text, "s");
  r.begin_array();
  ASSERT_TRUE(r.next_element());
  EXPECT_EQ(r.skip_value(), deep);
  ASSERT_TRUE(r.next_element());
  int64_t seven = 0;
  EXPECT_TRUE(r.read_int64(seven));
  EXPECT_EQ(seven, 7);
  ASSERT_TRUE(r.next_element());
  EXPECT_EQ(r.skip_value(), deep);
  EXPECT_FALSE(r.next_element());
  r.expect_end();
}

TEST(JsonReader, OriginIsShortenedInMessages) {
  std::string origin(1 << 20, 'o');
  std::string err = error_of([&] { JsonReader("[1,]", origin).skip_value(); });
  EXPECT_LE(err.size(), 1200u);
  EXPECT_NE(err.find("bytes omitted"), std::string::npos) << err;
  EXPECT_NE(err.find("not valid JSON at byte 3"), std::string::npos) << err;
}

TEST(JsonWriter, WritesValidJsonThatReadsBack) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("text");
  w.string("quote \" backslash \\ tab \t nl \n ctl \x01 é 😀");
  w.key("list");
  w.begin_array();
  w.number(uint64_t{18446744073709551615ULL});
  w.number(int64_t{-5});
  w.boolean(true);
  w.null();
  w.begin_object();
  w.end_object();
  w.begin_array();
  w.end_array();
  w.end_array();
  w.key("raw");
  w.raw("{\"x\":1}");
  w.end_object();
  auto expected = nlohmann::json::parse(out);
  EXPECT_EQ(parse(out), expected);
  EXPECT_EQ(expected["text"], "quote \" backslash \\ tab \t nl \n ctl \x01 é 😀");
  EXPECT_EQ(expected["list"][0], 18446744073709551615ULL);
  EXPECT_EQ(expected["raw"]["x"], 1);
}

TEST(JsonWriter, StreamingGivesTheSameTextInChunks) {
  auto fill = [](JsonWriter& w) {
    w.begin_array();
    for (int i = 0; i < 1000; ++i) {
      w.begin_object();
      w.key("i");
      w.number(int64_t{i});
      w.end_object();
    }
    w.end_array();
  };
  std::string whole;
  JsonWriter plain(whole);
  fill(plain);
  std::string buffer, streamed;
  size_t chunks = 0;
  JsonWriter w(buffer, [&](std::string_view c) { streamed += c, ++chunks; }, 256);
  fill(w);
  w.flush();
  EXPECT_EQ(streamed, whole);
  EXPECT_GT(chunks, 10u);
  EXPECT_LE(buffer.size(), 0u);
}

TEST(JsonWriter, RefusesInvalidUtf8) {
  for (std::string bad : {std::string("\xff"), std::string("a\xc3"), std::string("\xc0\xaf"),
                          std::string("\xed\xa0\x80"), std::string("\xf4\x90\x80\x80")}) {
    std::string out;
    JsonWriter w(out);
    EXPECT_THROW(w.string(bad), FailedCommand) << bad;
    EXPECT_FALSE(is_valid_utf8(bad));
  }
  EXPECT_TRUE(is_valid_utf8("plain é 😀 \xef\xbf\xbf"));
}

}  // namespace
}  // namespace wrapp
