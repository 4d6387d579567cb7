#include "engine/fields/registry.h"

#include <charconv>
#include <stdexcept>

#include "engine/fields/eval_context.h"
#include "engine/fields/simple.h"

namespace peregrine::engine {

void EvalContext::grow_memo(uint32_t id) { memo_.resize(static_cast<size_t>(id) + 1); }

void EvalContext::grow(uint32_t id) {
  slots_.reserve(static_cast<size_t>(id) + 16);
  while (slots_.size() <= id) slots_.push_back(std::make_unique<ExtractSlot>());
}

std::string_view field_type_name(FieldType t) {
  switch (t) {
    case FieldType::kString: return "string";
    case FieldType::kInt64: return "int64";
    case FieldType::kUint64: return "uint64";
    case FieldType::kBool: return "bool";
    case FieldType::kIpAddr: return "ipaddr";
    case FieldType::kIpNet: return "ipnet";
    case FieldType::kPort: return "port";
    case FieldType::kBytes: return "bytes";
    case FieldType::kRelTime: return "reltime";
    case FieldType::kAbsTime: return "abstime";
    case FieldType::kFlags: return "flags";
  }
  return "unknown";
}

void FieldRegistry::add(FieldInfo info) {
  std::string key = info.name;
  if (!fields_.emplace(key, std::move(info)).second)
    throw std::invalid_argument("duplicate field '" + key + "'");
}

const FieldInfo* FieldRegistry::find(std::string_view name) const {
  auto it = fields_.find(name);
  return it == fields_.end() ? nullptr : &it->second;
}

const FieldInfo* FieldRegistry::resolve(std::string_view name, std::string* suffix) const {
  if (const FieldInfo* f = find(name)) return f;
  // Longest dot-suffix field that prefixes name ("evt.arg" for "evt.arg.flags").
  for (size_t dot = name.rfind('.'); dot != std::string_view::npos && dot > 0; dot = name.rfind('.', dot - 1)) {
    const FieldInfo* f = find(name.substr(0, dot));
    if (f && f->has(kFieldDotSuffix)) {
      if (suffix) *suffix = std::string(name.substr(dot + 1));
      return f;
    }
    if (dot == 0) break;
  }
  return nullptr;
}

void FieldRegistry::for_each_field(const std::function<void(const FieldInfo&)>& fn) const {
  for (const auto& [_, f] : fields_) fn(f);
}

void register_builtin_fields(FieldRegistry& registry) {
  register_evt_fields(registry);
  register_proc_fields(registry);
  register_thread_fields(registry);
  register_fd_fields(registry);
  register_user_fields(registry);
  register_container_fields(registry);
  register_k8saudit_fields(registry);
}

const FieldRegistry& builtin_fields() {
  static const FieldRegistry reg = [] {
    FieldRegistry r;
    register_builtin_fields(r);
    return r;
  }();
  return reg;
}

std::shared_ptr<const Extractor> ExtractorPool::intern(const std::string& key, std::unique_ptr<Extractor> fresh) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_key_.find(key);
  if (it != by_key_.end()) return it->second;
  fresh->set_slot_id(next_slot_++);
  std::shared_ptr<Extractor> sp(std::move(fresh));
  by_key_.emplace(key, sp);
  return sp;
}

std::shared_ptr<const Extractor> ExtractorPool::find(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : it->second;
}

size_t ExtractorPool::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_key_.size();
}

ExtractorPool& default_extractor_pool() {
  static ExtractorPool pool;
  return pool;
}

Result<std::shared_ptr<const Extractor>> make_field_extractor(const FieldRegistry& registry, ExtractorPool& pool,
                                                              std::string_view name, bool has_arg,
                                                              std::string_view arg, const FieldInfo** info_out) {
  std::string suffix;
  const FieldInfo* info = registry.resolve(name, &suffix);
  if (!info) return make_error("filter_check called with nonexistent field " + std::string(name));
  if (info_out) *info_out = info;
  FieldRequest req;
  req.name = name;
  if (!suffix.empty()) {
    if (has_arg) return make_error("field '" + std::string(name) + "' does not accept an argument");
    req.has_arg = true;
    req.arg = suffix;
  } else {
    req.has_arg = has_arg;
    req.arg = std::string(arg);
  }
  std::string key(name);
  if (has_arg) key += "[" + std::string(arg) + "]";
  if (auto existing = pool.find(key)) return existing;
  auto made = info->factory(*info, req);
  if (!made) return made.error();
  return pool.intern(key, std::move(made.value()));
}

