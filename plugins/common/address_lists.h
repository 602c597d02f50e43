// The `http_hosts` and `allow_networks` parameters of the stages that fetch a user's URL
// (image.fetch, and yolo.detect's image_url), read one way.
#pragma once

#include <aiw/json.h>

#include <string>
#include <vector>

namespace aiw::plugin_common {

struct AddressLists {
  std::vector<std::string> http_hosts;      // hosts allowed over plain http, lower-cased
  std::vector<std::string> allow_networks;  // CIDR networks exempt from the public-only rule
};

// Each entry may hold several values separated by commas, and empty values are dropped, so a
// pipeline can take a list from one environment variable with an empty default,
// ["${env.AIW_FETCH_ALLOW_NETWORKS:-}"]: production leaves it unset (nothing exempt), a test
// sets "127.0.0.0/8", an internal MinIO "10.20.0.0/16,10.30.0.0/16". Host names compare
// case-insensitively, so they are lower-cased like a parsed URL's host.
AddressLists address_lists(const aiw::JsonValue& params);

}  // namespace aiw::plugin_common
