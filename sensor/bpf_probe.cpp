#include "sensor/bpf_probe.h"

#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "peregrine.skel.h"
#include "sensor/syscall_table.h"

namespace peregrine::sensor {
namespace {

// libbpf prints through one global callback; keep the tail of its log for the load error message.
std::mutex g_log_mu;
std::string g_log;

int capture_libbpf_log(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char buf[2048];
  int n = std::vsnprintf(buf, sizeof(buf), fmt, args);
  std::lock_guard lk(g_log_mu);
  g_log.append(buf, n > 0 ? std::min<size_t>(static_cast<size_t>(n), sizeof(buf) - 1) : 0);
  if (g_log.size() > 16384) g_log.erase(0, g_log.size() - 16384);
  return 0;
}

// One ring per group of `cpus_per_buffer` possible CPUs (0 = one ring for all).
uint32_t ring_count(uint32_t cpus_per_buffer) {
  const int cpus = libbpf_num_possible_cpus();
  if (cpus_per_buffer == 0 || cpus <= 0) return 1;
  return (static_cast<uint32_t>(cpus) + cpus_per_buffer - 1) / cpus_per_buffer;
}

std::string log_tail(size_t max_lines) {
  std::lock_guard lk(g_log_mu);
  size_t pos = g_log.size();
  for (size_t i = 0; i <= max_lines && pos != std::string::npos && pos > 0; ++i) pos = g_log.rfind('\n', pos - 1);
  return pos == std::string::npos ? g_log : g_log.substr(pos + 1);
}

bool has_bpf_privileges() {
  if (::geteuid() == 0) return true;
  // CAP_BPF (39) + CAP_PERFMON (38) is the non-root minimum for tracing programs; read the effective set.
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("CapEff:", 0) != 0) continue;
    uint64_t eff = std::strtoull(line.c_str() + 7, nullptr, 16);
    return (eff & (1ull << 39)) != 0 && (eff & (1ull << 38)) != 0;
  }
  return false;
}

uint32_t round_pow2_mib(uint32_t mib) {
  uint32_t v = 1;
  while (v < mib && v < 1024) v <<= 1;
  return v;
}

}  // namespace

uint64_t KernelCounters::drops() const {
  uint64_t d = oversize + scratch;
  for (auto v : ring_full) d += v;
  return d;
}

KernelCounters operator-(const KernelCounters& now, const KernelCounters& before) {
  KernelCounters d;
  d.events = now.events - before.events;
  for (size_t c = 0; c < d.ring_full.size(); ++c) d.ring_full[c] = now.ring_full[c] - before.ring_full[c];
  d.oversize = now.oversize - before.oversize;
  d.scratch = now.scratch - before.scratch;
  d.filtered = now.filtered - before.filtered;
  d.filtered_close = now.filtered_close - before.filtered_close;
  return d;
}

std::string_view drop_category_name(int c) {
  switch (c) {
    case PG_CAT_PROC: return "proc";
    case PG_CAT_FILE: return "file";
    case PG_CAT_NET: return "net";
    case PG_CAT_CLOSE: return "close";
    default: return "other";
  }
}

Result<std::unique_ptr<BpfProbe>> BpfProbe::open(const ProbeOptions& opts, RecordHandler on_record) {
  if (!has_bpf_privileges())
    return make_error("not running as root (or without CAP_BPF+CAP_PERFMON): the sensor cannot load BPF programs");
  if (!std::filesystem::exists(opts.btf_path))
    return make_error("no kernel BTF at " + opts.btf_path +
                      ": the kernel needs CONFIG_DEBUG_INFO_BTF=y for CO-RE programs");
  libbpf_set_print(capture_libbpf_log);
  std::unique_ptr<BpfProbe> p(new BpfProbe());
  p->on_record_ = std::move(on_record);
  if (auto r = p->load(opts); !r) return r.error();
  if (auto r = p->attach(opts); !r) return r.error();
  return p;
}

BpfProbe::~BpfProbe() {
  if (rb_ != nullptr) ring_buffer__free(rb_);
  if (skel_ != nullptr) peregrine_bpf__destroy(skel_);
  for (int fd : ring_fds_) ::close(fd);
}

