#include "router/intake/intake_pipeline.h"

#include <unordered_set>

#include "common/alert_text.h"

#include "router/dedup/dedup_window.h"
#include "router/delivery/dead_letter.h"
#include "router/queue/durable_queue.h"

namespace peregrine::router {
namespace {

// alert_from_json reports "field 'NAME': what"; pull NAME out so HTTP clients get it as data.
ValidationError to_validation_error(const std::string& msg) {
  const std::string prefix = "field '";
  if (msg.rfind(prefix, 0) == 0) {
    auto end = msg.find('\'', prefix.size());
    if (end != std::string::npos) {
      std::string rest = msg.substr(end + 1);
      if (rest.rfind(": ", 0) == 0) rest = rest.substr(2);
      return ValidationError{msg.substr(prefix.size(), end - prefix.size()), rest};
    }
  }
  return ValidationError{"", msg};
}

bool valid_uuid_text(const std::string& u) {
  if (u.empty() || u.size() > 64) return false;
  for (char c : u)
    if (c <= ' ' || c > '~' || c == '"' || c == '\\') return false;
  return true;
}

}  // namespace

std::variant<Alert, ValidationError> validate_alert(const nlohmann::json& j) {
  if (j.is_object()) {
    if (auto it = j.find("uuid"); it != j.end() && !it->is_null() &&
                                  (!it->is_string() || !valid_uuid_text(it->get<std::string>())))
      return ValidationError{"uuid", "expected a string of 1..64 printable characters"};
  }
  auto a = alert_from_json(j);
  if (!a) return to_validation_error(a.error().message);
  if (a->rule.empty()) return ValidationError{"rule", "must not be empty"};
  return std::move(a).value();
}

std::variant<Alert, ValidationError> validate_alert_text(std::string_view text) {
  // The DOM-free parser first (the engine's alerts are well formed); its errors, and an invalid uuid, get the
  // DOM path so that the verdict and its wording are validate_alert()'s.
  auto fast = alert_from_json_text(text);
  if (fast && !fast->rule.empty() && (fast->uuid.empty() || valid_uuid_text(fast->uuid))) return std::move(fast).value();
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return ValidationError{"", "body is not valid JSON"};
  return validate_alert(j);
}

IntakePipeline::IntakePipeline(DurableQueue& queue, DedupWindow& window, DeadLetterFile* rejects)
    : queue_(queue), window_(window), rejects_(rejects) {}

Result<IntakeResult> IntakePipeline::accept(std::vector<Alert> alerts) {
  // Serialise before taking the lock; only the dedup decision and the write need it.
  std::vector<std::string> uuids, rendered;
  uuids.reserve(alerts.size());
  rendered.reserve(alerts.size());
  for (auto& a : alerts) {
    if (a.uuid.empty()) a.uuid = make_uuid();
    rendered.push_back(alert_json_text(a));
    uuids.push_back(std::move(a.uuid));
  }
  return append(uuids, rendered);
}

Result<IntakeResult> IntakePipeline::append(const std::vector<std::string>& ids, std::vector<std::string>& rendered) {
  IntakeResult res;
  std::vector<std::string> payloads;
  std::vector<std::string> uuids;
  payloads.reserve(ids.size());
  std::unique_lock lk(mu_);
  std::unordered_set<std::string_view> in_batch;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (window_.contains(ids[i]) || !in_batch.insert(ids[i]).second) {
      ++res.duplicates;
      continue;
    }
    payloads.push_back(std::move(rendered[i]));
    uuids.push_back(ids[i]);
  }
  if (!payloads.empty()) {
    auto first = queue_.write(payloads);
    if (!first) {
      rejected_ += payloads.size();
      return first.error();
    }
    for (const auto& u : uuids) window_.insert(u);
  }
  // Everything written so far, including the originals of this batch's duplicates, which another intake may
  // still be syncing: a duplicate must not be acknowledged before its original is on disk.
  const uint64_t durable_end = queue_.next_seq();
  lk.unlock();
  // Wait for the disk outside the lock, so concurrent intakes share one fdatasync (group commit). If it
  // fails the queue refuses everything from now on, so no later duplicate can be acknowledged either.
  if (auto d = queue_.make_durable(durable_end); !d) {
    rejected_ += payloads.size();
    return d.error();
  }
  res.accepted = payloads.size();
  accepted_ += res.accepted;
  duplicates_ += res.duplicates;
  return res;
}

Result<IntakeResult> IntakePipeline::accept_raw(std::vector<RawAlert> raw) {
  std::vector<std::string> uuids, payloads;
  uuids.reserve(raw.size());
  payloads.reserve(raw.size());
  size_t invalid = 0;
  for (auto& r : raw) {
    auto v = validate_alert_text(r.json);
    if (auto* e = std::get_if<ValidationError>(&v)) {
      ++invalid;
      if (rejects_) {
        const std::string reason = "invalid alert" + (e->field.empty() ? "" : " field '" + e->field + "'") + ": " +
                                   e->message;
        (void)rejects_->write("intake", reason, std::nullopt, r.json);  // best effort: it is also counted
      }
      continue;
    }
    Alert& a = std::get<Alert>(v);
    if (!a.uuid.empty()) {
      // Valid as sent and carrying its uuid: the engine's text is queued as is (the worker parses it again).
      uuids.push_back(std::move(a.uuid));
      payloads.push_back(std::move(r.json));
    } else {
      a.uuid = r.uuid.empty() ? make_uuid() : r.uuid;
      payloads.push_back(alert_json_text(a));
      uuids.push_back(std::move(a.uuid));
    }
  }
  invalid_ += invalid;
  auto res = append(uuids, payloads);
  if (!res) return res;
  res->invalid = invalid;
  return res;
}

}  // namespace peregrine::router
