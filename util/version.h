// Version strings reported by keepd --version, INFO and HELLO.
#pragma once

namespace keepdb {

inline constexpr const char* kVersion = "0.1.0";
// The Redis release whose replies KeepDB reproduces for the commands it implements.
inline constexpr const char* kRedisCompatVersion = "7.0.15";

}  // namespace keepdb
