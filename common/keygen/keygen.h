// peregrine-keygen as a library: makes the CURVE key files of the ZeroMQ links (docs/security.md).
//
//   peregrine-keygen [--dir DIR] [--force] NAME...     writes DIR/NAME.key (secret, 0600) and DIR/NAME.pub
//   peregrine-keygen --public NAME.key                 prints the public key of a secret key file
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace peregrine::keygen {

struct KeygenOptions {
  std::string dir = ".";           // --dir: where the files go (created if missing)
  bool force = false;              // --force: replace existing files
  std::vector<std::string> names;  // NAME...: one keypair each
  std::string public_of;           // --public FILE: print the public key of this secret key file instead
};

/// Runs the tool; messages go to `out` / `err`. Returns the exit code (0 ok, 1 failure, 2 bad usage).
int run_keygen(const KeygenOptions& opts, std::ostream& out, std::ostream& err);
/// Parses argv (CLI11) and runs. Exit code as above.
int keygen_main(int argc, char** argv);

}  // namespace peregrine::keygen
