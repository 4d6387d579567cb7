// Authentication of the ZeroMQ links between hosts (CURVE) and the plaintext rule, as config structs.
//
// The side that binds is the CURVE server (sensor: events and control; router: alerts); the side that connects is
// the client (engine). Key files are made by peregrine-keygen (NAME.key secret, NAME.pub public; docs/security.md).
// The config only records paths and where they were written: each process loads its own keys at startup
// (common/transport/curve_keys.h), so one file shared by all hosts does not need every host's keys.
//
// Plaintext rule: a link without CURVE may bind only loopback (127.0.0.0/8, ::1, localhost), ipc:// or inproc://,
// unless the section says allow_plaintext: true.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/config/node_reader.h"

namespace peregrine::config {

/// Where a key was written, for errors found when the keys are loaded. Not part of the value.
struct KeyPosition {
  std::string file;
  int line = 0;    // 1-based, 0 = default value (not written)
  int column = 0;
  bool operator==(const KeyPosition&) const { return true; }
};

/// CURVE on a binding socket. Empty secret_key_file = plaintext.
struct CurveServerConfig {
  std::string section;                           // "router.alerts_curve" (for messages)
  std::string secret_key_file;                   // secret_key_file: this side's NAME.key (mode 0600)
  std::vector<std::string> allowed_client_keys;  // allowed_client_keys: NAME.pub files, directories of *.pub,
                                                 // or Z85 public keys; required (non-empty) with secret_key_file
  KeyPosition secret_key_file_at;
  std::vector<KeyPosition> allowed_client_keys_at;
  bool enabled() const { return !secret_key_file.empty(); }
  bool operator==(const CurveServerConfig&) const = default;
};

/// CURVE on a connecting socket. Empty secret_key_file = plaintext.
struct CurveClientConfig {
  std::string section;            // "engine.alerts_curve"
  std::string secret_key_file;    // secret_key_file: this side's NAME.key (mode 0600)
  std::string server_public_key;  // server_public_key: the server's NAME.pub, or its Z85 public key; required
                                  // with secret_key_file
  KeyPosition secret_key_file_at;
  KeyPosition server_public_key_at;
  bool enabled() const { return !secret_key_file.empty(); }
  bool operator==(const CurveClientConfig&) const = default;
};

/// Reads the map under `key` of `parent` (missing = plaintext).
CurveServerConfig read_curve_server(NodeReader& parent, const std::string& key);
CurveClientConfig read_curve_client(NodeReader& parent, const std::string& key);

/// True for endpoints only reachable from this host: ipc://, inproc://, tcp:// on 127.0.0.0/8, ::1 or localhost.
/// Wildcards ("*", 0.0.0.0, ::), interface names and every other address are not.
bool is_local_endpoint(std::string_view endpoint);

/// The plaintext rule: fails at `endpoint_key` of `r` when the bind is not local, CURVE is off and plaintext was
/// not allowed explicitly.
void check_plaintext_bind(NodeReader& r, const std::string& endpoint_key, const std::string& endpoint,
                          const CurveServerConfig& curve, bool allow_plaintext);

}  // namespace peregrine::config
