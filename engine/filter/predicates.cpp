#include "engine/filter/predicates.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "engine/filter/substring.h"

namespace peregrine::engine {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool icontains(std::string_view hay, std::string_view lowered_needle) {
  if (lowered_needle.empty()) return true;
  if (hay.size() < lowered_needle.size()) return false;
  for (size_t i = 0; i + lowered_needle.size() <= hay.size(); ++i) {
    size_t j = 0;
    while (j < lowered_needle.size() && lower(hay[i + j]) == lowered_needle[j]) ++j;
    if (j == lowered_needle.size()) return true;
  }
  return false;
}

// Matches one [...] class at pattern[p] (p points after '['); returns the index after ']' or npos if malformed.
size_t match_class(std::string_view pat, size_t p, char c, bool ci, bool* matched) {
  bool negate = false;
  if (p < pat.size() && (pat[p] == '!' || pat[p] == '^')) {
    negate = true;
    ++p;
  }
  bool found = false;
  bool first = true;
  while (p < pat.size() && (first || pat[p] != ']')) {
    first = false;
    char lo = pat[p];
    if (lo == '\\' && p + 1 < pat.size()) lo = pat[++p];
    char hi = lo;
    if (p + 2 < pat.size() && pat[p + 1] == '-' && pat[p + 2] != ']') {
      hi = pat[p + 2];
      if (hi == '\\' && p + 3 < pat.size()) hi = pat[++p + 2];
      p += 2;
    }
    char x = ci ? lower(c) : c;
    char l = ci ? lower(lo) : lo, h = ci ? lower(hi) : hi;
    if (x >= l && x <= h) found = true;
    ++p;
  }
  if (p >= pat.size()) return std::string_view::npos;
  *matched = found != negate;
  return p + 1;
}

}  // namespace

bool glob_match(std::string_view pat, std::string_view s, bool ci) {
  size_t p = 0, i = 0;
  size_t star_p = std::string_view::npos, star_i = 0;
  while (i < s.size()) {
    if (p < pat.size()) {
      char pc = pat[p];
      if (pc == '*') {
        star_p = p++;
        star_i = i;
        continue;
      }
      if (pc == '?') {
        ++p;
        ++i;
        continue;
      }
      if (pc == '[') {
        bool m = false;
        size_t next = match_class(pat, p + 1, s[i], ci, &m);
        if (next == std::string_view::npos) {
          // Malformed class: '[' is a literal.
          if (s[i] == '[') {
            ++p;
            ++i;
            continue;
          }
        } else if (m) {
          p = next;
          ++i;
          continue;
        }
      } else {
        if (pc == '\\' && p + 1 < pat.size()) pc = pat[++p];
        if ((ci ? lower(pc) : pc) == (ci ? lower(s[i]) : s[i])) {
          ++p;
          ++i;
          continue;
        }
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p + 1;
    i = ++star_i;
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

Result<std::string> decode_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return make_error("hex string '" + std::string(hex) + "' has an odd length");
  std::string out;
  out.reserve(hex.size() / 2);
  auto hv = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < hex.size(); i += 2) {
    int a = hv(hex[i]), b = hv(hex[i + 1]);
    if (a < 0 || b < 0) return make_error("'" + std::string(hex) + "' is not a valid hex string");
    out += static_cast<char>(a * 16 + b);
  }
  return out;
}

void PathPrefixSet::add(std::string_view path) {
  Node* n = &root_;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) {
      auto it = n->children.find(path.substr(i, j - i));
      if (it == n->children.end())
        it = n->children.emplace(std::string(path.substr(i, j - i)), std::make_unique<Node>()).first;
      n = it->second.get();
    }
    i = j;
  }
  n->terminal = true;
}

bool PathPrefixSet::matches(std::string_view path) const {
  const Node* n = &root_;
  if (n->terminal) return true;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) {
      auto it = n->children.find(path.substr(i, j - i));
      if (it == n->children.end()) return false;
      n = it->second.get();
      if (n->terminal) return true;
    }
    i = j;
  }
  return false;
}

bool str_op_from_text(std::string_view op, StrOp* out) {
  static const std::pair<std::string_view, StrOp> kOps[] = {
      {"=", StrOp::kEq},           {"==", StrOp::kEq},         {"!=", StrOp::kNe},
      {"<", StrOp::kLt},           {"<=", StrOp::kLe},         {">", StrOp::kGt},
      {">=", StrOp::kGe},          {"contains", StrOp::kContains}, {"icontains", StrOp::kIContains},
      {"startswith", StrOp::kStartsWith}, {"endswith", StrOp::kEndsWith}, {"glob", StrOp::kGlob},
      {"iglob", StrOp::kIGlob},    {"regex", StrOp::kRegex},   {"bcontains", StrOp::kBContains},
      {"bstartswith", StrOp::kBStartsWith}, {"in", StrOp::kIn}, {"intersects", StrOp::kIn},
      {"pmatch", StrOp::kPmatch}};
  for (const auto& [t, o] : kOps) {
    if (t == op) {
      *out = o;
      return true;
    }
  }
  return false;
}

