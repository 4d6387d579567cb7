#include "router/queue/durable_queue.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <system_error>

#include <sys/stat.h>

#include "router/queue/crc32c.h"
#include "common/fd_util.h"

namespace peregrine::router {
namespace fs = std::filesystem;

struct DurableQueue::Segment {
  uint64_t first_seq = 0;
  std::string path;
  UniqueFd fd;
  std::vector<uint64_t> offsets;  // file offset of each record's header
  uint64_t data_end = 0;          // end of the last valid record
  uint64_t file_bytes = 0;        // bytes counted against the disk budget

  uint64_t end_seq() const { return first_seq + offsets.size(); }
};

namespace {

void put_u32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFFu);
}
void put_u64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFFu);
}
uint32_t get_u32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t get_u64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

uint32_t record_crc(uint64_t seq, std::string_view payload) {
  char s[8];
  put_u64(s, seq);
  return crc32c(crc32c(0, s, sizeof s), payload.data(), payload.size());
}

void append_frame(std::string& out, uint64_t seq, std::string_view payload) {
  char h[DurableQueue::kHeaderBytes];
  put_u32(h, static_cast<uint32_t>(payload.size()));
  put_u32(h + 4, record_crc(seq, payload));
  put_u64(h + 8, seq);
  out.append(h, sizeof h);
  out.append(payload);
}

std::string sanitize_cursor_name(const std::string& name) {
  std::string out = name;
  for (char& c : out) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.' || c == '#';
    if (!ok) c = '_';
  }
  return out;
}

// Names in `dir`, without throwing (a directory iterator's increment can throw; recovery must not).
Result<std::vector<std::string>> list_dir(const fs::path& dir) {
  std::error_code ec;
  std::vector<std::string> names;
  fs::directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) names.push_back(it->path().filename().string());
  if (ec) return make_error("cannot list queue dir " + dir.string() + ": " + ec.message(), ErrorCode::kIo);
  return names;
}

Result<uint64_t> read_cursor_file(const fs::path& p) {
  std::ifstream in(p);
  uint64_t v = 0;
  if (!(in >> v)) return make_error("unreadable cursor file " + p.string());
  return v;
}

}  // namespace

std::string DurableQueue::segment_name(uint64_t first_seq) {
  std::ostringstream os;
  os << std::setw(20) << std::setfill('0') << first_seq << ".seg";
  return os.str();
}

DurableQueue::DurableQueue(QueueOptions options) : options_(std::move(options)) {}

DurableQueue::~DurableQueue() {
  std::lock_guard lk(mu_);
  if (dirty_ && options_.fsync != config::FsyncMode::kNone) (void)sync_locked();
}

Result<std::unique_ptr<DurableQueue>> DurableQueue::open(QueueOptions options) {
  if (options.dir.empty()) return make_error("queue.dir is empty");
  if (options.segment_bytes < 4096) return make_error("queue.segment_bytes must be at least 4096");
  if (options.max_bytes < options.segment_bytes) return make_error("queue.max_bytes must be >= queue.segment_bytes");
  std::unique_ptr<DurableQueue> q(new DurableQueue(std::move(options)));
  auto r = q->recover();
  if (!r) return r.error();
  return q;
}

