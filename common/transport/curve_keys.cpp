#include "common/transport/curve_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <string_view>

#include "common/fd_util.h"


namespace peregrine::transport {
namespace {

std::string where(const config::KeyPosition& at, const std::string& section, const std::string& key) {
  std::string s = at.file;
  if (at.line > 0) s += ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
  return s + ": " + section + "." + key + ": ";
}

std::string errno_text() { return std::strerror(errno); }

void write_key(const std::string& path, const std::string& text, mode_t mode, bool overwrite) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL);
  UniqueFd fd(::open(path.c_str(), flags, mode));
  if (!fd.valid()) {
    const bool exists = errno == EEXIST;
    throw TransportError("cannot create " + path + ": " + errno_text() + (exists ? " (use --force to replace it)" : ""));
  }
  // An existing file keeps its mode under O_TRUNC: set it, so a replaced secret key is 0600 too.
  if (::fchmod(fd.get(), mode) != 0) throw TransportError("cannot chmod " + path + ": " + errno_text());
  if (auto w = write_all(fd.get(), text, path); !w) throw TransportError("cannot " + w.error().message);
  if (::fsync(fd.get()) != 0) throw TransportError("cannot fsync " + path + ": " + errno_text());
}

// One allow-list entry: a NAME.pub file, a directory of *.pub files, or a Z85 key.
void add_allowed(const std::string& entry, std::set<std::string>& seen, std::vector<std::string>& out) {
  auto add = [&](std::string k) {
    if (seen.insert(k).second) out.push_back(std::move(k));
  };
  std::error_code ec;
  auto st = std::filesystem::status(entry, ec);
  if (!ec && std::filesystem::is_directory(st)) {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(entry, ec))
      if (e.path().extension() == ".pub") files.push_back(e.path());
    if (ec) throw TransportError("cannot list directory " + entry + ": " + ec.message());
    if (files.empty()) throw TransportError("directory " + entry + " holds no *.pub file");
    std::sort(files.begin(), files.end());
    for (const auto& f : files) add(read_key_file(f.string(), false));
    return;
  }
  if (!ec && std::filesystem::exists(st)) {
    add(read_key_file(entry, false));
    return;
  }
  if (is_z85_key(entry)) {
    add(entry);
    return;
  }
  throw TransportError("'" + entry + "' is neither an existing NAME.pub file or directory nor a 40-character Z85 "
                       "public key");
}

}  // namespace

CurveKeypair generate_keypair() {
  // A public key may be written inline in the config, where "${" starts an environment substitution: draw
  // again in the rare case (about 1 in 200) that it contains one.
  for (;;) {
    char pub[kZ85KeyLength + 1] = {};
    char sec[kZ85KeyLength + 1] = {};
    if (zmq_curve_keypair(pub, sec) != 0) {
      throw TransportError(std::string("cannot generate a CURVE keypair: ") + zmq_strerror(zmq_errno()) +
                           " (libzmq built without libsodium/CURVE?)");
    }
    if (std::string_view(pub).find("${") == std::string_view::npos) return {pub, sec};
  }
}

bool is_z85_key(const std::string& text) {
  if (text.size() != kZ85KeyLength) return false;
  uint8_t bin[32];
  return zmq_z85_decode(bin, text.c_str()) != nullptr;
}

std::string public_key_of(const std::string& secret_key) {
  if (!is_z85_key(secret_key)) throw TransportError("not a 40-character Z85 key");
  char pub[kZ85KeyLength + 1] = {};
  if (zmq_curve_public(pub, secret_key.c_str()) != 0)
    throw TransportError(std::string("cannot derive the public key: ") + zmq_strerror(zmq_errno()));
  return pub;
}

void write_keypair(const std::string& dir, const std::string& name, const CurveKeypair& kp, bool overwrite) {
  if (name.empty() || name.find('/') != std::string::npos || name.front() == '.')
    throw TransportError("key name '" + name + "' must be a plain file name (no '/', not starting with '.')");
  const std::string base = (std::filesystem::path(dir) / name).string();
  write_key(base + ".key",
            "# Peregrine CURVE secret key '" + name + "' (Z85). Keep it private: mode 0600, never copy it off " +
                "this host.\n" + kp.secret_key + "\n",
            0600, overwrite);
  write_key(base + ".pub", "# Peregrine CURVE public key '" + name + "' (Z85). Give it to the peers.\n" +
                               kp.public_key + "\n",
            0644, overwrite);
}

