// Secrets never appear in logs, metrics or dead letters. Config readers register every secret value they load
// (passwords, tokens, API keys, webhook URLs whose path or query is the credential: NodeReader::secret), and
// every log line and dead-letter reason passes through redact(), which replaces each registered value by "***".
// Metrics carry only output names, never values.
#pragma once

#include <string>
#include <string_view>

namespace peregrine::secrets {

/// Registers `value` as secret (values shorter than 4 bytes are not registered: they would blank out common
/// text, and are no credential anyway). Thread-safe; values stay registered for the process's lifetime.
void add(std::string value);
/// `text` with every registered secret replaced by "***" (longest first, so a URL containing a token goes
/// as a whole).
std::string redact(std::string_view text);
/// True once any secret is registered (lets hot paths skip redact()).
bool any();

}  // namespace peregrine::secrets