Result<void> DurableQueue::recover() {
  std::error_code ec;
  fs::create_directories(options_.dir / "cursors", ec);
  if (ec) return make_error("cannot create queue dir " + options_.dir.string() + ": " + ec.message());

  std::vector<uint64_t> firsts;
  auto names = list_dir(options_.dir);
  if (!names) return names.error();
  for (const auto& n : *names) {
    // Only our own names: 20 digits + ".seg" whose number fits a seq. Anything else is left alone.
    if (n.size() != 24 || n.compare(20, 4, ".seg") != 0) continue;
    uint64_t first = 0;
    const auto [end, err] = std::from_chars(n.data(), n.data() + 20, first);
    if (err != std::errc() || end != n.data() + 20) continue;
    firsts.push_back(first);
  }
  std::sort(firsts.begin(), firsts.end());

  for (size_t i = 0; i < firsts.size(); ++i) {
    auto seg = std::make_unique<Segment>();
    seg->first_seq = firsts[i];
    seg->path = (options_.dir / segment_name(firsts[i])).string();
    seg->fd = UniqueFd(::open(seg->path.c_str(), O_RDWR | O_CLOEXEC));
    if (!seg->fd.valid()) return errno_error("open", seg->path);
    auto r = recover_segment(*seg, i + 1 == firsts.size());
    if (!r) return r;
    bytes_on_disk_ += seg->file_bytes;
    segments_.push_back(std::move(seg));
  }
  next_seq_ = segments_.empty() ? 0 : segments_.back()->end_seq();

  // Never hand out a seq a persisted cursor has already passed (e.g. segments deleted by hand).
  auto cursors = list_dir(options_.dir / "cursors");
  if (!cursors) return cursors.error();
  for (const auto& n : *cursors) {
    if (fs::path(n).extension() != ".cursor") continue;
    auto v = read_cursor_file(options_.dir / "cursors" / n);
    if (v) next_seq_ = std::max(next_seq_, *v);
  }
  last_sync_ = std::chrono::steady_clock::now();
  durable_seq_ = next_seq_;  // what survived the restart is what the disk has
  if (segments_.empty() || segments_.back()->end_seq() < next_seq_) return roll_segment_locked();
  return {};
}

Result<void> DurableQueue::recover_segment(Segment& seg, bool newest) {
  struct stat st {};
  if (::fstat(seg.fd.get(), &st) != 0) return errno_error("fstat", seg.path);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  uint64_t off = 0;
  std::string payload;
  bool bad = false;
  while (off < size) {
    char h[kHeaderBytes];
    if (size - off < kHeaderBytes) { bad = true; break; }
    if (auto r = pread_all(seg.fd.get(), h, sizeof h, off, seg.path); !r) return r;
    const uint32_t len = get_u32(h);
    const uint64_t seq = get_u64(h + 8);
    if (len > options_.max_record_bytes || size - off - kHeaderBytes < len ||
        seq != seg.first_seq + seg.offsets.size()) {
      bad = true;
      break;
    }
    payload.resize(len);
    if (auto r = pread_all(seg.fd.get(), payload.data(), len, off + kHeaderBytes, seg.path); !r) return r;
    if (record_crc(seq, payload) != get_u32(h + 4)) { bad = true; break; }
    seg.offsets.push_back(off);
    off += kHeaderBytes + len;
  }
  seg.data_end = off;
  seg.file_bytes = size;
  if (!bad) return {};
  if (newest) {
    // A crash mid-append leaves a partial frame at the end: cut it so new appends follow valid data.
    if (::ftruncate(seg.fd.get(), static_cast<off_t>(off)) != 0) return errno_error("ftruncate", seg.path);
    seg.file_bytes = off;
    ++counters_.truncated_tail;
  } else {
    ++counters_.corrupt_records;
  }
  return {};
}