Result<void> BpfProbe::create_rings(uint32_t n, uint32_t cpus_per_ring, uint32_t ring_bytes) {
  const int outer = bpf_map__fd(skel_->maps.pg_rings);
  for (uint32_t i = 0; i < n; ++i) {
    std::string name = "pg_ring_" + std::to_string(i);
    int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, name.c_str(), 0, 0, ring_bytes, nullptr);
    if (fd < 0)
      return make_error("cannot create ring buffer " + std::to_string(i) + " of " + std::to_string(n) + " (" +
                        std::to_string(ring_bytes >> 20) + " MiB): " + std::strerror(errno));
    ring_fds_.push_back(fd);
    if (bpf_map_update_elem(outer, &i, &fd, BPF_ANY) != 0)
      return make_error("cannot install ring buffer " + std::to_string(i) + ": " + std::strerror(errno));
    if (i == 0) rb_ = ring_buffer__new(fd, &BpfProbe::on_sample, this, nullptr);
    else if (rb_ != nullptr && ring_buffer__add(rb_, fd, &BpfProbe::on_sample, this) != 0) {
      return make_error("cannot map ring buffer " + std::to_string(i) + ": " + std::strerror(errno));
    }
    if (rb_ == nullptr) return make_error("cannot map the BPF ring buffer: " + std::string(std::strerror(errno)));
  }
  settings_.cpus_per_ring = cpus_per_ring;
  return {};
}

Result<void> BpfProbe::load(const ProbeOptions& opts) {
  skel_ = peregrine_bpf__open();
  if (skel_ == nullptr) return make_error(std::string("BPF object open failed: ") + std::strerror(errno));
  const uint32_t ring_bytes = round_pow2_mib(opts.ring_buffer_mib) * 1024u * 1024u;
  const uint32_t rings = ring_count(opts.cpus_per_buffer);
  bpf_map__set_max_entries(skel_->maps.pg_rings, rings);
  // The inner template (bpf/pg_common.bpf.h, one page) is created and freed again at load; the real rings
  // come later. (libbpf 1.1 crashes on bpf_map__set_max_entries of an inner map, so the size is in the C.)
  if (!opts.enter_hook) bpf_program__set_autoload(skel_->progs.syscall_enter__stash, false);
  if (int err = peregrine_bpf__load(skel_); err != 0)
    return make_error("BPF load rejected by the kernel (" + std::string(std::strerror(-err)) + "):\n" + log_tail(12));

  for (const auto& row : syscall_rows()) {
    uint32_t key = static_cast<uint32_t>(row.type);
    pg_recipe recipe = row.recipe;
    if (!opts.capture_buffers)
      for (auto& k : recipe.kind)
        if (k == PG_P_DATA) k = PG_P_NONE;  // I/O payloads only when asked for (privacy, bytes per event)
    if (bpf_map__update_elem(skel_->maps.pg_recipes, &key, sizeof(key), &recipe, sizeof(recipe), BPF_ANY))
      return make_error("cannot fill the recipe map: " + std::string(std::strerror(errno)));
  }
  if (auto r = create_rings(rings, opts.cpus_per_buffer, ring_bytes); !r) return r;
  settings_.ignore_tgid = opts.ignore_tgid;
  settings_.enter_hook = opts.enter_hook ? 1 : 0;
  return write_settings();
}

Result<void> BpfProbe::attach(const ProbeOptions& opts) {
  struct Hook {
    bpf_program* prog;
    bpf_link** link;
    const char* name;
    bool required;
  };
  const Hook hooks[] = {
      {skel_->progs.syscall_exit__dispatch, &skel_->links.syscall_exit__dispatch, "sys_exit", true},
      {skel_->progs.sched_process__exec, &skel_->links.sched_process__exec, "sched_process_exec", true},
      {skel_->progs.sched_process__exit, &skel_->links.sched_process__exit, "sched_process_exit", true},
      {skel_->progs.sched_process__fork, &skel_->links.sched_process__fork, "sched_process_fork", false},
      {skel_->progs.syscall_enter__stash, &skel_->links.syscall_enter__stash, "sys_enter", false},
  };
  for (const auto& h : hooks) {
    if (h.prog == skel_->progs.syscall_enter__stash && !opts.enter_hook) continue;
    *h.link = bpf_program__attach(h.prog);
    if (*h.link == nullptr) {
      std::string why = std::string("cannot attach tp_btf/") + h.name + ": " + std::strerror(errno);
      if (h.required) return make_error(why);
      warnings_.push_back(why + " (optional hook, continuing without it)");
      continue;
    }
    attached_.push_back(h.name);
  }
  return {};
}

