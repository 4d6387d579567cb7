// libFuzzer: arbitrary bytes as the newest segment file. Recovery must never crash, every record it keeps must
// be readable, and appends after recovery must work and be read back.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "router/queue/durable_queue.h"

using namespace peregrine::router;
namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fs::path dir = [] {
    std::string d = (fs::temp_directory_path() / "peregrine-fuzz-queue-XXXXXX").string();
    if (!::mkdtemp(d.data())) std::abort();
    return fs::path(d);
  }();
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    std::ofstream seg(dir / DurableQueue::segment_name(0), std::ios::binary);
    seg.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  QueueOptions o;
  o.dir = dir;
  o.fsync = peregrine::config::FsyncMode::kNone;
  o.segment_bytes = 4096;
  o.max_bytes = 1 << 20;
  o.max_record_bytes = 1 << 16;
  auto q = DurableQueue::open(o);
  if (!q) return 0;  // I/O errors only
  const uint64_t n = (*q)->next_seq();
  auto recs = (*q)->read(0, 1 << 20, 1 << 30);
  if (!recs || recs->size() != n) std::abort();
  const std::vector<std::string> more{"after-recovery"};
  auto first = (*q)->append(more);
  if (!first || *first != n) std::abort();
  auto back = (*q)->read(n, 1, 1 << 20);
  if (!back || back->size() != 1 || back->front().payload != "after-recovery") std::abort();
  return 0;
}