Result<void> DurableQueue::roll_segment_locked() {
  if (!segments_.empty() && options_.fsync != config::FsyncMode::kNone && dirty_) {
    if (auto r = sync_locked(); !r) return r;
  }
  auto seg = std::make_unique<Segment>();
  seg->first_seq = next_seq_;
  seg->path = (options_.dir / segment_name(next_seq_)).string();
  seg->fd = UniqueFd(::open(seg->path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
  if (!seg->fd.valid()) return errno_error("create", seg->path);
  if (options_.fsync != config::FsyncMode::kNone) {
    if (auto r = fsync_dir(options_.dir.string()); !r) return r;
  }
  segments_.push_back(std::move(seg));
  return {};
}

Result<uint64_t> DurableQueue::append(std::span<const std::string> payloads) {
  auto first = write(payloads);
  if (!first) return first;
  if (auto r = make_durable(*first + payloads.size()); !r) return r.error();
  return first;
}

void DurableQueue::mark_durable(uint64_t seq) {
  uint64_t cur = durable_seq_.load();
  while (cur < seq && !durable_seq_.compare_exchange_weak(cur, seq)) {
  }
}

Result<void> DurableQueue::make_durable(uint64_t end_seq) {
  if (options_.fsync != config::FsyncMode::kBatch || durable_seq_.load() >= end_seq) return {};
  std::lock_guard sl(sync_mu_);
  if (durable_seq_.load() >= end_seq) return {};  // a concurrent caller's fdatasync covered these records
  uint64_t target = 0;
  std::string path;
  UniqueFd fd;
  {
    std::lock_guard lk(mu_);
    if (failed_) return make_error(failure_, ErrorCode::kIo);
    target = next_seq_;
    if (!dirty_) {
      mark_durable(target);
      return {};
    }
    path = segments_.back()->path;
    // Our own descriptor: the segment may roll (and, much later, be reclaimed) while we sync outside the lock.
    fd = UniqueFd(::dup(segments_.back()->fd.get()));
    if (!fd.valid()) return errno_error("dup", path);
  }
  if (::fdatasync(fd.get()) != 0) {
    auto e = errno_error("fdatasync", path);
    std::lock_guard lk(mu_);
    failed_ = true;
    failure_ = "queue unusable after a failed fdatasync (restart required): " + e.message;
    return make_error(failure_, ErrorCode::kIo);
  }
  mark_durable(target);
  std::lock_guard lk(mu_);
  ++counters_.fsyncs;
  last_sync_ = std::chrono::steady_clock::now();
  if (next_seq_ == target) dirty_ = false;
  return {};
}

Result<uint64_t> DurableQueue::write(std::span<const std::string> payloads) {
  std::string buf;
  std::unique_lock lk(mu_);
  if (failed_) return make_error(failure_, ErrorCode::kIo);
  const uint64_t first = next_seq_;
  size_t total = 0;
  for (const auto& p : payloads) {
    if (p.size() > options_.max_record_bytes) {
      return make_error("record of " + std::to_string(p.size()) + " bytes exceeds queue max_record_bytes",
                        ErrorCode::kInvalid);
    }
    total += kHeaderBytes + p.size();
  }
  if (bytes_on_disk_ + total > options_.max_bytes) {
    counters_.rejected_full += payloads.size();
    return make_error("queue full: disk budget of " + std::to_string(options_.max_bytes) + " bytes in " +
                      options_.dir.string() + " exhausted (" + std::to_string(bytes_on_disk_) +
                      " used); an output is not keeping up",
                      ErrorCode::kQueueFull);
  }
  Segment* seg = segments_.back().get();
  if (!seg->offsets.empty() && seg->data_end + total > options_.segment_bytes) {
    if (auto r = roll_segment_locked(); !r) return r.error();
    seg = segments_.back().get();
  }
  buf.reserve(total);
  std::vector<uint64_t> offs;
  offs.reserve(payloads.size());
  for (size_t i = 0; i < payloads.size(); ++i) {
    offs.push_back(seg->data_end + buf.size());
    append_frame(buf, first + i, payloads[i]);
  }
  if (::lseek(seg->fd.get(), static_cast<off_t>(seg->data_end), SEEK_SET) < 0) return errno_error("lseek", seg->path);
  if (auto r = write_all(seg->fd.get(), buf, seg->path); !r) {
    (void)!::ftruncate(seg->fd.get(), static_cast<off_t>(seg->data_end));  // leave no partial batch behind
    return r.error();
  }
  seg->offsets.insert(seg->offsets.end(), offs.begin(), offs.end());
  seg->data_end += buf.size();
  seg->file_bytes = seg->data_end;
  bytes_on_disk_ += buf.size();
  append_times_.add(next_seq_, static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                         std::chrono::system_clock::now().time_since_epoch())
                                                         .count()));
  next_seq_ += payloads.size();
  counters_.appended += payloads.size();
  dirty_ = true;
  if (options_.fsync == config::FsyncMode::kInterval &&
      std::chrono::steady_clock::now() - last_sync_ >= options_.fsync_interval) {
    if (auto r = sync_locked(); !r) return r.error();
  }
  lk.unlock();
  cv_.notify_all();
  return first;
}

