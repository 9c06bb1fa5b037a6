// The one place that includes libraft's C header: raft.h has no extern "C" guards.
#pragma once

extern "C" {
#include <raft.h>
}