namespace fields {

Result<FieldArg> parse_field_arg(const FieldInfo& info, const FieldRequest& req) {
  FieldArg a;
  const std::string& n = info.name;
  if (!req.has_arg) {
    if (info.has(kFieldArgRequired)) return make_error("field '" + n + "' requires an argument");
    return a;
  }
  if (!info.has(kFieldArgRequired) && !info.has(kFieldArgAllowed) && !info.has(kFieldDotSuffix))
    return make_error("field '" + n + "' does not accept an argument");
  a.has = true;
  a.key = req.arg;
  if (info.has(kFieldArgIndex)) {
    int64_t v = -1;
    auto [p, ec] = std::from_chars(req.arg.data(), req.arg.data() + req.arg.size(), v);
    bool numeric = ec == std::errc() && p == req.arg.data() + req.arg.size() && v >= 0;
    if (numeric) {
      a.index = v;
    } else if (!info.has(kFieldArgKey)) {
      return make_error("wrong argument '" + req.arg + "' for field '" + n + "': expected a non-negative number");
    }
  }
  if (a.key.empty() && !info.has(kFieldArgIndex))
    return make_error("field '" + n + "' requires a non-empty argument");
  return a;
}

namespace {

const FieldDef* def_of(const FieldInfo& info);

// The factory shared by every table-registered field: the row is found through FieldInfo::id.
struct TableRef {
  std::span<const FieldDef> defs;
};
std::vector<TableRef>& tables() {
  static std::vector<TableRef> t;
  return t;
}

Result<std::unique_ptr<Extractor>> table_factory(const FieldInfo& info, const FieldRequest& req) {
  const FieldDef* d = def_of(info);
  if (!d) return make_error("internal: no extractor for field " + info.name);
  auto arg = parse_field_arg(info, req);
  if (!arg) return arg.error();
  FieldType type = d->type;
  if (d->resolve) {
    auto t = d->resolve(arg.value());
    if (!t) return make_error("field '" + std::string(req.name) + "': " + t.error().message);
    type = t.value();
  }
  bool any = info.has(kFieldAnyWithoutArg) && !arg->has;
  return std::unique_ptr<Extractor>(std::make_unique<SimpleExtractor>(
      type, info.has(kFieldIsList) || any, d->fn, std::move(arg.value()), any));
}

const FieldDef* def_of(const FieldInfo& info) {
  int table = info.id >> 16, row = info.id & 0xffff;
  if (table < 0 || static_cast<size_t>(table) >= tables().size()) return nullptr;
  const auto& defs = tables()[table].defs;
  return static_cast<size_t>(row) < defs.size() ? &defs[row] : nullptr;
}

}  // namespace

void register_table(FieldRegistry& reg, std::span<const FieldDef> defs, EventSource source) {
  // Tables are static constexpr arrays, so registering the same table twice (two registries) reuses its index.
  int table = -1;
  for (size_t i = 0; i < tables().size(); ++i)
    if (tables()[i].defs.data() == defs.data()) table = static_cast<int>(i);
  if (table < 0) {
    tables().push_back({defs});
    table = static_cast<int>(tables().size() - 1);
  }
  for (size_t i = 0; i < defs.size(); ++i) {
    FieldInfo f;
    f.name = std::string(defs[i].name);
    f.type = defs[i].type;
    f.flags = defs[i].flags;
    f.description = std::string(defs[i].description);
    f.source = source;
    f.id = (table << 16) | static_cast<int>(i);
    f.factory = &table_factory;
    reg.add(std::move(f));
  }
}

}  // namespace fields
}  // namespace peregrine::engine
