#include "router/delivery/throttle.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/alert_text.h"
#include "common/fd_util.h"
#include "outputs/template/template.h"

namespace peregrine::router {
namespace {

using nlohmann::json;

uint64_t fnv1a(std::string_view s, uint64_t h) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

// A stable uuid for a window's summary: a resend after a crash carries the same one.
std::string summary_uuid(const std::string& output, const std::string& key, uint64_t start_ns) {
  const std::string seed = output + "\n" + key + "\n" + std::to_string(start_ns);
  const uint64_t hi = fnv1a(seed, 0xcbf29ce484222325ull), lo = fnv1a(seed, 0x84222325cbf29ce4ull);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-8%03x-9%03x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xfff),
                static_cast<unsigned>(lo >> 48) & 0xfff, static_cast<unsigned long long>(lo & 0xffffffffffffull));
  return buf;
}

std::string describe_window(uint64_t ms) {
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace

Throttle::Throttle(outputs::ThrottleConfig cfg, std::string output) : cfg_(std::move(cfg)), output_(std::move(output)) {}

std::string Throttle::key_of(const Alert& a) const {
  std::string key;
  for (size_t i = 0; i < cfg_.key.size(); ++i) {
    if (i) key += '\x1f';
    key += outputs::template_value(a, cfg_.key[i]).value_or("<NA>");
  }
  return key;
}

void Throttle::end_window(std::list<Window>::iterator it) {
  windows_.erase(it->key);  // before the window is moved from
  if (it->suppressed > 0) ended_.push_back(std::move(*it));
  order_.erase(it);
}

bool Throttle::admit(const Alert& a, uint64_t now_ns) {
  const std::string key = key_of(a);
  const uint64_t window_ns = static_cast<uint64_t>(cfg_.window.count()) * 1'000'000ull;
  auto found = windows_.find(key);
  if (found != windows_.end() && now_ns >= found->second->start_ns + window_ns) {
    end_window(found->second);  // ended while no summary was taken: keep its summary, open a new window
    found = windows_.end();
  }
  if (found == windows_.end()) {
    if (windows_.size() >= cfg_.max_keys) end_window(order_.begin());
    order_.push_back(Window{key, now_ns, 0, 0, 0, 0, std::nullopt});
    found = windows_.emplace(key, std::prev(order_.end())).first;
  }
  Window& w = *found->second;
  if (w.sent < cfg_.max) {
    ++w.sent;
    return true;
  }
  if (w.suppressed++ == 0) {
    w.first_ns = a.time_ns;
    w.sample = a;
  }
  w.last_ns = a.time_ns;
  return false;
}

std::vector<Alert> Throttle::due(uint64_t now_ns) {
  const uint64_t window_ns = static_cast<uint64_t>(cfg_.window.count()) * 1'000'000ull;
  while (!order_.empty() && now_ns >= order_.front().start_ns + window_ns) end_window(order_.begin());
  std::vector<Alert> out;
  if (cfg_.summary)
    for (const auto& w : ended_) out.push_back(summary(w));
  ended_.clear();
  return out;
}

std::optional<uint64_t> Throttle::next_due() const {
  if (!ended_.empty()) return 0;
  const uint64_t window_ns = static_cast<uint64_t>(cfg_.window.count()) * 1'000'000ull;
  std::optional<uint64_t> next;
  for (const auto& w : order_)
    if (w.suppressed > 0 && (!next || w.start_ns + window_ns < *next)) next = w.start_ns + window_ns;
  return next;
}

Alert Throttle::summary(const Window& w) const {
  Alert s = *w.sample;
  s.uuid = summary_uuid(output_, w.key, w.start_ns);
  s.time_ns = w.last_ns;
  std::string key_text;
  std::istringstream values(w.key);
  for (const auto& name : cfg_.key) {
    std::string v;
    std::getline(values, v, '\x1f');
    key_text += (key_text.empty() ? "" : ", ") + name + "=" + v;
  }
  s.output = "Throttled: " + std::to_string(w.suppressed) + " more alert(s) like this from " +
             format_rfc3339_ns(w.first_ns) + " to " + format_rfc3339_ns(w.last_ns) + " (" + key_text + "; at most " +
             std::to_string(cfg_.max) + " per " + describe_window(static_cast<uint64_t>(cfg_.window.count())) +
             "). First suppressed: " + w.sample->output;
  s.output_fields["peregrine.throttle.suppressed"] = static_cast<int64_t>(w.suppressed);
  s.output_fields["peregrine.throttle.first"] = format_rfc3339_ns(w.first_ns);
  s.output_fields["peregrine.throttle.last"] = format_rfc3339_ns(w.last_ns);
  s.output_fields["peregrine.throttle.key"] = key_text;
  s.tags.push_back("peregrine_throttle_summary");
  std::sort(s.tags.begin(), s.tags.end());
  return s;
}

std::string Throttle::save() const {
  json windows = json::array();
  auto one = [](const Window& w) {
    json j = {{"key", w.key}, {"start_ns", w.start_ns}, {"sent", w.sent}, {"suppressed", w.suppressed},
              {"first_ns", w.first_ns}, {"last_ns", w.last_ns}};
    if (w.sample) j["sample"] = json::parse(alert_json_text(*w.sample));
    return j;
  };
  for (const auto& w : order_) windows.push_back(one(w));
  json ended = json::array();
  for (const auto& w : ended_) ended.push_back(one(w));
  return json{{"version", 1}, {"windows", windows}, {"ended", ended}}.dump();
}

Result<void> Throttle::load(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("version", 0) != 1) return make_error("not a throttle state");
  auto one = [](const json& x) -> Result<Window> {
    Window w{x.at("key").get<std::string>(), x.at("start_ns").get<uint64_t>(), x.at("sent").get<uint32_t>(),
             x.at("suppressed").get<uint64_t>(), x.at("first_ns").get<uint64_t>(), x.at("last_ns").get<uint64_t>(),
             std::nullopt};
    if (x.contains("sample")) {
      auto a = alert_from_json(x["sample"]);
      if (!a) return a.error();
      w.sample = std::move(a).value();
    }
    return w;
  };
  try {
    order_.clear();
    windows_.clear();
    ended_.clear();
    for (const auto& x : j.at("windows")) {
      auto w = one(x);
      if (!w) return w.error();
      order_.push_back(std::move(w).value());
      windows_[order_.back().key] = std::prev(order_.end());
    }
    for (const auto& x : j.at("ended")) {
      auto w = one(x);
      if (!w) return w.error();
      ended_.push_back(std::move(w).value());
    }
  } catch (const json::exception& e) {
    return make_error(std::string("throttle state: ") + e.what());
  }
  return {};
}

Result<void> Throttle::save_to(const std::filesystem::path& file) const {
  const std::string tmp = file.string() + ".tmp";
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
    if (!fd.valid()) return errno_error("create", tmp);
    if (auto r = write_all(fd.get(), save(), tmp); !r) return r;
    if (::fdatasync(fd.get()) != 0) return errno_error("fdatasync", tmp);
  }
  if (::rename(tmp.c_str(), file.c_str()) != 0) return errno_error("rename", tmp);
  return fsync_dir(file.parent_path().string());
}

Result<void> Throttle::load_from(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return {};  // no state yet
  std::stringstream ss;
  ss << in.rdbuf();
  if (auto r = load(ss.str()); !r) return make_error(file.string() + ": " + r.error().message, ErrorCode::kInvalid);
  return {};
}

}  // namespace peregrine::router