Result<void> DurableQueue::sync_locked() {
  Segment* seg = segments_.back().get();
  if (::fdatasync(seg->fd.get()) != 0) {
    failed_ = true;
    failure_ = "queue unusable after a failed fdatasync (restart required): " +
               errno_error("fdatasync", seg->path).message;
    return make_error(failure_, ErrorCode::kIo);
  }
  mark_durable(next_seq_);
  last_sync_ = std::chrono::steady_clock::now();
  dirty_ = false;
  ++counters_.fsyncs;
  return {};
}

Result<void> DurableQueue::sync() {
  std::lock_guard lk(mu_);
  return dirty_ ? sync_locked() : Result<void>{};
}

Result<void> DurableQueue::sync_if_due() {
  std::lock_guard lk(mu_);
  if (!dirty_ || options_.fsync == config::FsyncMode::kNone) return {};
  if (std::chrono::steady_clock::now() - last_sync_ < options_.fsync_interval) return {};
  return sync_locked();
}

std::vector<std::unique_ptr<DurableQueue::Segment>>::const_iterator DurableQueue::find_segment_locked(
    uint64_t seq) const {
  return std::find_if(segments_.begin(), segments_.end(), [seq](const auto& s) { return s->end_seq() > seq; });
}

Result<std::vector<QueueRecord>> DurableQueue::read(uint64_t from_seq, size_t max_records, size_t max_bytes) const {
  std::vector<QueueRecord> out;
  std::lock_guard lk(mu_);
  size_t bytes = 0;
  std::string chunk;
  for (auto it = find_segment_locked(from_seq); it != segments_.end() && out.size() < max_records; ++it) {
    const Segment& seg = **it;
    if (seg.offsets.empty()) continue;
    size_t i = from_seq > seg.first_seq ? static_cast<size_t>(from_seq - seg.first_seq) : 0;
    size_t j = i;
    // Pick the records first so one pread covers them all.
    uint64_t end = seg.offsets[i];
    while (j < seg.offsets.size() && out.size() + (j - i) < max_records && (bytes == 0 || bytes < max_bytes)) {
      end = j + 1 < seg.offsets.size() ? seg.offsets[j + 1] : seg.data_end;
      bytes += static_cast<size_t>(end - seg.offsets[j]);
      ++j;
    }
    chunk.resize(static_cast<size_t>(end - seg.offsets[i]));
    if (auto r = pread_all(seg.fd.get(), chunk.data(), chunk.size(), seg.offsets[i], seg.path); !r) return r.error();
    for (size_t k = i; k < j; ++k) {
      const char* h = chunk.data() + (seg.offsets[k] - seg.offsets[i]);
      const uint32_t len = get_u32(h);
      std::string_view payload(h + kHeaderBytes, len);
      if (record_crc(seg.first_seq + k, payload) != get_u32(h + 4)) {
        ++counters_.corrupt_records;  // changed on disk after open: skip it, never crash the reader
        continue;
      }
      out.push_back(QueueRecord{seg.first_seq + k, std::string(payload), append_times_.at(seg.first_seq + k)});
    }
    if (bytes >= max_bytes) break;
    from_seq = seg.end_seq();
  }
  return out;
}

bool DurableQueue::wait_for_records(uint64_t from_seq, std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock lk(mu_);
  const uint64_t gen = wake_generation_;
  return cv_.wait_until(lk, deadline, [&] { return next_seq_ > from_seq || wake_generation_ != gen; }) &&
         next_seq_ > from_seq;
}