Result<StrPredicate> StrPredicate::make(StrOp op, const std::vector<std::string>& values) {
  StrPredicate p;
  p.op_ = op;
  if (op == StrOp::kIn) {
    p.set_ = std::make_shared<StringSet>(values.begin(), values.end());
    return p;
  }
  if (op == StrOp::kPmatch) {
    p.paths_ = std::make_shared<PathPrefixSet>();
    for (const auto& v : values) p.paths_->add(v);
    return p;
  }
  if (values.size() != 1) return make_error("operator expects exactly one value");
  const std::string& v = values[0];
  switch (op) {
    case StrOp::kIContains:
      p.value_ = v;
      std::transform(p.value_.begin(), p.value_.end(), p.value_.begin(), lower);
      break;
    case StrOp::kBContains:
    case StrOp::kBStartsWith: {
      auto bytes = decode_hex(v);
      if (!bytes) return bytes.error();
      p.value_ = std::move(bytes.value());
      break;
    }
    case StrOp::kRegex: {
      re2::RE2::Options opts(re2::RE2::POSIX);
      opts.set_log_errors(false);
      p.re_ = std::make_shared<re2::RE2>(v, opts);
      if (!p.re_->ok()) return make_error("invalid regular expression '" + v + "': " + p.re_->error());
      break;
    }
    default:
      p.value_ = v;
  }
  return p;
}

bool compare_strings(StrOp op, std::string_view v, std::string_view c) {
  switch (op) {
    case StrOp::kEq: case StrOp::kIn: return v == c;
    case StrOp::kNe: return v != c;
    case StrOp::kLt: return v < c;
    case StrOp::kLe: return v <= c;
    case StrOp::kGt: return v > c;
    case StrOp::kGe: return v >= c;
    case StrOp::kContains: case StrOp::kBContains: return contains_substring(v, c);
    case StrOp::kIContains: {
      // Dynamic needle: compare case-insensitively without allocating.
      if (c.size() > v.size()) return false;
      for (size_t i = 0; i + c.size() <= v.size(); ++i) {
        size_t j = 0;
        while (j < c.size() && lower(v[i + j]) == lower(c[j])) ++j;
        if (j == c.size()) return true;
      }
      return c.empty();
    }
    case StrOp::kStartsWith: case StrOp::kBStartsWith: return v.substr(0, c.size()) == c;
    case StrOp::kEndsWith: return v.size() >= c.size() && v.substr(v.size() - c.size()) == c;
    case StrOp::kGlob: return glob_match(c, v, false);
    case StrOp::kIGlob: return glob_match(c, v, true);
    case StrOp::kRegex: case StrOp::kPmatch: return false;  // rejected at compile time
  }
  return false;
}

bool StrPredicate::test(std::string_view v) const {
  switch (op_) {
    case StrOp::kIn: return set_->find(v) != set_->end();
    case StrOp::kPmatch: return paths_->matches(v);
    case StrOp::kIContains: return icontains(v, value_);
    case StrOp::kRegex: return re2::RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *re_);
    default: return compare_strings(op_, v, value_);
  }
}

Result<IpNet> parse_ip_or_cidr(std::string_view text) {
  IpNet n;
  std::string addr(text);
  int prefix = -1;
  size_t slash = addr.find('/');
  if (slash != std::string::npos) {
    std::string_view ps = std::string_view(addr).substr(slash + 1);
    auto [p, ec] = std::from_chars(ps.data(), ps.data() + ps.size(), prefix);
    if (ec != std::errc() || p != ps.data() + ps.size() || prefix < 0)
      return make_error("invalid network '" + std::string(text) + "'");
    addr.resize(slash);
  }
  if (inet_pton(AF_INET, addr.c_str(), n.addr.bytes.data()) == 1) {
    n.addr.family = 2;
    if (prefix > 32) return make_error("invalid network '" + std::string(text) + "'");
    n.prefix = prefix < 0 ? 32 : prefix;
  } else if (inet_pton(AF_INET6, addr.c_str(), n.addr.bytes.data()) == 1) {
    n.addr.family = 10;
    if (prefix > 128) return make_error("invalid network '" + std::string(text) + "'");
    n.prefix = prefix < 0 ? 128 : prefix;
  } else {
    return make_error("'" + std::string(text) + "' is not a valid IP address or CIDR network");
  }
  return n;
}

bool ip_in_net(const IpAddr& ip, const IpNet& net) {
  if (ip.family != net.addr.family) return false;
  int full = net.prefix / 8, rest = net.prefix % 8;
  if (std::memcmp(ip.bytes.data(), net.addr.bytes.data(), full) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (ip.bytes[full] & mask) == (net.addr.bytes[full] & mask);
}

}  // namespace peregrine::engine
