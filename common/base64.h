// RFC 4648 base64 (standard alphabet, padded): HTTP basic auth secrets, SMS gateways, webhook signatures.
#pragma once

#include <string>
#include <string_view>

namespace peregrine {

std::string base64_encode(std::string_view data);

}  // namespace peregrine
