// Binary wire codec: see codec.h for the contract and docs/wire-format.md for the layout.
#include "common/codec.h"

#include <cstring>
#include <string>

namespace peregrine::wire {
namespace {

// Flag bits.
constexpr uint8_t kParamPresent = 1, kParamHasNum = 2, kParamHasStr = 4;
constexpr uint8_t kProcMemfd = 1, kProcUpper = 2, kProcWritable = 4, kProcLower = 8;
constexpr uint8_t kFdNameChanged = 1, kFdConnected = 2, kFdServer = 4, kFdHasSock = 8, kFdSockV4 = 16;

constexpr std::string_view kTypechars = "fd46upeslibmo";

uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& b) : b_(b) {}
  void u8(uint8_t v) { b_.push_back(v); }
  void fixed(uint64_t v, size_t n) {
    for (size_t i = 0; i < n; ++i) b_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void var(uint64_t v) {
    while (v >= 0x80) {
      b_.push_back(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    b_.push_back(static_cast<uint8_t>(v));
  }
  void svar(int64_t v) { var(zigzag(v)); }
  void raw(const void* p, size_t n) {
    const auto* c = static_cast<const uint8_t*>(p);
    b_.insert(b_.end(), c, c + n);
  }
  void str(const std::string& s) {
    var(s.size());
    raw(s.data(), s.size());
  }
  void list(const std::vector<std::string>& v) {
    var(v.size());
    for (const auto& s : v) str(s);
  }

 private:
  std::vector<uint8_t>& b_;
};

// Bounds-checked reader over one event record. On failure it records why and where; callers stop at once.
class Reader {
 public:
  Reader(const uint8_t* p, const uint8_t* end) : p_(p), begin_(p), end_(end) {}
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  size_t offset() const { return static_cast<size_t>(p_ - begin_); }
  bool fail(const char* why) {
    if (!why_) {
      why_ = why;
      fail_off_ = offset();
    }
    return false;
  }
  const char* why() const { return why_; }
  size_t fail_offset() const { return fail_off_; }

  bool u8(uint8_t& v) {
    if (remaining() < 1) return fail("truncated (u8)");
    v = *p_++;
    return true;
  }
  bool fixed(uint64_t& v, size_t n) {
    if (remaining() < n) return fail("truncated (fixed-width integer)");
    v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(p_[i]) << (8 * i);
    p_ += n;
    return true;
  }
  bool var(uint64_t& v) {
    // Most values (lengths, counts, small ids, flags) fit in one byte.
    if (p_ != end_ && *p_ < 0x80) [[likely]] {
      v = *p_++;
      return true;
    }
    v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
      if (p_ == end_) return fail("truncated (varint)");
      const uint8_t b = *p_++;
      if (shift == 63 && b > 1) return fail("varint overflows 64 bits");
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return fail("varint longer than 10 bytes");
  }
  bool svar(int64_t& v) {
    uint64_t u = 0;
    if (!var(u)) return false;
    v = unzigzag(u);
    return true;
  }
  template <typename T>
  bool var_as(T& v, uint64_t max, const char* why) {
    uint64_t u = 0;
    if (!var(u)) return false;
    if (u > max) return fail(why);
    v = static_cast<T>(u);
    return true;
  }
  bool u32(uint32_t& v) { return var_as(v, UINT32_MAX, "value exceeds 32 bits"); }
  bool count(size_t& n, size_t limit, const char* why) {
    uint64_t u = 0;
    if (!var(u)) return false;
    // Each element takes at least one byte, so a count above the remaining bytes is a lie: reject it before
    // anything is resized.
    if (u > limit) return fail(why);
    if (u > remaining()) return fail("element count exceeds remaining bytes");
    n = static_cast<size_t>(u);
    return true;
  }
  bool str(std::string& s) {
    uint64_t n = 0;
    if (!var(n)) return false;
    if (n > kMaxStringLen) return fail("string longer than kMaxStringLen");
    if (n > remaining()) return fail("string length exceeds remaining bytes");
    // clear + append: within the string's capacity (a reused Event) this is a copy and a length store, where
    // assign() takes the general replace path that also handles overlapping sources.
    s.clear();
    if (n != 0) s.append(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
    p_ += n;
    return true;
  }
  bool skip_str() {
    uint64_t n = 0;
    if (!var(n)) return false;
    if (n > kMaxStringLen) return fail("string longer than kMaxStringLen");
    if (n > remaining()) return fail("string length exceeds remaining bytes");
    p_ += n;
    return true;
  }
  bool list(std::vector<std::string>& v) {
    size_t n = 0;
    if (!count(n, kMaxListLen, "list longer than kMaxListLen")) return false;
    v.resize(n);
    for (auto& s : v)
      if (!str(s)) return false;
    return true;
  }
  bool raw(uint8_t* dst, size_t n) {
    if (remaining() < n) return fail("truncated (raw bytes)");
    std::memcpy(dst, p_, n);
    p_ += n;
    return true;
  }

 private:
  const uint8_t* p_;
  const uint8_t* begin_;
  const uint8_t* end_;
  const char* why_ = nullptr;
  size_t fail_off_ = 0;
};

bool has_sock(const SockInfo& s) {
  static constexpr std::array<uint8_t, 16> kZero{};
  return s.family != 0 || s.l4proto != 0 || s.local_ip != kZero || s.remote_ip != kZero || s.local_port != 0 ||
         s.remote_port != 0;
}

bool ipv4_compact(const SockInfo& s) {
  for (size_t i = 4; i < 16; ++i)
    if (s.local_ip[i] != 0 || s.remote_ip[i] != 0) return false;
  return true;
}

void write_proc(Writer& w, const ProcessInfo& p) {
  for (uint32_t v : {p.tid, p.pid, p.ppid, p.vtid, p.vpid, p.sid, p.pgid, p.vpgid, p.uid, p.gid, p.euid, p.egid})
    w.var(v);
  w.svar(static_cast<int32_t>(p.loginuid));  // -1 (unset) costs one byte
  w.var(p.tty);
  for (uint64_t v : {p.start_ts, p.cap_inheritable, p.cap_permitted, p.cap_effective, p.exe_ino,
                     p.exe_ino_ctime, p.exe_ino_mtime})
    w.var(v);
  w.u8(static_cast<uint8_t>((p.exe_from_memfd ? kProcMemfd : 0) | (p.exe_upper_layer ? kProcUpper : 0) |
                            (p.exe_writable ? kProcWritable : 0) | (p.exe_lower_layer ? kProcLower : 0)));
  for (const std::string* s : {&p.comm, &p.exe, &p.exepath, &p.cwd}) w.str(*s);
  w.list(p.args);
  w.list(p.env);
  for (const std::string* s : {&p.user_name, &p.group_name, &p.loginname, &p.sname}) w.str(*s);
  w.var(p.ancestors.size());
  for (const auto& a : p.ancestors) {
    w.var(a.pid);
    w.str(a.comm);
    w.str(a.exe);
    w.str(a.exepath);
    w.list(a.args);
  }
}

void write_fd(Writer& w, const FdInfo& f) {
  w.svar(f.num);
  w.u8(static_cast<uint8_t>(f.typechar));
  const bool sock = has_sock(f.sock);
  const bool v4 = sock && ipv4_compact(f.sock);
  w.u8(static_cast<uint8_t>((f.name_changed ? kFdNameChanged : 0) | (f.sock.connected ? kFdConnected : 0) |
                            (f.sock.is_server ? kFdServer : 0) | (sock ? kFdHasSock : 0) | (v4 ? kFdSockV4 : 0)));
  w.str(f.name);
  w.str(f.nameraw);
  if (sock) {
    w.u8(f.sock.family);
    w.u8(f.sock.l4proto);
    const size_t n = v4 ? 4 : 16;
    w.raw(f.sock.local_ip.data(), n);
    w.raw(f.sock.remote_ip.data(), n);
    w.fixed(f.sock.local_port, 2);
    w.fixed(f.sock.remote_port, 2);
  }
}

void write_container(Writer& w, const ContainerInfo& c) {
  for (const std::string* s : {&c.id, &c.name, &c.image, &c.image_repository, &c.image_tag}) w.str(*s);
  w.u8(static_cast<uint8_t>(c.privileged));
  w.var(c.start_ts);
  w.list(c.mounts);
  w.str(c.k8s_ns_name);
  w.str(c.k8s_pod_name);
  w.str(c.image_digest);
  w.list(c.labels);
  w.str(c.k8s_pod_uid);
  w.list(c.k8s_pod_labels);
}

// Event body (everything after the u32 length prefix).
void write_event(Writer& w, const Event& e) {
  w.fixed(static_cast<uint16_t>(e.type), 2);
  w.u8(static_cast<uint8_t>(e.source));
  w.u8(0);  // reserved flags
  w.var(e.num);
  w.fixed(e.ts_ns, 8);
  w.svar(e.res);
  w.var(e.cpu);
  w.u8(static_cast<uint8_t>(e.params.size()));
  for (const auto& p : e.params) {
    const uint8_t tag = static_cast<uint8_t>((p.present ? kParamPresent : 0) | (p.num != 0 ? kParamHasNum : 0) |
                                             (!p.str.empty() ? kParamHasStr : 0));
    w.u8(tag);
    if (tag & kParamHasNum) w.var(p.num);
    if (tag & kParamHasStr) w.str(p.str);
  }
  write_proc(w, e.proc);
  write_fd(w, e.fd);
  write_container(w, e.container);
  w.str(e.payload);
}

void write_record(std::vector<uint8_t>& buf, const Event& e) {
  const size_t len_at = buf.size();
  buf.resize(len_at + 4);
  Writer w(buf);
  write_event(w, e);
  const auto len = static_cast<uint32_t>(buf.size() - len_at - 4);
  for (int i = 0; i < 4; ++i) buf[len_at + i] = static_cast<uint8_t>(len >> (8 * i));
}

bool read_proc(Reader& r, ProcessInfo& p) {
  for (uint32_t* v : {&p.tid, &p.pid, &p.ppid, &p.vtid, &p.vpid, &p.sid, &p.pgid, &p.vpgid, &p.uid, &p.gid,
                      &p.euid, &p.egid})
    if (!r.u32(*v)) return false;
  int64_t login = 0;
  if (!r.svar(login)) return false;
  if (login < INT32_MIN || login > INT32_MAX) return r.fail("loginuid out of range");
  p.loginuid = static_cast<uint32_t>(static_cast<int32_t>(login));
  if (!r.u32(p.tty)) return false;
  for (uint64_t* v : {&p.start_ts, &p.cap_inheritable, &p.cap_permitted, &p.cap_effective, &p.exe_ino,
                      &p.exe_ino_ctime, &p.exe_ino_mtime})
    if (!r.var(*v)) return false;
  uint8_t flags = 0;
  if (!r.u8(flags)) return false;
  if (flags & ~(kProcMemfd | kProcUpper | kProcWritable | kProcLower)) return r.fail("unknown process flag bits");
  p.exe_from_memfd = flags & kProcMemfd;
  p.exe_upper_layer = flags & kProcUpper;
  p.exe_lower_layer = flags & kProcLower;
  p.exe_writable = flags & kProcWritable;
  for (std::string* s : {&p.comm, &p.exe, &p.exepath, &p.cwd})
    if (!r.str(*s)) return false;
  if (!r.list(p.args) || !r.list(p.env)) return false;
  for (std::string* s : {&p.user_name, &p.group_name, &p.loginname, &p.sname})
    if (!r.str(*s)) return false;
  size_t n = 0;
  if (!r.count(n, kMaxAncestors, "more than kMaxAncestors ancestors")) return false;
  p.ancestors.resize(n);
  for (auto& a : p.ancestors)
    if (!r.u32(a.pid) || !r.str(a.comm) || !r.str(a.exe) || !r.str(a.exepath) || !r.list(a.args)) return false;
  return true;
}

bool read_fd(Reader& r, FdInfo& f) {
  uint8_t tc = 0, flags = 0;
  if (!r.svar(f.num) || !r.u8(tc) || !r.u8(flags)) return false;
  if (tc != 0 && kTypechars.find(static_cast<char>(tc)) == std::string_view::npos)
    return r.fail("unknown fd typechar");
  if (flags & ~(kFdNameChanged | kFdConnected | kFdServer | kFdHasSock | kFdSockV4))
    return r.fail("unknown fd flag bits");
  if ((flags & kFdSockV4) && !(flags & kFdHasSock)) return r.fail("fd v4 flag without socket block");
  f.typechar = static_cast<char>(tc);
  f.name_changed = flags & kFdNameChanged;
  if (!r.str(f.name) || !r.str(f.nameraw)) return false;
  f.sock = SockInfo{};
  f.sock.connected = flags & kFdConnected;
  f.sock.is_server = flags & kFdServer;
  if (flags & kFdHasSock) {
    const size_t n = (flags & kFdSockV4) ? 4 : 16;
    uint64_t lp = 0, rp = 0;
    if (!r.u8(f.sock.family) || !r.u8(f.sock.l4proto) || !r.raw(f.sock.local_ip.data(), n) ||
        !r.raw(f.sock.remote_ip.data(), n) || !r.fixed(lp, 2) || !r.fixed(rp, 2))
      return false;
    f.sock.local_port = static_cast<uint16_t>(lp);
    f.sock.remote_port = static_cast<uint16_t>(rp);
  }
  return true;
}

bool read_container(Reader& r, ContainerInfo& c) {
  for (std::string* s : {&c.id, &c.name, &c.image, &c.image_repository, &c.image_tag})
    if (!r.str(*s)) return false;
  uint8_t priv = 0;
  if (!r.u8(priv)) return false;
  c.privileged = static_cast<int8_t>(priv);
  if (c.privileged < -1 || c.privileged > 1) return r.fail("container privileged not in {-1,0,1}");
  return r.var(c.start_ts) && r.list(c.mounts) && r.str(c.k8s_ns_name) && r.str(c.k8s_pod_name) &&
         r.str(c.image_digest) && r.list(c.labels) && r.str(c.k8s_pod_uid) && r.list(c.k8s_pod_labels);
}

bool read_params(Reader& r, Event& e) {
  uint8_t n = 0;
  if (!r.u8(n)) return false;
  if (n > kMaxParams) return r.fail("more than kMaxParams params");
  if (n != event_spec(e.type).nparams) return r.fail("param count does not match the event type");
  e.params.resize(n);
  for (auto& p : e.params) {
    uint8_t tag = 0;
    if (!r.u8(tag)) return false;
    if (tag & ~(kParamPresent | kParamHasNum | kParamHasStr)) return r.fail("unknown param tag bits");
    p.present = tag & kParamPresent;
    p.num = 0;
    if ((tag & kParamHasNum) && !r.var(p.num)) return false;
    if ((tag & kParamHasNum) && p.num == 0) return r.fail("param num flagged present but zero");
    if (tag & kParamHasStr) {
      if (!r.str(p.str)) return false;
      if (p.str.empty()) return r.fail("param string flagged present but empty");
    } else {
      p.str.clear();
    }
  }
  return true;
}

bool read_event(Reader& r, Event& e) {
  uint64_t type = 0;
  uint8_t source = 0, reserved = 0;
  if (!r.fixed(type, 2) || !r.u8(source) || !r.u8(reserved)) return false;
  if (type >= static_cast<uint64_t>(EventType::kCount)) return r.fail("unknown event type");
  if (source > static_cast<uint8_t>(EventSource::kK8sAudit)) return r.fail("unknown event source");
  if (reserved != 0) return r.fail("reserved flags not zero");
  e.type = static_cast<EventType>(type);
  e.source = static_cast<EventSource>(source);
  if (!r.var(e.num) || !r.fixed(e.ts_ns, 8) || !r.svar(e.res) || !r.var_as(e.cpu, UINT16_MAX, "cpu exceeds 16 bits"))
    return false;
  if (!read_params(r, e) || !read_proc(r, e.proc) || !read_fd(r, e.fd) || !read_container(r, e.container) ||
      !r.str(e.payload))
    return false;
  if (r.remaining() != 0) return r.fail("trailing bytes after event");
  return true;
}

// Reads an event body only as far as its process id (the partition key), with the same checks as read_event on
// the way and without copying any string.
bool peek_pid(Reader& r, uint32_t& pid) {
  uint64_t type = 0, skip = 0;
  int64_t res = 0;
  uint8_t source = 0, reserved = 0, n = 0;
  uint16_t cpu = 0;
  uint32_t tid = 0;
  if (!r.fixed(type, 2) || !r.u8(source) || !r.u8(reserved)) return false;
  if (type >= static_cast<uint64_t>(EventType::kCount)) return r.fail("unknown event type");
  if (source > static_cast<uint8_t>(EventSource::kK8sAudit)) return r.fail("unknown event source");
  if (reserved != 0) return r.fail("reserved flags not zero");
  if (!r.var(skip) || !r.fixed(skip, 8) || !r.svar(res) || !r.var_as(cpu, UINT16_MAX, "cpu exceeds 16 bits") ||
      !r.u8(n))
    return false;
  if (n > kMaxParams) return r.fail("more than kMaxParams params");
  if (n != event_spec(static_cast<EventType>(type)).nparams) return r.fail("param count does not match the event type");
  for (uint8_t i = 0; i < n; ++i) {
    uint8_t tag = 0;
    if (!r.u8(tag)) return false;
    if (tag & ~(kParamPresent | kParamHasNum | kParamHasStr)) return r.fail("unknown param tag bits");
    if ((tag & kParamHasNum) && !r.var(skip)) return false;
    if ((tag & kParamHasStr) && !r.skip_str()) return false;
  }
  return r.u32(tid) && r.u32(pid);
}

// Checks the u32 length prefix of the record at msg[pos]; returns its body length.
Result<uint32_t> record_length(std::span<const uint8_t> msg, size_t pos) {
  auto err = [&](std::string_view why) {
    return make_error("malformed event at offset " + std::to_string(pos) + ": " + std::string(why));
  };
  if (msg.size() - pos < 4) return err("truncated length prefix");
  const uint32_t len = static_cast<uint32_t>(msg[pos]) | (static_cast<uint32_t>(msg[pos + 1]) << 8) |
                       (static_cast<uint32_t>(msg[pos + 2]) << 16) | (static_cast<uint32_t>(msg[pos + 3]) << 24);
  if (len > kMaxEventBytes) return err("event length exceeds kMaxEventBytes");
  if (len > msg.size() - pos - 4) return err("event length exceeds remaining bytes");
  return len;
}

// Decodes the record starting at msg[pos]; on success advances pos past it.
Result<void> decode_record(std::span<const uint8_t> msg, size_t& pos, Event& out) {
  auto len = record_length(msg, pos);
  if (!len) return len.error();
  const uint8_t* body = msg.data() + pos + 4;
  Reader r(body, body + *len);
  if (!read_event(r, out))
    return make_error("malformed event at offset " + std::to_string(pos + 4 + r.fail_offset()) + ": " + r.why());
  pos += 4 + *len;
  return {};
}

void write_header(std::vector<uint8_t>& buf, uint32_t count) {
  buf[0] = kVersion;
  buf[1] = kMagic[0];
  buf[2] = kMagic[1];
  buf[3] = kMagic[2];
  const auto body = static_cast<uint32_t>(buf.size() - kHeaderSize);
  for (int i = 0; i < 4; ++i) {
    buf[4 + i] = static_cast<uint8_t>(count >> (8 * i));
    buf[8 + i] = static_cast<uint8_t>(body >> (8 * i));
    buf[12 + i] = 0;  // reserved
  }
}

uint32_t load_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}

}  // namespace

BatchEncoder::BatchEncoder() {
  buf_.reserve(kTargetBatchBytes + 4096);
  clear();
}

void BatchEncoder::add(const Event& e) {
  write_record(buf_, e);
  ++count_;
  write_header(buf_, count_);
}

void BatchEncoder::clear() {
  buf_.resize(kHeaderSize);
  count_ = 0;
  write_header(buf_, 0);
}

Result<BatchDecoder> BatchDecoder::open(std::span<const uint8_t> msg) {
  if (msg.empty()) return make_error("batch: empty message");
  if (msg[0] != kVersion)
    return make_error("batch: unsupported wire version " + std::to_string(msg[0]) + " (this build reads " +
                      std::to_string(kVersion) + ")");
  if (msg.size() < kHeaderSize) return make_error("batch: message shorter than the 16-byte header");
  if (msg[1] != kMagic[0] || msg[2] != kMagic[1] || msg[3] != kMagic[2]) return make_error("batch: bad magic");
  const uint32_t count = load_u32(msg.data() + 4);
  const uint32_t body = load_u32(msg.data() + 8);
  if (load_u32(msg.data() + 12) != 0) return make_error("batch: reserved header bytes not zero");
  if (body != msg.size() - kHeaderSize)
    return make_error("batch: header body length " + std::to_string(body) + " but message has " +
                      std::to_string(msg.size() - kHeaderSize) + " body bytes");
  // The smallest possible record is far more than 4 bytes; this only rejects absurd counts early.
  if (count > body / 4) return make_error("batch: event count " + std::to_string(count) + " impossible for body");
  return BatchDecoder(msg, count);
}

// Shared by next() and next_record(): the end of the batch (false), or an error once failed.
std::optional<Result<bool>> BatchDecoder::at_end() {
  if (failed_) return Result<bool>(error_);
  if (index_ != count_) return std::nullopt;
  if (pos_ != msg_.size())
    return fail("batch: " + std::to_string(msg_.size() - pos_) + " trailing bytes at offset " + std::to_string(pos_));
  return Result<bool>(false);
}

Result<bool> BatchDecoder::fail(std::string message) {
  failed_ = true;
  error_ = make_error(std::move(message));
  return error_;
}

Result<bool> BatchDecoder::next(Event& out) {
  if (auto end = at_end()) return *end;
  auto r = decode_record(msg_, pos_, out);
  if (!r) return fail("batch event #" + std::to_string(index_) + ": " + r.error().message);
  ++index_;
  return true;
}

Result<bool> BatchDecoder::next_record(std::span<const uint8_t>& record, uint32_t& pid) {
  if (auto end = at_end()) return *end;
  auto len = record_length(msg_, pos_);
  if (!len) return fail("batch event #" + std::to_string(index_) + ": " + len.error().message);
  const uint8_t* body = msg_.data() + pos_ + 4;
  Reader r(body, body + *len);
  if (!peek_pid(r, pid))
    return fail("batch event #" + std::to_string(index_) + ": malformed event at offset " +
                std::to_string(pos_ + 4 + r.fail_offset()) + ": " + r.why());
  record = msg_.subspan(pos_, 4 + *len);
  pos_ += 4 + *len;
  ++index_;
  return true;
}

Result<void> decode_one(std::span<const uint8_t> bytes, Event& out) {
  size_t pos = 0;
  auto r = decode_record(bytes, pos, out);
  if (!r) return r;
  if (pos != bytes.size()) return make_error("trailing bytes after event at offset " + std::to_string(pos));
  return {};
}

void encode_one(const Event& e, std::vector<uint8_t>& out) {
  out.clear();
  write_record(out, e);
}

}  // namespace peregrine::wire
