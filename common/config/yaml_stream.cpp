#include "common/config/yaml_stream.h"

#include <sstream>

#include <yaml-cpp/eventhandler.h>

namespace peregrine::config {
namespace {

// Sees only document boundaries; the contents are parsed (and validated) by yaml-cpp as usual.
class DocumentBoundaries final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  YAML::Mark start = YAML::Mark::null_mark();
};

// Walks every document; returns how many there are and the start of the second one (if any).
struct StreamShape {
  std::size_t documents = 0;
  YAML::Mark second_start = YAML::Mark::null_mark();
};

StreamShape walk(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentBoundaries handler;
  StreamShape shape;
  int last_pos = -1;
  while (parser.HandleNextDocument(handler)) {
    if (handler.start.pos <= last_pos) {
      throw YAML::ParserException(handler.start, "unexpected token at the top level (a stray ',' or closing "
                                                 "bracket after a complete flow collection?)");
    }
    last_pos = handler.start.pos;
    if (++shape.documents == 2) shape.second_start = handler.start;
  }
  return shape;
}

}  // namespace

std::vector<YAML::Node> load_yaml_documents(const std::string& text) {
  walk(text);
  return YAML::LoadAll(text);
}

YAML::Node load_single_yaml_document(const std::string& text) {
  const StreamShape shape = walk(text);
  if (shape.documents > 1) {
    throw YAML::ParserException(shape.second_start, "expected a single YAML document, found another one here");
  }
  return YAML::Load(text);
}

}  // namespace peregrine::config
