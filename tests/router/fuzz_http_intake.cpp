// libFuzzer: arbitrary HTTP intake bodies must yield 200/400/503/500 with a JSON body, never crash or throw.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "router/dedup/dedup_window.h"
#include "router/intake/http_intake.h"
#include "router/queue/durable_queue.h"

using namespace peregrine::router;

namespace {

struct Rig {
  std::unique_ptr<DurableQueue> queue;
  DedupWindow window{4096};
  std::unique_ptr<IntakePipeline> pipeline;
  Rig() {
    std::string dir = (std::filesystem::temp_directory_path() / "peregrine-fuzz-intake-XXXXXX").string();
    if (!::mkdtemp(dir.data())) std::abort();
    QueueOptions o;
    o.dir = dir;
    o.fsync = peregrine::config::FsyncMode::kNone;
    o.segment_bytes = 1 << 20;
    o.max_bytes = 64 << 20;
    queue = std::move(DurableQueue::open(o)).value();
    pipeline = std::make_unique<IntakePipeline>(*queue, window, nullptr);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Rig rig;
  const std::string body(reinterpret_cast<const char*>(data), size);
  auto r = handle_intake_body(*rig.pipeline, body);
  if (r.status != 200 && r.status != 400 && r.status != 503 && r.status != 500) std::abort();
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) std::abort();
  if (r.status == 400 && !(j.contains("error") && j.contains("field"))) std::abort();
  return 0;
}
