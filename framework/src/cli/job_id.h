// Random version-4 UUIDs for jobs run outside the database (`aiw run`, `aiw bench`).
#pragma once

#include <string>

namespace aiw::cli {
std::string random_uuid();
}
