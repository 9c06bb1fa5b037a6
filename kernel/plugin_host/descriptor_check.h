// Validation of the descriptor a plugin's entry point returns, before the host uses any
// of it: sizes, ABI major, names, kinds and their tables, the option schema.
//
// Thread-safety: stateless; safe from any thread. The descriptor is static plugin data.
#pragma once

#include <keepdb/plugin.h>

#include <cstddef>
#include <string>

namespace keepdb::plugin_host {

// Element `index` of the option schema, stepping by the first element's struct_size
// (plugin.h convention 2). Only valid on a descriptor that passed descriptor_problem().
const kdb_option_spec& option_spec_at(const kdb_plugin_descriptor& descriptor, std::size_t index);

// True when the descriptor is large enough to read abi_major/abi_minor and names the
// ABI major this host speaks.
bool abi_major_matches(const kdb_plugin_descriptor& descriptor);

// Empty when the descriptor is usable; otherwise one line naming the first problem, e.g.
// "descriptor struct_size 8 is smaller than ABI 1.0's 112". Call abi_major_matches first.
std::string descriptor_problem(const kdb_plugin_descriptor& descriptor);

}  // namespace keepdb::plugin_host
