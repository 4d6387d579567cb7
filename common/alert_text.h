// Alerts to and from JSON text on the hot paths (router intake, delivery workers, outputs), without a DOM.
//
// alert_json_text() gives exactly the bytes of nlohmann::json(alert).dump() (the canonical form the queue keeps
// and the outputs send) through JsonWriter. alert_from_json_text() accepts exactly what alert_from_json()
// accepts, with the same errors: simdjson's on-demand parser fills the Alert directly when the text is an
// ordinary alert; any error or unusual shape (a list or float in output_fields, an unknown key, a wrong type)
// falls back to the DOM parser, which then decides and words the error.
#pragma once

#include <string>
#include <string_view>

#include "common/alert.h"

namespace peregrine {

/// Variations for stored documents (the OpenSearch output): an "@timestamp" copy of "time", and output_fields
/// flattened ("proc.name" → "proc_name", every value a string or null) so that no field changes type.
/// omit_*: the keys Falco's json_include_output_fields_property / json_include_tags_property switches leave out
/// of the JSON the engine publishes.
struct AlertJsonStyle {
  bool at_timestamp = false;
  bool flat_string_fields = false;
  bool omit_output_fields = false;
  bool omit_tags = false;
};

void append_alert_json(std::string& out, const Alert& a, const AlertJsonStyle& style = {});
std::string alert_json_text(const Alert& a, const AlertJsonStyle& style = {});
Result<Alert> alert_from_json_text(std::string_view text);

}  // namespace peregrine
