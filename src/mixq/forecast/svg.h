// A roofline chart (SVG) of a forecast: the device's roofs (peak per compute type, memory
// bandwidth) on log-log axes of arithmetic intensity (FLOP/byte) against performance (FLOP/s),
// with every operator kind placed at its intensity and achieved rate (FLOPs / forecast time),
// prefill as circles, decode as squares. Operators without arithmetic (embedding lookup,
// KV-cache writes) have no place on the chart and are listed in a note instead.
#pragma once

#include <string>

#include "mixq/forecast/device.h"
#include "mixq/forecast/forecast.h"

namespace mixq::forecast {

std::string RooflineSvg(const Device& device, const ForecastResult& result, const std::string& title);

}  // namespace mixq::forecast
