// A pull parser for JSON text: the caller walks the document value by value
// and keeps only what it needs. No DOM and no index, so reading a catalog of
// a million items costs the catalog and nothing else (a DOM costs about
// five times the text; simdjson's index four bytes per input byte).
//
// Full JSON (RFC 8259): any whitespace, key order, escapes including
// surrogate pairs, numbers with fractions and exponents. Errors throw
// FailedCommand "<origin>: not valid JSON at byte N: <what>".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace wrapp {

class JsonReader {
 public:
  enum class Type { kObject, kArray, kString, kNumber, kBool, kNull };

  JsonReader(std::string_view text, std::string_view origin);

  // Type of the next value (whitespace skipped).
  Type peek();

  // Objects: begin_object(), then while (next_key(key)) { read the value }.
  void begin_object();
  bool next_key(std::string& key);  // false after the closing '}'
  // Arrays: begin_array(), then while (next_element()) { read the value }.
  void begin_array();
  bool next_element();  // false after the closing ']'

  void read_string(std::string& out);  // unescaped
  std::string read_string();
  // Integers; refuses fractions, exponents and out-of-range values.
  bool read_uint64(uint64_t& out);  // false (nothing consumed) if not a non-negative integer
  bool read_int64(int64_t& out);    // false (nothing consumed) if not an integer in range
  bool read_bool();
  void read_null();
  bool try_null();  // consumes and returns true if the next value is null

  // How often `needle` occurs in the rest of the text: a cheap upper bound
  // on a list's length, so it can be allocated once instead of doubling.
  size_t count_ahead(std::string_view needle) const;

  // Skips the next value and returns its JSON text.
  std::string_view skip_value();
  // Only whitespace may follow the top-level value.
  void expect_end();

  [[noreturn]] void error(std::string_view what) const;
  const std::string& origin() const { return origin_; }

 private:
  void skip_ws();
  char next_char();  // after whitespace; error at the end of the text
  void expect(char c);
  void scan_number();
  void expect_literal(std::string_view word);

  std::string_view text_;
  std::string origin_;
  size_t pos_ = 0;
  // Whether the innermost open container has no member yet. One flag is
  // enough: once a nested value ends, its container has a member.
  bool first_ = true;
};

}  // namespace wrapp
