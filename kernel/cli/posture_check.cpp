// Printing the posture table, as text and as JSON.
#include "kernel/cli/posture_check.h"

#include <algorithm>
#include <boost/json.hpp>

namespace keepdb::cli {
namespace {

std::string_view level_name(const config::Config& config) {
  return config.security.level == config::SecurityLevel::kProd ? "prod" : "dev";
}

std::string padded(std::string text, std::size_t width) {
  if (text.size() < width) text.resize(width, ' ');
  return text;
}

}  // namespace

std::string posture_table(const config::Config& config, const node::PostureReport& report) {
  std::size_t name_width = 0;
  std::size_t risk_width = 0;
  for (const config::Control& row : report.controls) {
    name_width = std::max(name_width, row.name.size() + 2);
    risk_width = std::max(risk_width, row.risk.size() + 2);
  }
  constexpr std::size_t kStatusWidth = 9;  // "missing*" and a space
  std::string text = "security level " + std::string(level_name(config)) + "\n";
  text += padded("STATUS", kStatusWidth) + padded("CONTROL", name_width) +
          padded("RISK", risk_width) + "KEY: REASON\n";
  for (const config::Control& row : report.controls) {
    const std::string status = std::string(config::control_status_name(row.status)) +
                               (config::risk_accepted(config, row) ? "*" : "");
    text += padded(status, kStatusWidth) + padded(row.name, name_width) +
            padded(row.risk, risk_width) + row.key + ": " + row.reason + "\n";
  }
  text += "(* accepted in [security] accept_risks)\n";
  return text;
}

boost::json::object posture_json(const config::Config& config, const node::PostureReport& report) {
  boost::json::array controls;
  for (const config::Control& row : report.controls) {
    controls.push_back(boost::json::object{{"control", row.name},
                                           {"status", config::control_status_name(row.status)},
                                           {"risk", row.risk},
                                           {"key", row.key},
                                           {"reason", row.reason},
                                           {"accepted", config::risk_accepted(config, row)}});
  }
  boost::json::array refusals;
  for (const std::string& refusal : report.refusals)
    refusals.push_back(boost::json::string(refusal));
  return {{"level", level_name(config)},
          {"controls", std::move(controls)},
          {"refusals", std::move(refusals)},
          {"would_start", report.refusals.empty()}};
}

}  // namespace keepdb::cli
