// Binary wire codec: round trips, batch framing, and hostile-input handling.
#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "common/codec.h"
#include "common/codec_samples.h"

using namespace peregrine;

namespace {

std::vector<uint8_t> batch_of(const std::vector<Event>& events) {
  wire::BatchEncoder enc;
  for (const auto& e : events) enc.add(e);
  return {enc.bytes().begin(), enc.bytes().end()};
}

std::vector<Event> decode_all(std::span<const uint8_t> msg) {
  auto dec = wire::BatchDecoder::open(msg);
  REQUIRE_MESSAGE(dec.ok(), dec.error().message);
  std::vector<Event> out;
  Event e;
  while (true) {
    auto r = dec->next(e);
    REQUIRE_MESSAGE(r.ok(), r.error().message);
    if (!*r) break;
    out.push_back(e);
  }
  return out;
}

void put_u32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

TEST_CASE("single event round trip for every event type with every field set") {
  for (const auto& spec : event_specs()) {
    CAPTURE(spec.name);
    const Event in = samples::full_event(spec.type, 7);
    std::vector<uint8_t> bytes;
    wire::encode_one(in, bytes);
    Event out;
    auto r = wire::decode_one(bytes, out);
    REQUIRE_MESSAGE(r.ok(), r.error().message);
    CHECK(out == in);
  }
}

TEST_CASE("batch round trip of every event type, decoded into one reused Event") {
  std::vector<Event> in;
  for (const auto& spec : event_specs()) in.push_back(samples::full_event(spec.type, static_cast<uint32_t>(in.size())));
  in.push_back(Event{});  // all defaults (kUnknown, no params)
  in.push_back(samples::openat_by_bash());
  const auto msg = batch_of(in);
  auto dec = wire::BatchDecoder::open(msg);
  REQUIRE(dec.ok());
  CHECK(dec->count() == in.size());
  const auto out = decode_all(msg);
  REQUIRE(out.size() == in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    CAPTURE(i);
    CHECK(out[i] == in[i]);
  }
}

TEST_CASE("values at the edges survive: negative res, max integers, IPv6, binary strings, absent params") {
  Event e = samples::full_event(EventType::kConnect, 3);
  e.res = INT64_MIN;
  e.num = UINT64_MAX;
  e.ts_ns = UINT64_MAX;
  e.cpu = UINT16_MAX;
  e.proc.loginuid = 0xffffffffu;
  e.proc.tid = UINT32_MAX;
  e.proc.cap_effective = UINT64_MAX;
  e.params[0] = Param{false, 0, ""};
  e.params[1] = Param{true, 0, std::string("\0\xff\xfe", 3)};
  e.params[2] = Param{false, 9, "both"};  // absent but carrying data: still lossless
  e.fd.num = INT64_MIN;
  e.fd.sock.family = 10;
  for (size_t i = 0; i < 16; ++i) e.fd.sock.local_ip[i] = static_cast<uint8_t>(0xf0 + i);
  e.container.privileged = 0;
  std::vector<uint8_t> bytes;
  wire::encode_one(e, bytes);
  Event out;
  REQUIRE(wire::decode_one(bytes, out).ok());
  CHECK(out == e);
}

TEST_CASE("decoding into a used Event overwrites every field") {
  const Event big = samples::full_event(EventType::kExecve, 1);
  Event small;
  small.type = EventType::kFork;
  small.params.resize(1);
  std::vector<uint8_t> a, b;
  wire::encode_one(big, a);
  wire::encode_one(small, b);
  Event out;
  REQUIRE(wire::decode_one(a, out).ok());
  REQUIRE(wire::decode_one(b, out).ok());
  CHECK(out == small);
}

TEST_CASE("truncation at every byte offset gives an error, never a crash") {
  const auto msg = batch_of({samples::full_event(EventType::kOpenat, 1), samples::openat_by_bash()});
  for (size_t n = 0; n < msg.size(); ++n) {
    CAPTURE(n);
    std::span<const uint8_t> cut(msg.data(), n);
    auto dec = wire::BatchDecoder::open(cut);
    if (!dec) continue;  // header checks reject most cuts (body length mismatch)
    FAIL("a truncated batch was accepted by open()");
  }
  std::vector<uint8_t> one;
  wire::encode_one(samples::full_event(EventType::kExecve, 2), one);
  for (size_t n = 0; n < one.size(); ++n) {
    CAPTURE(n);
    Event out;
    CHECK_FALSE(wire::decode_one(std::span<const uint8_t>(one.data(), n), out).ok());
  }
}

TEST_CASE("a record cut short inside a consistent batch is reported with its offset") {
  std::vector<uint8_t> one;
  wire::encode_one(samples::openat_by_bash(), one);
  for (size_t body = 1; body < one.size() - 4; body += 7) {
    CAPTURE(body);
    // Rewrite the record's length prefix to `body` and drop the rest, then fix up the batch header.
    std::vector<uint8_t> rec(one.begin(), one.begin() + 4 + body);
    put_u32(rec, 0, static_cast<uint32_t>(body));
    std::vector<uint8_t> msg(wire::kHeaderSize, 0);
    msg[0] = wire::kVersion;
    std::memcpy(&msg[1], wire::kMagic, 3);
    put_u32(msg, 4, 1);
    put_u32(msg, 8, static_cast<uint32_t>(rec.size()));
    msg.insert(msg.end(), rec.begin(), rec.end());
    auto dec = wire::BatchDecoder::open(msg);
    REQUIRE(dec.ok());
    Event out;
    auto r = dec->next(out);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("offset") != std::string::npos);
    CHECK_FALSE(dec->next(out).ok());  // the decoder stays failed
  }
}

