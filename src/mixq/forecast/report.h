// Rendering a forecast for people (a text table) and programs (JSON, schema_version 1,
// documented in docs/forecast.md#json-output). Pure formatting: no I/O.
#pragma once

#include <string>

#include "mixq/forecast/calibrate.h"
#include "mixq/forecast/device.h"
#include "mixq/forecast/forecast.h"

namespace mixq::forecast {

// What was forecast, for the report header.
struct ForecastInputs {
  std::string model_name;    // path or name the user gave
  std::string weights_desc;  // "q4_K (uniform)", "plan: plan.json", "as stored in the file"
  const ModelSpec* model = nullptr;
  const Device* device = nullptr;
  Workload workload;
};

std::string ForecastText(const ForecastInputs& in, const ForecastResult& r);
std::string ForecastJson(const ForecastInputs& in, const ForecastResult& r);

// Predicted against measured, one row per measurement, then the error summaries
// (median and worst absolute percentage error for the fitted and the held-out rows).
std::string ValidationText(const ValidationReport& report);
std::string ValidationJson(const ValidationReport& report, const Device& device);

// "12.3 ms", "456 us", "1.20 s"
std::string FormatSeconds(double seconds);
// "1.23 G" (SI prefixes, 3 significant digits) followed by `unit`.
std::string FormatSi(double value, const std::string& unit);
// "1.50 GiB" (binary prefixes)
std::string FormatBytes(double bytes);

}  // namespace mixq::forecast
