#include "mixq/forecast/calibrate.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "mixq/forecast/least_squares.h"

namespace mixq::forecast {
namespace {

constexpr double kMinEfficiency = 0.01;
constexpr double kMaxEfficiency = 2.0;

// A fitted quantity. Efficiencies are fitted as their inverses, which enter the time linearly;
// kernel costs (per output, per activation element) and overheads enter it linearly as they are.
struct Parameter {
  std::string name;
  enum Kind { kCompute, kMemory, kPerOutput, kPerAct, kPerOp, kPerPass } kind = kCompute;
  int op_class = 0;
  // A separately fitted factor set (Device::FactorKey): a weight type for
  // "matmul.<type>.<side>", kAttentionDecodeKey for "attention_decode.<side>"; "" for a class.
  std::string key;

  Efficiency& Eff(Device* d) const {
    if (key.empty()) return d->efficiency[op_class];
    if (key == kAttentionDecodeKey) return *d->attention_decode;
    return d->matmul_type_efficiency[key];
  }
  double Get(const Device& d) const {
    if (kind == kPerOp) return d.overhead_per_op;
    if (kind == kPerPass) return d.overhead_per_pass;
    const Efficiency& e = key.empty() ? d.efficiency[op_class] : d.FactorsOf(key);
    switch (kind) {
      case kCompute: return 1.0 / e.compute;
      case kMemory: return 1.0 / e.memory;
      case kPerOutput: return e.per_output;
      default: return e.per_act;
    }
  }
  void Set(Device* d, double x) const {
    switch (kind) {
      case kCompute: Eff(d).compute = 1.0 / x; break;
      case kMemory: Eff(d).memory = 1.0 / x; break;
      case kPerOutput: Eff(d).per_output = x; break;
      case kPerAct: Eff(d).per_act = x; break;
      case kPerOp: d->overhead_per_op = x; break;
      case kPerPass: d->overhead_per_pass = x; break;
    }
  }
  // d(time)/d(x) for a phase with these terms.
  double Coefficient(const TimeTerms& t) const {
    if (kind == kPerOp) return t.launches;
    if (kind == kPerPass) return t.passes;
    if (!key.empty()) {
      auto it = t.keyed_s.find(key);
      return it == t.keyed_s.end() ? 0 : it->second[static_cast<int>(kind)];
    }
    return kind == kCompute ? t.compute_s[op_class] : kind == kMemory ? t.memory_s[op_class] : 0;
  }
  bool is_efficiency() const { return kind == kCompute || kind == kMemory; }
};

Result<Parameter> ParseParameter(const std::string& name) {
  Parameter p;
  p.name = name;
  if (name == "overhead.per_op") return (p.kind = Parameter::kPerOp, p);
  if (name == "overhead.per_pass") return (p.kind = Parameter::kPerPass, p);
  const size_t dot = name.find('.'), last = name.rfind('.');
  const std::string head = dot == std::string::npos ? "" : name.substr(0, dot);
  const std::string side = dot == std::string::npos ? "" : name.substr(last + 1);
  // -1: not a parameter name (a plain int: GCC 12 misreports an optional here as uninitialised).
  int op_class = head.empty() || !ParseOpClass(head) ? -1 : static_cast<int>(*ParseOpClass(head));
  const int matmul = static_cast<int>(OpClass::kMatmul);
  if (head == kAttentionDecodeKey && last == dot) {
    op_class = static_cast<int>(OpClass::kAttention);
    p.key = kAttentionDecodeKey;
  } else if (op_class == matmul && last > dot) {
    p.key = name.substr(dot + 1, last - dot - 1);
    if (!ParseDType(p.key)) op_class = -1;
  } else if (last != dot) {
    op_class = -1;
  }
  // Kernel costs exist only per weight type (matmul.<type>.per_output / per_act).
  const bool typed = op_class == matmul && !p.key.empty();
  const bool side_ok = side == "compute" || side == "memory" || (typed && (side == "per_output" || side == "per_act"));
  if (op_class < 0 || !side_ok)
    return Err("[calibrate] unknown parameter '{}' (<matmul|attention|elementwise|data>.<compute|memory>, "
               "attention_decode.<compute|memory>, matmul.<weight type>.<compute|memory|per_output|per_act>, "
               "overhead.per_op, overhead.per_pass)", name);
  p.op_class = op_class;
  p.kind = side == "compute"  ? Parameter::kCompute
           : side == "memory" ? Parameter::kMemory
           : side == "per_output" ? Parameter::kPerOutput
                                  : Parameter::kPerAct;
  return p;
}

// A string summarising which side binds each op class in each measurement, to detect when the
// classification has settled.
std::string Classification(const std::vector<TimeTerms>& terms) {
  std::string s;
  for (const TimeTerms& t : terms) {
    for (int c = 0; c < kNumOpClasses; ++c) {
      s += t.compute_s[c] > 0 ? 'c' : '-';
      s += t.memory_s[c] > 0 ? 'm' : '-';
    }
    for (const auto& [key, v] : t.keyed_s) {
      s += key;
      s += v[0] > 0 ? 'c' : '-';
      s += v[1] > 0 ? 'm' : '-';
    }
  }
  return s;
}

}  // namespace

const char* PhaseName(Phase phase) { return phase == Phase::kPrefill ? "prefill" : "decode"; }

PhaseResult PredictMeasurement(const Measurement& m, const Device& device) {
  if (m.phase == Phase::kPrefill) return ForecastPrefill(m.model, device, m.tokens, m.depth, m.batch, m.chunk, false);
  return ForecastDecode(m.model, device, m.depth, m.tokens, m.batch);
}

Result<CalibrationResult> Calibrate(const Device& start_device, const std::vector<Measurement>& measurements,
                                    const CalibrationOptions& options) {
  MIXQ_RETURN_IF_ERROR(CheckDevice(start_device));
  Device start = start_device;
  std::vector<Parameter> params;
  for (const std::string& name : options.parameters) {
    MIXQ_ASSIGN_OR_RETURN(Parameter p, ParseParameter(name));
    // A factor set fitted for the first time starts from its class's factors (and no kernel costs).
    if (p.key == kAttentionDecodeKey && !start.attention_decode)
      start.attention_decode = start.efficiency[static_cast<int>(OpClass::kAttention)];
    else if (!p.key.empty() && p.key != kAttentionDecodeKey && !start.matmul_type_efficiency.count(p.key))
      start.matmul_type_efficiency[p.key] = start.efficiency[static_cast<int>(OpClass::kMatmul)];
    params.push_back(p);
  }
  std::vector<const Measurement*> train;
  for (const Measurement& m : measurements) {
    if (!(m.seconds > 0)) return Err("[calibrate] '{}': measured time must be positive, got {}", m.label, m.seconds);
    MIXQ_RETURN_IF_ERROR(CheckModelSpec(m.model).WithContext("[calibrate] '" + m.label + "'"));
    if (!m.holdout) train.push_back(&m);
  }
  if (train.empty()) return Err("[calibrate] no training measurements (all are held out)");

  CalibrationResult result;
  result.device = start;
  Device& dev = result.device;
  std::string previous_class;
  for (result.iterations = 1; result.iterations <= options.max_iterations; ++result.iterations) {
    std::vector<TimeTerms> terms;
    for (const Measurement* m : train) terms.push_back(PredictMeasurement(*m, dev).terms);
    BoundedRidgeProblem p;
    const size_t n = params.size();
    for (size_t i = 0; i < train.size(); ++i) {
      // Relative residual: (constant + sum_j a_j x_j - y) / y.
      const double y = train[i]->seconds;
      double rest = terms[i].Seconds(dev);
      std::vector<double> row(n);
      for (size_t j = 0; j < n; ++j) {
        row[j] = params[j].Coefficient(terms[i]) / y;
        rest -= params[j].Coefficient(terms[i]) * params[j].Get(dev);
      }
      p.a.push_back(row);
      p.b.push_back((y - rest) / y);
    }
    result.unidentified.clear();
    for (size_t j = 0; j < n; ++j) {
      double col = 0;
      for (const auto& row : p.a) col += row[j] * row[j];
      if (col == 0) result.unidentified.push_back(params[j].name);
      const double x0 = params[j].Get(start);
      // Scale-free ridge: relative to the column's weight in the data (or pinned if unused).
      p.ridge.push_back(col > 0 ? options.prior_weight * col : 1.0);
      p.prior.push_back(x0);
      p.lower.push_back(params[j].is_efficiency() ? 1.0 / kMaxEfficiency : 0.0);
      p.upper.push_back(params[j].is_efficiency() ? 1.0 / kMinEfficiency : std::numeric_limits<double>::infinity());
    }
    const std::vector<double> x = SolveBoundedRidge(p);
    double change = 0;
    for (size_t j = 0; j < n; ++j) {
      const double old = params[j].Get(dev);
      change = std::max(change, std::fabs(x[j] - old) / std::max(std::fabs(old), 1e-12));
      params[j].Set(&dev, x[j]);
    }
    const std::string cls = Classification(terms);
    if (change < 1e-9 && cls == previous_class) {
      result.converged = true;
      break;
    }
    previous_class = cls;
  }
  result.iterations = std::min(result.iterations, options.max_iterations);
  dev.calibrated = true;
  return result;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t h = v.size() / 2;
  return v.size() % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
}

ValidationReport ValidateForecasts(const Device& device, const std::vector<Measurement>& measurements) {
  ValidationReport report;
  std::vector<double> train, holdout, all;
  std::array<std::vector<double>, 2> train_phase, holdout_phase;
  for (const Measurement& m : measurements) {
    ValidationRow row;
    row.label = m.label;
    row.phase = m.phase;
    row.holdout = m.holdout;
    row.measured = m.seconds;
    row.predicted = PredictMeasurement(m, device).seconds;
    row.ape = 100.0 * std::fabs(row.predicted - row.measured) / row.measured;
    row.rounds = m.rounds;
    row.spread = m.spread;
    (m.holdout ? holdout : train).push_back(row.ape);
    (m.holdout ? holdout_phase : train_phase)[static_cast<int>(m.phase)].push_back(row.ape);
    all.push_back(row.ape);
    report.rows.push_back(row);
  }
  auto summarise = [](const std::vector<double>& v) {
    ErrorSummary s;
    s.count = static_cast<int>(v.size());
    s.median_ape = Median(v);
    s.max_ape = v.empty() ? 0 : *std::max_element(v.begin(), v.end());
    return s;
  };
  report.train = summarise(train);
  report.holdout = summarise(holdout);
  report.all = summarise(all);
  for (int p = 0; p < 2; ++p) {
    report.train_by_phase[p] = summarise(train_phase[p]);
    report.holdout_by_phase[p] = summarise(holdout_phase[p]);
  }
  return report;
}

}  // namespace mixq::forecast
