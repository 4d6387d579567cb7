// Safe entry points into yaml-cpp for untrusted text (rules files, the config file).
//
// yaml-cpp 0.7 (Debian 12) never terminates on a stream whose top level is a flow collection followed by a
// stray ',' (e.g. "{},", "[a],b"): its parser keeps reporting a new empty document at the same position
// without consuming the token, and YAML::LoadAll grows its vector until memory runs out. These functions
// first walk the stream's events with a parser that stops at the first document that does not advance, and
// report it as a YAML::ParserException at that line and column, like any other syntax error.
#pragma once

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace peregrine::config {

// All documents of `text`, as YAML::LoadAll would return them. Throws YAML::Exception (with its mark) on
// syntax errors, including the non-advancing stream described above.
std::vector<YAML::Node> load_yaml_documents(const std::string& text);

// The single document of `text` (a null node for an empty text). A second document, or anything after the
// first one that yaml-cpp would otherwise drop silently, is a YAML::ParserException at its position.
YAML::Node load_single_yaml_document(const std::string& text);

}  // namespace peregrine::config
