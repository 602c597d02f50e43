// Canary rollout by percentage of users (MISSION.md: 10 % -> 50 % -> 100 % per job type).
//
// A user's bucket (0..99) is the first 8 bytes of SHA-256(job_type + ":" + user_id), read
// big-endian, mod 100. Why SHA-256 and not std::hash: the answer must be the same in every
// gateway process, after restarts and upgrades, and reproducible by other tools (a dashboard, a
// SQL report); std::hash promises none of that. Why the job type in the input: each type's
// canary draws its own users, so the same 10 % are not the guinea pigs of every rollout.
// Raising the percent only adds users (bucket < percent), so nobody flips back and forth.
//
//   bool async = in_canary(claims.sub, "sofia", flags.canary_percent("sofia"));
#pragma once

#include <string_view>

namespace aiw::gateway {

// The user's bucket for job_type, 0..99. user_id is hashed as given (Supabase's sub is lower-case).
int canary_bucket(std::string_view user_id, std::string_view job_type);

// True when the user is in the first `percent` of buckets: never at <= 0, always at >= 100.
bool in_canary(std::string_view user_id, std::string_view job_type, int percent);

}  // namespace aiw::gateway
