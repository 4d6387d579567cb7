#include "common/keygen/keygen.h"

#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>

#include "common/transport/curve_keys.h"

namespace peregrine::keygen {

int run_keygen(const KeygenOptions& opts, std::ostream& out, std::ostream& err) {
  try {
    if (!opts.public_of.empty()) {
      if (!opts.names.empty()) {
        err << "peregrine-keygen: --public takes no NAME\n";
        return 2;
      }
      out << transport::public_key_of(transport::read_key_file(opts.public_of, true)) << "\n";
      return 0;
    }
    if (opts.names.empty()) {
      err << "peregrine-keygen: give at least one NAME (e.g. router, engine-node1)\n";
      return 2;
    }
    std::error_code ec;
    std::filesystem::create_directories(opts.dir, ec);
    if (ec) throw transport::TransportError("cannot create " + opts.dir + ": " + ec.message());
    for (const auto& name : opts.names) {
      auto kp = transport::generate_keypair();
      transport::write_keypair(opts.dir, name, kp, opts.force);
      const auto base = (std::filesystem::path(opts.dir) / name).string();
      out << base << ".key (secret, mode 0600) and " << base << ".pub: public key " << kp.public_key << "\n";
    }
    return 0;
  } catch (const transport::TransportError& e) {
    err << "peregrine-keygen: " << e.what() << "\n";
    return 1;
  }
}

int keygen_main(int argc, char** argv) {
  CLI::App cli{"peregrine-keygen: CURVE key files for Peregrine's ZeroMQ links (docs/security.md)"};
  KeygenOptions opts;
  cli.add_option("NAME", opts.names, "key name; writes NAME.key (secret, 0600) and NAME.pub");
  cli.add_option("--dir,-d", opts.dir, "directory for the key files (created if missing)");
  cli.add_flag("--force", opts.force, "replace existing key files");
  cli.add_option("--public", opts.public_of, "print the public key of this secret key file and exit");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e) == 0 ? 0 : 2;
  }
  return run_keygen(opts, std::cout, std::cerr);
}

}  // namespace peregrine::keygen
