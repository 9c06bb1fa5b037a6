// The exception plugin_host throws on the control thread (loading, option checking,
// create): what() is one line naming the plugin and the problem, never a secret.
#pragma once

#include <stdexcept>

namespace keepdb::plugin_host {

class PluginError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace keepdb::plugin_host
