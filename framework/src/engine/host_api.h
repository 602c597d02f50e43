// The host side of the plugin ABI: the aiw_host_api table every plugin receives.
#pragma once

#include <aiw/abi.h>

namespace aiw::engine {

// The table handed to each plugin's entry point; valid for the life of the process.
const aiw_host_api* host_api();

}  // namespace aiw::engine
