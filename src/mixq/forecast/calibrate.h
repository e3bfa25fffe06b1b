// Fitting a device's efficiency factors and overheads to measured times, and reporting how well
// the forecast then matches held-out measurements (docs/forecast.md#calibration).
//
// With each operator's binding side (compute or memory) fixed, a phase's predicted time is
// linear in the inverse efficiencies and the overheads (roofline.h TimeTerms). The fit
// alternates: classify operators with the current factors, solve a least-squares problem on
// relative residuals (so a 10 ms prefill and a 50 us decode step weigh the same), with a small
// ridge pull towards the starting values for factors the data cannot separate, and bounds
// (efficiency in [0.01, 2], overheads >= 0); repeat until the classification stops changing.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "mixq/base/status.h"
#include "mixq/forecast/device.h"
#include "mixq/forecast/forecast.h"
#include "mixq/forecast/ops.h"

namespace mixq::forecast {

enum class Phase { kPrefill, kDecode };
const char* PhaseName(Phase phase);  // "prefill", "decode"

// One measured phase of one model configuration on the device.
struct Measurement {
  std::string label;  // for reports: "wiki-llama-8m f32 pp512"
  ModelSpec model;
  Phase phase = Phase::kPrefill;
  int64_t tokens = 0;  // prefill: prompt tokens; decode: steps
  int64_t depth = 0;   // tokens cached before the phase
  int64_t batch = 1;
  int64_t chunk = 0;   // prefill passes of `chunk` tokens (0: one pass)
  double seconds = 0;  // measured: prefill total; decode: mean seconds per step
  bool holdout = false;  // used only for validation, never for fitting
  int rounds = 1;           // measurements of this configuration merged into `seconds`
  double spread = 0;        // their max / min - 1 (how much the host drifted), 0 for one
};

// The forecast of a measurement's phase, in the measurement's normalisation.
PhaseResult PredictMeasurement(const Measurement& m, const Device& device);

struct CalibrationOptions {
  // Which factors to fit: "<class>.compute" / "<class>.memory" (class: matmul, attention,
  // elementwise, data), "overhead.per_op", "overhead.per_pass". Others keep their values. The
  // default fits what dominates LLM inference time; elementwise and data ops are a few percent,
  // too little for bench-style measurements to pin down.
  std::vector<std::string> parameters = {"matmul.compute", "matmul.memory", "attention.compute", "attention.memory",
                                         "overhead.per_op"};
  double prior_weight = 1e-3;  // ridge strength, relative to each parameter's data weight
  int max_iterations = 30;
};

struct CalibrationResult {
  Device device;  // the starting device with fitted factors; calibrated = true
  int iterations = 0;
  bool converged = false;
  std::vector<std::string> unidentified;  // parameters no training measurement depends on
};

// Fits on the measurements with holdout == false. Errors: no training measurements, unknown
// parameter names, a non-positive measured time (named by its label).
Result<CalibrationResult> Calibrate(const Device& start, const std::vector<Measurement>& measurements,
                                    const CalibrationOptions& options = {});

struct ValidationRow {
  std::string label;
  Phase phase = Phase::kPrefill;
  bool holdout = false;
  double measured = 0;   // seconds (normalised as in Measurement)
  double predicted = 0;  // seconds
  double ape = 0;        // |predicted - measured| / measured x 100, percent
  int rounds = 1;        // Measurement::rounds, spread
  double spread = 0;
};
struct ErrorSummary {
  int count = 0;
  double median_ape = 0;  // percent
  double max_ape = 0;     // percent
};
struct ValidationReport {
  std::vector<ValidationRow> rows;
  ErrorSummary train, holdout, all;
  // The same split by phase, indexed by static_cast<int>(Phase).
  std::array<ErrorSummary, 2> train_by_phase, holdout_by_phase;
};
ValidationReport ValidateForecasts(const Device& device, const std::vector<Measurement>& measurements);

// Median of a list (mean of the middle two for even sizes); 0 for an empty list.
double Median(std::vector<double> values);

}  // namespace mixq::forecast