Result<void> BpfProbe::set_wanted(std::span<const EventType> types) {
  std::array<uint16_t, PG_SYSCALL_TABLE_SIZE> table{};
  for (auto t : types) {
    const auto* row = syscall_row(t);
    if (row != nullptr && row->nr >= 0 && row->nr < PG_SYSCALL_TABLE_SIZE)
      table[static_cast<size_t>(row->nr)] = static_cast<uint16_t>(t);
  }
  int fd = bpf_map__fd(skel_->maps.pg_wanted);
  for (uint32_t nr = 0; nr < table.size(); ++nr)
    if (bpf_map_update_elem(fd, &nr, &table[nr], BPF_ANY) != 0)
      return make_error("cannot update the wanted-syscall map: " + std::string(std::strerror(errno)));
  return {};
}

Result<void> BpfProbe::ignore_tid(uint32_t tid) {
  std::lock_guard lk(settings_mu_);
  size_t i = 0;
  while (i < PG_MAX_IGNORED_TIDS && settings_.ignore_tids[i] != 0 && settings_.ignore_tids[i] != tid) ++i;
  if (i == PG_MAX_IGNORED_TIDS) return make_error("too many ignored threads (max " +
                                                  std::to_string(PG_MAX_IGNORED_TIDS) + ")");
  settings_.ignore_tids[i] = tid;
  return write_settings();
}

Result<void> BpfProbe::write_settings() {
  const uint32_t zero = 0;
  if (bpf_map__update_elem(skel_->maps.pg_settings, &zero, sizeof(zero), &settings_, sizeof(settings_), BPF_ANY) != 0)
    return make_error("cannot update BPF settings: " + std::string(std::strerror(errno)));
  return {};
}

int BpfProbe::on_sample(void* ctx, void* data, size_t size) {
  auto* self = static_cast<BpfProbe*>(ctx);
  self->on_record_(std::span<const uint8_t>(static_cast<const uint8_t*>(data), size));
  return 0;
}

Result<int> BpfProbe::poll(int timeout_ms) {
  // The BPF side wakes us only when the ring is filling up (BPF_RB_NO_WAKEUP otherwise), so a poll that times
  // out is normal: drain whatever arrived since, then return.
  int n = ring_buffer__poll(rb_, timeout_ms);
  if (n < 0 && n != -EINTR) return make_error(std::string("ring buffer poll: ") + std::strerror(-n));
  int m = ring_buffer__consume(rb_);
  if (m < 0) return make_error(std::string("ring buffer consume: ") + std::strerror(-m));
  return (n < 0 ? 0 : n) + m;
}

KernelCounters BpfProbe::counters() const {
  KernelCounters out;
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return out;
  std::vector<pg_counters> per_cpu(static_cast<size_t>(ncpu));
  uint32_t zero = 0;
  if (bpf_map__lookup_elem(skel_->maps.pg_counters, &zero, sizeof(zero), per_cpu.data(),
                           per_cpu.size() * sizeof(pg_counters), 0) != 0)
    return out;
  for (const auto& c : per_cpu) {
    out.events += c.events;
    for (size_t i = 0; i < out.ring_full.size(); ++i) out.ring_full[i] += c.drops_ring_full[i];
    out.oversize += c.drops_oversize;
    out.scratch += c.drops_scratch;
    out.filtered += c.filtered;
    out.filtered_close += c.filtered_close;
  }
  return out;
}

}  // namespace peregrine::sensor
