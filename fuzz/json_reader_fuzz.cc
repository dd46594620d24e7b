// JsonReader on any input: walked value by value through the pull API (as
// every model parser does), skipped whole with skip_value(), and compared
// with nlohmann_json's validator.
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_support.h"
#include "util/json_reader.h"

namespace {

using wrapp::JsonReader;

// `open`: the containers around the value at the reader's position.
void walk(JsonReader& r, size_t open) {
  auto opened = [&] { wrapp::fuzz::require(open + 1 <= wrapp::kMaxJsonDepth, "opened a container too deep"); };
  switch (r.peek()) {
    case JsonReader::Type::kObject: {
      r.begin_object();
      opened();
      std::string key;
      while (r.next_key(key)) walk(r, open + 1);
      break;
    }
    case JsonReader::Type::kArray:
      r.begin_array();
      opened();
      while (r.next_element()) walk(r, open + 1);
      break;
    case JsonReader::Type::kString: r.read_string(); break;
    case JsonReader::Type::kBool: r.read_bool(); break;
    case JsonReader::Type::kNull: r.read_null(); break;
    case JsonReader::Type::kNumber: {
      int64_t i;
      uint64_t u;
      if (!r.read_int64(i) && !r.read_uint64(u)) r.skip_value();
      break;
    }
  }
}

// nlohmann_json's verdict, through its SAX interface to learn why it
// refuses: it cannot hold a number that overflows a double (1e400), which
// JSON allows; after one, it has not looked at the rest of the text.
// Nesting is not bounded there.
enum class Reference { kValid, kInvalid, kUnknown };

Reference reference_verdict(std::string_view text) {
  // nlohmann takes a NUL byte for the end of the input; JSON has no place
  // for one (not whitespace, a control character inside strings).
  if (text.find('\0') != std::string_view::npos) return Reference::kInvalid;
  struct Sax : nlohmann::json_sax<nlohmann::json> {
    std::string error;
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override { return true; }
    bool key(string_t&) override { return true; }
    bool end_object() override { return true; }
    bool start_array(std::size_t) override { return true; }
    bool end_array() override { return true; }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
      error = e.what();
      return false;
    }
  } sax;
  if (nlohmann::json::sax_parse(text.begin(), text.end(), &sax)) return Reference::kValid;
  return sax.error.find("number overflow") != std::string::npos ? Reference::kUnknown : Reference::kInvalid;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using wrapp::fuzz::accepted;
  using wrapp::fuzz::require;
  std::string_view text = wrapp::fuzz::as_text(data, size);
  std::string walk_error;
  bool walked = accepted([&] {
    try {
      JsonReader r(text, "fuzz");
      walk(r, 0);
      r.expect_end();
    } catch (const wrapp::FailedCommand& e) {
      walk_error = e.what();
      throw;
    }
  });
  std::string_view raw;
  bool skipped = accepted([&] {
    JsonReader r(text, "fuzz");
    raw = r.skip_value();
    r.expect_end();
  });
  require(walked == skipped, "walking and skipping disagree");
  if (walked) {
    // Whitespace around the value is all skip_value() leaves out.
    size_t first = text.find_first_not_of(" \t\r\n");
    size_t last = text.find_last_not_of(" \t\r\n");
    require(raw == text.substr(first, last - first + 1), "skip_value returned other text than the value");
  }
  // nlohmann_json (iterative, no depth limit) as the reference validator:
  // what the reader accepts is JSON; JSON it refuses is too deep, or
  // starts with a byte order mark (nlohmann skips one, wrapp refuses it).
  Reference reference = reference_verdict(text);
  if (walked) require(reference != Reference::kInvalid, "accepted text that is not JSON");
  if (reference == Reference::kValid && !walked && !text.starts_with("\xEF\xBB\xBF")) {
    require(walk_error.find("nested deeper than 256 levels") != std::string::npos, "refused valid JSON");
  }
  return 0;
}
