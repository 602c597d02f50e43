// The SSRF check for `image_url`: the YOLO service fetches that URL itself, from inside our
// network and with no address guard of its own, so the stage vets it before handing it over.
// Only what can be known without resolving is checked: the scheme, and the host when it is a
// literal IP address. A host name is resolved by the service, where we cannot check it.
#pragma once

#include <optional>
#include <string>

#include "common/address_lists.h"

namespace yolo {

// Why the service must not be sent `url` (a sentence), or nullopt when it may.
std::optional<std::string> image_url_problem(const std::string& url, const aiw::plugin_common::AddressLists& policy);

}  // namespace yolo
