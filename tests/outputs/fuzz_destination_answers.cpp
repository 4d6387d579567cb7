// libFuzzer: what destinations answer is untrusted input. The OpenSearch _bulk per-item parser and Loki's 400
// entry parser must never crash and must only name items of the request.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "outputs/loki/loki_output.h"
#include "outputs/opensearch/opensearch_output.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  const std::vector<size_t> items{3, 5, 8};
  auto r = peregrine::outputs::bulk_item_results(body, items, true);
  if (r.ok())
    for (const auto& [i, f] : r->item_failures)
      if (i != 3 && i != 5 && i != 8) std::abort();
  peregrine::outputs::Payload p;
  p.items = items;
  p.item_ids = {"1764842400000000000", "1764842400500000000", "1"};
  for (const auto& [i, f] : peregrine::outputs::loki_rejected_entries(body, p))
    if (i != 3 && i != 5 && i != 8) std::abort();
  (void)peregrine::outputs::parse_go_time(body);
  return 0;
}