void DurableQueue::wake() {
  {
    std::lock_guard lk(mu_);
    ++wake_generation_;
  }
  cv_.notify_all();
}

Result<uint64_t> DurableQueue::register_cursor(const std::string& name) {
  const fs::path p = options_.dir / "cursors" / (sanitize_cursor_name(name) + ".cursor");
  std::lock_guard lk(mu_);
  uint64_t pos = next_seq_;
  std::error_code ec;
  if (fs::exists(p, ec)) {
    auto v = read_cursor_file(p);
    if (!v) return v.error();
    pos = std::min(*v, next_seq_);
  } else if (auto w = write_cursor_file(name, pos); !w) {
    // Persisted now, not at the first delivery: else a restart before that would skip what came in between.
    return w.error();
  }
  cursors_[name] = pos;
  return pos;
}

uint64_t DurableQueue::cursor(const std::string& name) const {
  std::lock_guard lk(mu_);
  auto it = cursors_.find(name);
  return it == cursors_.end() ? 0 : it->second;
}

Result<void> DurableQueue::write_cursor_file(const std::string& name, uint64_t next) const {
  const fs::path dir = options_.dir / "cursors";
  const std::string path = (dir / (sanitize_cursor_name(name) + ".cursor")).string();
  const std::string tmp = path + ".tmp";
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
    if (!fd.valid()) return errno_error("create", tmp);
    if (auto r = write_all(fd.get(), std::to_string(next) + "\n", tmp); !r) return r;
    if (options_.fsync != config::FsyncMode::kNone && ::fdatasync(fd.get()) != 0) return errno_error("fdatasync", tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return errno_error("rename", tmp);
  if (options_.fsync != config::FsyncMode::kNone) return fsync_dir(dir.string());
  return {};
}

Result<void> DurableQueue::commit_cursor(const std::string& name, uint64_t next) {
  if (auto r = write_cursor_file(name, next); !r) return r;
  {
    std::lock_guard lk(mu_);
    cursors_[name] = next;
    uint64_t min_cursor = UINT64_MAX;
    for (const auto& [n, c] : cursors_) min_cursor = std::min(min_cursor, c);
    append_times_.trim_below(min_cursor);
  }
  reclaim();
  return {};
}

void DurableQueue::set_before_reclaim(std::function<void()> hook) {
  std::lock_guard lk(mu_);
  before_reclaim_ = std::move(hook);
}

void DurableQueue::reclaim() {
  std::function<void()> hook;
  {
    std::lock_guard lk(mu_);
    if (cursors_.empty() || segments_.size() < 2) return;
    uint64_t min_cursor = UINT64_MAX;
    for (const auto& [n, c] : cursors_) min_cursor = std::min(min_cursor, c);
    if (segments_.front()->end_seq() > min_cursor) return;
    hook = before_reclaim_;
  }
  if (hook) hook();
  std::lock_guard lk(mu_);
  uint64_t min_cursor = UINT64_MAX;
  for (const auto& [n, c] : cursors_) min_cursor = std::min(min_cursor, c);
  while (segments_.size() >= 2 && segments_.front()->end_seq() <= min_cursor) {
    std::error_code ec;
    fs::remove(segments_.front()->path, ec);
    if (ec) break;  // retried on the next commit; the budget still counts it
    bytes_on_disk_ -= segments_.front()->file_bytes;
    segments_.erase(segments_.begin());
    ++counters_.reclaimed_segments;
  }
}

QueueStats DurableQueue::stats() const {
  std::lock_guard lk(mu_);
  QueueStats s = counters_;
  s.first_seq = segments_.empty() ? next_seq_ : segments_.front()->first_seq;
  s.next_seq = next_seq_;
  s.bytes_on_disk = bytes_on_disk_;
  s.segments = segments_.size();
  return s;
}

uint64_t DurableQueue::next_seq() const {
  std::lock_guard lk(mu_);
  return next_seq_;
}

}  // namespace peregrine::router
