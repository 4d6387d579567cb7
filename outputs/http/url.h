// URLs for HTTP outputs, built with libcurl's URL API (never by string formatting): joining a path to a base,
// adding query parameters (percent-encoded), and the form of a URL that may be logged.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace peregrine::outputs {

/// "" when `url` is an absolute http(s) URL with a host, else why not (for config errors).
std::string check_http_url(const std::string& url);
/// `base` with `path` appended to its path ("http://h:9200/os" + "/_bulk" → "http://h:9200/os/_bulk").
std::string url_join(const std::string& base, const std::string& path);
/// `url` with each (name, value) appended to its query, percent-encoded; empty values are left out.
std::string url_with_query(const std::string& url, const std::vector<std::pair<std::string, std::string>>& params);
/// Percent-encoding of one URL component (RFC 3986 unreserved characters stay as they are).
std::string url_encode(std::string_view s);
/// The URL without user info, query and fragment: safe to log for outputs whose credential is not the path.
std::string redacted_url(const std::string& url);
/// Scheme, host and port only: for outputs whose path is the credential (Slack, Teams webhooks).
std::string url_origin(const std::string& url);

}  // namespace peregrine::outputs