std::string read_key_file(const std::string& path, bool secret) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw TransportError("cannot open key file " + path + ": " + errno_text());
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) throw TransportError("cannot stat key file " + path + ": " + errno_text());
  if (!S_ISREG(st.st_mode)) throw TransportError("key file " + path + " is not a regular file");
  if (secret && (st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw TransportError("secret key file " + path + " is accessible by group or others (mode " + mode +
                         "); run: chmod 600 " + path);
  }
  if (st.st_size > 4096) throw TransportError("key file " + path + " is larger than 4 KiB: not a key file");
  std::string text(static_cast<size_t>(st.st_size), '\0');
  if (auto r = pread_all(fd.get(), text.data(), text.size(), 0, path); !r)
    throw TransportError("cannot read key file: " + r.error().message);
  std::string key;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    if (!key.empty()) throw TransportError("key file " + path + " holds more than one key line");
    key = line.substr(first);
  }
  // The key itself is never echoed (a secret key file's content is secret).
  if (!is_z85_key(key))
    throw TransportError("key file " + path + " does not hold a 40-character Z85 key (make one with peregrine-keygen)");
  return key;
}

namespace {

// This side's keypair from its secret key file, errors positioned at secret_key_file.
CurveKeypair own_keypair(const std::string& file, const config::KeyPosition& at, const std::string& section) {
  try {
    CurveKeypair kp;
    kp.secret_key = read_key_file(file, true);
    kp.public_key = public_key_of(kp.secret_key);
    return kp;
  } catch (const TransportError& e) {
    throw TransportError(where(at, section, "secret_key_file") + e.what());
  }
}

}  // namespace

std::optional<CurveServerKeys> load_server_keys(const config::CurveServerConfig& cfg) {
  if (!cfg.enabled()) return std::nullopt;
  CurveServerKeys k;
  auto own = own_keypair(cfg.secret_key_file, cfg.secret_key_file_at, cfg.section);
  k.public_key = std::move(own.public_key);
  k.secret_key = std::move(own.secret_key);
  std::set<std::string> seen;
  for (size_t i = 0; i < cfg.allowed_client_keys.size(); ++i) {
    try {
      add_allowed(cfg.allowed_client_keys[i], seen, k.allowed_client_keys);
    } catch (const TransportError& e) {
      const auto& at = i < cfg.allowed_client_keys_at.size() ? cfg.allowed_client_keys_at[i] : cfg.secret_key_file_at;
      throw TransportError(where(at, cfg.section, "allowed_client_keys[" + std::to_string(i) + "]") + e.what());
    }
  }
  return k;
}

std::optional<CurveClientKeys> load_client_keys(const config::CurveClientConfig& cfg) {
  if (!cfg.enabled()) return std::nullopt;
  CurveClientKeys k;
  auto own = own_keypair(cfg.secret_key_file, cfg.secret_key_file_at, cfg.section);
  k.public_key = std::move(own.public_key);
  k.secret_key = std::move(own.secret_key);
  try {
    std::error_code ec;
    if (std::filesystem::exists(cfg.server_public_key, ec)) {
      k.server_key = read_key_file(cfg.server_public_key, false);
    } else if (is_z85_key(cfg.server_public_key)) {
      k.server_key = cfg.server_public_key;
    } else {
      throw TransportError("'" + cfg.server_public_key +
                           "' is neither an existing NAME.pub file nor a 40-character Z85 public key");
    }
  } catch (const TransportError& e) {
    throw TransportError(where(cfg.server_public_key_at, cfg.section, "server_public_key") + e.what());
  }
  return k;
}

void apply_curve_server(zmq::socket_t& sock, const CurveServerKeys& keys, const std::string& zap_domain) {
  sock.set(zmq::sockopt::curve_server, 1);
  sock.set(zmq::sockopt::curve_secretkey, keys.secret_key);
  sock.set(zmq::sockopt::zap_domain, zap_domain);
}

void apply_curve_client(zmq::socket_t& sock, const CurveClientKeys& keys) {
  sock.set(zmq::sockopt::curve_serverkey, keys.server_key);
  sock.set(zmq::sockopt::curve_publickey, keys.public_key);
  sock.set(zmq::sockopt::curve_secretkey, keys.secret_key);
}

}  // namespace peregrine::transport
