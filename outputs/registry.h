// type -> factory for outputs. Registration is explicit: main (and tests) call register_builtin_outputs().
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/config/node_reader.h"
#include "common/result.h"
#include "outputs/output.h"

namespace peregrine::outputs {

/// One `router.outputs` entry as found in the config file (type, name, raw YAML, position).
using OutputSpec = config::OutputConfigNode;

/// Builds an output from the common settings and a reader positioned on its mapping. The factory reads only its
/// own keys; unknown ones are reported by the registry afterwards. Throws config::ConfigError (load time only).
using OutputFactory = std::function<std::unique_ptr<Output>(OutputCommon common, config::NodeReader& node)>;

class Registry {
 public:
  /// Throws std::logic_error on a duplicate type (a programming error). `delivery_defaults`: the type's own
  /// defaults for the `delivery` keys (bulk outputs batch more and linger).
  void add(const std::string& type, OutputFactory factory, DeliveryOptions delivery_defaults = {});
  bool has(const std::string& type) const { return types_.count(type) != 0; }
  std::vector<std::string> types() const;

  /// Parses the common keys (name, routing, delivery), calls the type's factory and rejects
  /// unknown keys. Errors come back as "file:line:col: message".
  Result<std::unique_ptr<Output>> create(const OutputSpec& spec) const;
  /// Creates all outputs; names must be unique.
  Result<std::vector<std::unique_ptr<Output>>> create_all(const std::vector<OutputSpec>& specs) const;

 private:
  struct Type {
    OutputFactory factory;
    DeliveryOptions delivery_defaults;
  };
  std::map<std::string, Type> types_;
};

/// Adds every built-in output type ("file", "stdout").
void register_builtin_outputs(Registry& registry);

}  // namespace peregrine::outputs