TEST_CASE("wrong version, magic, reserved bytes and header lengths are rejected") {
  const auto good = batch_of({samples::openat_by_bash()});
  auto expect_open_error = [](std::vector<uint8_t> m, const char* needle) {
    auto d = wire::BatchDecoder::open(m);
    REQUIRE_FALSE(d.ok());
    CHECK_MESSAGE(d.error().message.find(needle) != std::string::npos, d.error().message);
  };
  auto m = good;
  m[0] = 1;  // the version before container labels
  expect_open_error(m, "unsupported wire version 1");
  m = good;
  m[2] = 'X';
  expect_open_error(m, "magic");
  m = good;
  m[13] = 1;
  expect_open_error(m, "reserved");
  m = good;
  put_u32(m, 8, static_cast<uint32_t>(m.size()));
  expect_open_error(m, "body length");
  m = good;
  put_u32(m, 4, 0xffffffffu);
  expect_open_error(m, "count");
  expect_open_error({}, "empty");
}

TEST_CASE("event count lower than the records present reports trailing bytes") {
  auto m = batch_of({samples::openat_by_bash(), samples::openat_by_bash()});
  put_u32(m, 4, 1);
  auto d = wire::BatchDecoder::open(m);
  REQUIRE(d.ok());
  Event e;
  CHECK(d->next(e).ok());
  auto r = d->next(e);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("trailing") != std::string::npos);
}

TEST_CASE("event count higher than the records present is an error") {
  auto m = batch_of({samples::openat_by_bash()});
  put_u32(m, 4, 2);
  auto d = wire::BatchDecoder::open(m);
  REQUIRE(d.ok());
  Event e;
  CHECK(d->next(e).ok());
  CHECK_FALSE(d->next(e).ok());
}

TEST_CASE("param count must match the event type") {
  Event e = samples::openat_by_bash();
  e.params.pop_back();
  std::vector<uint8_t> b;
  wire::encode_one(e, b);
  Event out;
  auto r = wire::decode_one(b, out);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("param count") != std::string::npos);
}

