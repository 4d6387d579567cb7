// CURVE key material for the ZeroMQ links: generation, key files, and loading what the config names.
//
// Key files are text: '#' comment lines, blank lines, and one 40-character Z85 key (ZeroMQ's encoding of the 32
// key bytes). peregrine-keygen writes NAME.key (the secret key, mode 0600) and NAME.pub (the public key, 0644).
// A secret key file that group or others can access is refused: a leaked secret key lets anyone act as that
// host. The public key is derived from the secret one, so a host needs only its NAME.key and its peers' NAME.pub.
// Everything here runs at load time and throws TransportError with the config position and key name.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "common/config/link_config.h"
#include "common/transport/socket.h"

namespace peregrine::transport {

inline constexpr size_t kZ85KeyLength = 40;

struct CurveKeypair {
  std::string public_key;  // Z85
  std::string secret_key;  // Z85
};

/// A fresh keypair (libsodium through zmq_curve_keypair) whose public key has no "${" (so it can be written
/// inline in the config). Throws TransportError when libzmq lacks CURVE.
CurveKeypair generate_keypair();
/// True when `text` is a 40-character Z85 string that decodes to 32 bytes.
bool is_z85_key(const std::string& text);
/// The public key of a Z85 secret key. Throws TransportError on a malformed key.
std::string public_key_of(const std::string& secret_key);

/// Writes DIR/NAME.key (0600, created exclusively unless `overwrite`) and DIR/NAME.pub (0644). Throws
/// TransportError naming the file (e.g. when it exists and `overwrite` is false).
void write_keypair(const std::string& dir, const std::string& name, const CurveKeypair& kp, bool overwrite);
/// The key in a key file. `secret` = the file must not be accessible by group or others. Throws TransportError.
std::string read_key_file(const std::string& path, bool secret);

/// Keys for the binding side of a link, loaded.
struct CurveServerKeys {
  std::string public_key;
  std::string secret_key;
  std::vector<std::string> allowed_client_keys;  // Z85, deduplicated
};

/// Keys for the connecting side, loaded.
struct CurveClientKeys {
  std::string public_key;
  std::string secret_key;
  std::string server_key;
};

/// nullopt when the config leaves CURVE off. Throws TransportError "FILE:LINE:COL: SECTION.KEY: problem".
std::optional<CurveServerKeys> load_server_keys(const config::CurveServerConfig& cfg);
std::optional<CurveClientKeys> load_client_keys(const config::CurveClientConfig& cfg);

/// Turns CURVE on for a socket before it binds / connects. `zap_domain` names the link for the ZAP handler
/// (common/transport/zap.h), which decides which clients are let in.
void apply_curve_server(zmq::socket_t& sock, const CurveServerKeys& keys, const std::string& zap_domain);
void apply_curve_client(zmq::socket_t& sock, const CurveClientKeys& keys);

}  // namespace peregrine::transport
