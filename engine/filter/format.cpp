#include "engine/filter/format.h"

#include <algorithm>
#include <charconv>

#include "engine/fields/simple.h"
#include "engine/filter/operands.h"
#include "engine/filter/parser.h"

namespace peregrine::engine {
namespace {

bool is_field_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

// The longest candidate text for a token starting at `p`: a transformer call with balanced parentheses, or
// field-name characters plus an optional [..] argument.
size_t max_token_len(std::string_view s, size_t p) {
  size_t q = p;
  while (q < s.size() && is_field_char(s[q])) ++q;
  if (q < s.size() && s[q] == '(') {
    int depth = 0;
    char quote = 0;
    for (; q < s.size(); ++q) {
      char c = s[q];
      if (quote) {
        if (c == quote && s[q - 1] != '\\') quote = 0;
        continue;
      }
      if (c == '"' || c == '\'') quote = c;
      else if (c == '(') ++depth;
      else if (c == ')' && --depth == 0) {
        ++q;
        break;
      }
    }
  }
  if (q < s.size() && s[q] == '[') {
    size_t close = s.find(']', q);
    if (close != std::string_view::npos) q = close + 1;
  }
  return q - p;
}

// Compiles `text` as one operand (field or transformer) if it is exactly that.
std::shared_ptr<const Extractor> try_operand(std::string_view text, const FieldRegistry& reg, ExtractorPool& pool,
                                             EventSource source) {
  if (text.empty() || text.back() == '.' || text.find(' ') != std::string_view::npos) return nullptr;
  auto ast = parse_condition(std::string(text) + " exists", 64);
  if (!ast || ast.value()->kind != AstKind::kCheck) return nullptr;
  const Ast& lhs = *ast.value()->children[0];
  auto ex = build_operand(lhs, reg, pool, source, nullptr);
  if (!ex) {
    // Fields of the other source are fine in outputs too: try it.
    EventSource other = source == EventSource::kSyscall ? EventSource::kK8sAudit : EventSource::kSyscall;
    ex = build_operand(lhs, reg, pool, other, nullptr);
    if (!ex) return nullptr;
  }
  return ex.value();
}

}  // namespace

void render_value(const Extractor& ex, const ExtractedValue& v, std::string& out) {
  if (!v.present) {
    out += "<NA>";
    return;
  }
  if (ex.is_list()) {
    if (ex.match_any()) {
      if (!v.list.empty()) out += v.list[0];
      return;
    }
    out += '(';
    for (size_t i = 0; i < v.list.size(); ++i) {
      if (i) out += ',';
      out += v.list[i];
    }
    out += ')';
    return;
  }
  char buf[32];
  switch (ex.type()) {
    case FieldType::kString:
    case FieldType::kBytes:
    case FieldType::kFlags:
      out += v.str;
      return;
    case FieldType::kInt64:
      out.append(buf, std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(v.num)).ptr);
      return;
    case FieldType::kBool:
      out += v.num ? "true" : "false";
      return;
    case FieldType::kIpAddr:
    case FieldType::kIpNet:
      fields::render_ip(v.ip, out);
      return;
    default:
      out.append(buf, std::to_chars(buf, buf + sizeof buf, v.num).ptr);
      return;
  }
}

FieldValue typed_value(const Extractor& ex, const ExtractedValue& v) {
  if (!v.present) return std::monostate{};
  if (ex.is_list() || ex.type() == FieldType::kIpAddr || ex.type() == FieldType::kIpNet) {
    std::string s;
    render_value(ex, v, s);
    return s;
  }
  switch (ex.type()) {
    case FieldType::kString:
    case FieldType::kBytes:
    case FieldType::kFlags:
      return std::string(v.str);
    case FieldType::kInt64:
      return static_cast<int64_t>(v.num);
    case FieldType::kBool:
      return v.num != 0;
    default:
      return v.num;
  }
}