TEST_CASE("corrupted lengths and enum values are rejected") {
  std::vector<uint8_t> b;
  wire::encode_one(samples::openat_by_bash(), b);
  Event out;
  SUBCASE("record length larger than the buffer") {
    put_u32(b, 0, static_cast<uint32_t>(b.size()));
    CHECK_FALSE(wire::decode_one(b, out).ok());
  }
  SUBCASE("record length absurd") {
    put_u32(b, 0, 0xfffffff0u);
    CHECK_FALSE(wire::decode_one(b, out).ok());
  }
  SUBCASE("unknown event type") {
    b[4] = static_cast<uint8_t>(EventType::kCount);
    auto r = wire::decode_one(b, out);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("unknown event type") != std::string::npos);
  }
  SUBCASE("unknown source") {
    b[6] = 9;
    CHECK_FALSE(wire::decode_one(b, out).ok());
  }
  SUBCASE("reserved flags") {
    b[7] = 1;
    CHECK_FALSE(wire::decode_one(b, out).ok());
  }
  SUBCASE("every single-byte corruption decodes or fails cleanly, and what decodes re-encodes stably") {
    for (size_t i = 4; i < b.size(); ++i) {
      for (uint8_t x : {uint8_t{0x00}, uint8_t{0xff}, uint8_t{0x80}, uint8_t{0x7f}}) {
        auto c = b;
        c[i] = x;
        Event e1;
        if (!wire::decode_one(c, e1).ok()) continue;
        std::vector<uint8_t> again;
        wire::encode_one(e1, again);
        Event e2;
        REQUIRE(wire::decode_one(again, e2).ok());
        CHECK(e1 == e2);
      }
    }
  }
}

TEST_CASE("a string length claiming more than the remaining bytes is rejected before allocating") {
  // Hand-built record: valid prefix up to the first string, then a 1 MiB - 1 length with no data.
  Event e;
  e.type = EventType::kFork;
  e.params.resize(1);
  std::vector<uint8_t> b;
  wire::encode_one(e, b);
  // comm is the first string after the fixed/varint process fields; find it by re-encoding with a marker.
  Event marked = e;
  marked.proc.comm = "Z";
  std::vector<uint8_t> m;
  wire::encode_one(marked, m);
  size_t at = 0;
  for (size_t i = 0; i < m.size(); ++i)
    if (m[i] == 'Z') at = i - 1;  // the length byte precedes the marker
  REQUIRE(at > 4);
  m[at] = 0xff;  // varint continues...
  m.insert(m.begin() + static_cast<long>(at) + 1, {0xff, 0x3f});  // ... to ~1 MiB
  put_u32(m, 0, static_cast<uint32_t>(m.size() - 4));
  Event out;
  auto r = wire::decode_one(m, out);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("remaining") != std::string::npos);
}

TEST_CASE("encoder reuse: clear keeps capacity and produces identical bytes") {
  wire::BatchEncoder enc;
  const Event e = samples::openat_by_bash();
  for (int i = 0; i < 100; ++i) enc.add(e);
  const std::vector<uint8_t> first(enc.bytes().begin(), enc.bytes().end());
  const void* data_before = enc.bytes().data();
  enc.clear();
  CHECK(enc.count() == 0);
  CHECK(enc.size_bytes() == wire::kHeaderSize);
  for (int i = 0; i < 100; ++i) enc.add(e);
  CHECK(enc.bytes().data() == data_before);  // no reallocation in steady state
  CHECK(std::vector<uint8_t>(enc.bytes().begin(), enc.bytes().end()) == first);
  CHECK(enc.count() == 100);
}

TEST_CASE("empty batch is valid and yields no events") {
  wire::BatchEncoder enc;
  auto d = wire::BatchDecoder::open(enc.bytes());
  REQUIRE(d.ok());
  CHECK(d->count() == 0);
  Event e;
  auto r = d->next(e);
  REQUIRE(r.ok());
  CHECK_FALSE(*r);
}

