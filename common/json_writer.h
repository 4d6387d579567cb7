// A small streaming JSON writer for the hot paths that render alerts (router intake, outputs): it appends to a
// reused string without building a DOM, and produces exactly the bytes of nlohmann::json::dump() (no spaces,
// UTF-8 kept, control characters escaped as \b \f \n \r \t or \u00xx, invalid UTF-8 as U+FFFD). The caller
// writes object keys in the order it wants (nlohmann sorts them: write them sorted to match).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace peregrine {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }
  JsonWriter& key(std::string_view k);
  JsonWriter& string(std::string_view s);
  JsonWriter& number(int64_t v);
  JsonWriter& number(uint64_t v);
  JsonWriter& boolean(bool v);
  JsonWriter& null();
  /// Already-valid JSON text, inserted as one value.
  JsonWriter& raw(std::string_view json);

  /// Appends `s` as a JSON string body (no quotes), escaped as nlohmann does, invalid UTF-8 as U+FFFD.
  static void escape(std::string& out, std::string_view s);
  /// `s` with each byte that does not start a valid UTF-8 sequence replaced by U+FFFD (no escaping).
  static std::string clean_utf8(std::string_view s);

 private:
  JsonWriter& open(char c);
  JsonWriter& close(char c);
  void separate();
  std::string& out_;
  bool first_ = true;      // no value yet at this level
  bool after_key_ = false;  // the next value belongs to a key just written
};

}  // namespace peregrine