Result<OutputFormat> compile_output(std::string_view fmt, const FieldRegistry& registry, ExtractorPool* pool_in) {
  ExtractorPool& pool = pool_in ? *pool_in : default_extractor_pool();
  constexpr size_t kMaxWidth = 4096;
  OutputFormat out;
  std::string literal;
  size_t i = 0;
  while (i < fmt.size()) {
    char c = fmt[i];
    if (c != '%') {
      literal += c;
      ++i;
      continue;
    }
    size_t p = i + 1;
    if (p >= fmt.size()) return make_error("invalid output format: trailing '%' at pos " + std::to_string(i));
    size_t width = 0;
    while (p < fmt.size() && fmt[p] >= '0' && fmt[p] <= '9') {
      width = width * 10 + static_cast<size_t>(fmt[p++] - '0');
      // A width is a column count; anything past kMaxWidth is a typo or hostile input, not a layout.
      if (width > kMaxWidth)
        return make_error("invalid output format: width over " + std::to_string(kMaxWidth) + " at pos " +
                          std::to_string(i));
    }
    constexpr std::string_view kContainerInfo = "container.info";
    if (fmt.substr(p, kContainerInfo.size()) == kContainerInfo &&
        (p + kContainerInfo.size() == fmt.size() || !is_field_char(fmt[p + kContainerInfo.size()]))) {
      i = p + kContainerInfo.size();  // deprecated, stripped like Falco
      continue;
    }
    size_t maxlen = max_token_len(fmt, p);
    std::shared_ptr<const Extractor> ex;
    size_t len = maxlen;
    for (; len > 0; --len) {
      ex = try_operand(fmt.substr(p, len), registry, pool, EventSource::kSyscall);
      if (ex) break;
    }
    if (!ex) {
      // A field-shaped token that is not registered gets the unknown-field error (see is_unknown_field_error).
      std::string_view tok = fmt.substr(p, maxlen);
      std::string_view name = tok.substr(0, tok.find('['));
      while (!name.empty() && name.back() == '.') name.remove_suffix(1);
      std::string sfx;
      if (name.find('.') != std::string_view::npos && name.find('(') == std::string_view::npos &&
          !registry.resolve(name, &sfx))
        return make_error("filter_check called with nonexistent field " + std::string(name) +
                          " (output format token at pos " + std::to_string(i) + ")");
      size_t end = std::min(fmt.size(), p + std::max<size_t>(maxlen, 1));
      return make_error("invalid output format token '%" + std::string(fmt.substr(p, end - p)) + "' at pos " +
                        std::to_string(i));
    }
    std::string key(fmt.substr(p, len));
    i = p + len;
    OutputFormat::Token t;
    t.literal = std::move(literal);
    literal.clear();
    t.extractor = std::move(ex);
    t.key = std::move(key);
    t.width = width;
    out.tokens_.push_back(std::move(t));
  }
  if (!literal.empty()) {
    OutputFormat::Token t;
    t.literal = std::move(literal);
    out.tokens_.push_back(std::move(t));
  }
  for (uint32_t k = 0; k < out.tokens_.size(); ++k)
    if (out.tokens_[k].extractor) out.by_key_.push_back(k);
  // By key, then position: of two tokens with one key the first stays (unique keeps it). std::sort, not
  // stable_sort, which takes a temporary buffer from operator new(nothrow).
  std::sort(out.by_key_.begin(), out.by_key_.end(), [&](uint32_t a, uint32_t b) {
    const int c = out.tokens_[a].key.compare(out.tokens_[b].key);
    return c < 0 || (c == 0 && a < b);
  });
  out.by_key_.erase(std::unique(out.by_key_.begin(), out.by_key_.end(),
                                [&](uint32_t a, uint32_t b) { return out.tokens_[a].key == out.tokens_[b].key; }),
                    out.by_key_.end());
  return out;
}

void OutputFormat::render(EvalContext& ctx, std::string& text, std::map<std::string, FieldValue>* typed) const {
  text.clear();
  const bool typed_fresh = typed != nullptr && typed->empty();
  for (const auto& t : tokens_) {
    text += t.literal;
    if (!t.extractor) continue;
    const ExtractedValue& v = t.extractor->get(ctx);
    size_t start = text.size();
    render_value(*t.extractor, v, text);
    if (t.width) {
      size_t n = text.size() - start;
      if (n > t.width) text.resize(start + t.width);
      else text.append(t.width - n, ' ');
    }
    if (typed != nullptr && !typed_fresh) (*typed)[t.key] = typed_value(*t.extractor, v);
  }
  if (!typed_fresh) return;
  // A token's key repeated gives the same value (same extractor, same event): one entry per key, in key order.
  for (uint32_t k : by_key_) {
    const Token& t = tokens_[k];
    typed->emplace_hint(typed->end(), t.key, typed_value(*t.extractor, t.extractor->get(ctx)));
  }
}

std::vector<std::string> OutputFormat::field_keys() const {
  std::vector<std::string> keys;
  for (const auto& t : tokens_)
    if (t.extractor && std::find(keys.begin(), keys.end(), t.key) == keys.end()) keys.push_back(t.key);
  return keys;
}

}  // namespace peregrine::engine