TEST_CASE("bytes per typical event (openat by bash, 3 ancestors) as documented in docs/wire-format.md") {
  std::vector<uint8_t> b;
  wire::encode_one(samples::openat_by_bash(), b);
  MESSAGE("openat by bash with 3 ancestors: " << b.size() << " bytes (record incl. 4-byte length prefix)");
  // docs/wire-format.md states this number; update both together if the format or the sample changes.
  CHECK(b.size() == 360);
  Event bare = samples::openat_by_bash();
  bare.proc.ancestors.clear();
  std::vector<uint8_t> nb;
  wire::encode_one(bare, nb);
  MESSAGE("same event without ancestors: " << nb.size() << " bytes");
  CHECK(nb.size() == 236);
  wire::BatchEncoder enc;
  while (enc.size_bytes() + b.size() <= wire::kTargetBatchBytes) enc.add(samples::openat_by_bash());
  MESSAGE("events per 64 KiB batch: " << enc.count());
  CHECK(enc.count() == (wire::kTargetBatchBytes - wire::kHeaderSize) / b.size());
}

TEST_CASE("steady-state decoding reuses the Event's string and vector storage") {
  Event e = samples::openat_by_bash();
  e.proc.exepath = "/usr/local/lib/some/long/path/to/the/binary";  // longer than the SSO buffer
  const auto msg = batch_of({e, e, e});
  Event out;
  auto dec = wire::BatchDecoder::open(msg);
  REQUIRE(dec.ok());
  REQUIRE(*dec->next(out));
  const char* exepath_buf = out.proc.exepath.data();
  const void* ancestors_buf = out.proc.ancestors.data();
  const void* params_buf = out.params.data();
  const char* anc_exepath_buf = out.proc.ancestors[2].exepath.data();
  while (true) {
    auto r = dec->next(out);
    REQUIRE(r.ok());
    if (!*r) break;
    CHECK(out == e);
    CHECK(out.proc.exepath.data() == exepath_buf);
    CHECK(out.proc.ancestors.data() == ancestors_buf);
    CHECK(out.params.data() == params_buf);
    CHECK(out.proc.ancestors[2].exepath.data() == anc_exepath_buf);
  }
}

TEST_CASE("next_record walks a batch without decoding: each record's pid, and its bytes decode to the event") {
  std::vector<Event> in;
  for (const auto& spec : event_specs()) in.push_back(samples::full_event(spec.type, static_cast<uint32_t>(in.size())));
  in.push_back(samples::openat_by_bash());
  const auto msg = batch_of(in);
  auto dec = wire::BatchDecoder::open(msg);
  REQUIRE(dec.ok());
  std::span<const uint8_t> rec;
  uint32_t pid = 0;
  size_t i = 0;
  while (true) {
    auto more = dec->next_record(rec, pid);
    REQUIRE_MESSAGE(more.ok(), more.error().message);
    if (!*more) break;
    REQUIRE(i < in.size());
    CHECK(pid == in[i].proc.pid);
    Event out;
    REQUIRE(wire::decode_one(rec, out).ok());
    CHECK(out == in[i]);
    ++i;
  }
  CHECK(i == in.size());
}

TEST_CASE("next_record reports a malformed record as next() does, naming the event and the offset") {
  auto msg = batch_of({samples::openat_by_bash(), samples::openat_by_bash()});
  const size_t second = wire::kHeaderSize + 4 + (msg.size() - wire::kHeaderSize) / 2;  // the 2nd record's body
  msg[second] = 0xff;  // event type low byte
  msg[second + 1] = 0xff;
  auto a = wire::BatchDecoder::open(msg);
  auto b = wire::BatchDecoder::open(msg);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  std::span<const uint8_t> rec;
  uint32_t pid = 0;
  Event e;
  REQUIRE(a->next_record(rec, pid).ok());
  REQUIRE(b->next(e).ok());
  auto ra = a->next_record(rec, pid);
  auto rb = b->next(e);
  REQUIRE_FALSE(ra.ok());
  REQUIRE_FALSE(rb.ok());
  CHECK(ra.error().message == rb.error().message);
  CHECK(ra.error().message.find("batch event #1") != std::string::npos);
  CHECK_FALSE(a->next_record(rec, pid).ok());  // stays failed
}
