#include "mixq/forecast/pass_model.h"

namespace mixq::forecast {

std::vector<int> PhaseAccumulator::RowsFor(const std::vector<Op>& ops) {
  std::vector<int> rows;
  rows.reserve(ops.size());
  for (const Op& op : ops) {
    auto [it, inserted] = row_of_group_.emplace(op.group, static_cast<int>(result_.ops.size()));
    if (inserted) {
      OpRow& row = result_.ops.emplace_back();
      row.group = op.group;
      row.op_class = op.op_class;
    }
    result_.ops[it->second].compute_type = device_.ComputeTypeFor(op);
    rows.push_back(it->second);
  }
  return rows;
}

void PhaseAccumulator::Add(int row_index, const Op& op, const OpTiming& timing, double peak, double bandwidth) {
  OpRow& row = result_.ops[row_index];
  row.flops += op.flops;
  row.weight_bytes += op.weight_bytes;
  row.act_bytes += op.act_bytes;
  row.kv_bytes += op.kv_bytes;
  row.launches += op.launches;
  row.t_compute += timing.t_compute;
  row.t_memory += timing.t_memory;
  row.time += timing.time;
  result_.terms.AddOp(op, timing, peak, bandwidth, device_.FactorKey(op));
}

void PhaseAccumulator::AddPass(double seconds, const std::string& memory_level) {
  result_.seconds += seconds;
  result_.passes += 1;
  result_.terms.passes += 1;
  result_.memory_level = memory_level;
}

PhaseResult PhaseAccumulator::Finish(double divisor) const {
  PhaseResult r = result_;
  const double s = 1.0 / divisor;
  r.seconds *= s;
  TimeTerms terms;
  terms.Add(result_.terms, s);
  r.terms = terms;
  for (OpRow& row : r.ops) {
    for (double* v : {&row.flops, &row.weight_bytes, &row.act_bytes, &row.kv_bytes, &row.launches, &row.t_compute,
                      &row.t_memory, &row.time})
      *v *= s;
  }
  return r;
}

PassModel::PassModel(const ModelSpec& model, const Device& device, PassShape shape, PhaseAccumulator* acc)
    : device_(device), acc_(acc), tokens_(shape.tokens) {
  shape.past = 0;
  base_ = BuildPassOps(model, device.exec, shape);
  shape.past = 1;
  slope_ = BuildPassOps(model, device.exec, shape);
  MIXQ_CHECK(base_.size() == slope_.size());
  for (size_t i = 0; i < base_.size(); ++i) {
    Op& d = slope_[i];
    d.flops -= base_[i].flops;
    d.weight_bytes -= base_[i].weight_bytes;
    d.act_bytes -= base_[i].act_bytes;
    d.kv_bytes -= base_[i].kv_bytes;
    weight_bytes_ += base_[i].weight_bytes;
    peak_.push_back(base_[i].flops > 0 || d.flops > 0 ? device.PeakFor(base_[i]) : 1.0);
  }
  scratch_ = base_;
  rows_ = acc->RowsFor(base_);
  const ModelConfig& c = model.config;
  kv_bytes_per_pos_ = 2.0 * static_cast<double>(c.n_layers * c.kv_dim() * shape.batch) * BytesPerElement(model.kv_type);
}

double PassModel::Run(int64_t past) {
  const double p = static_cast<double>(past);
  const MemoryChoice memory =
      ChooseMemoryLevel(device_, weight_bytes_ + kv_bytes_per_pos_ * static_cast<double>(past + tokens_));
  double seconds = device_.overhead_per_pass;
  for (size_t i = 0; i < base_.size(); ++i) {
    Op& op = scratch_[i];
    op.flops = base_[i].flops + p * slope_[i].flops;
    op.act_bytes = base_[i].act_bytes + p * slope_[i].act_bytes;
    op.kv_bytes = base_[i].kv_bytes + p * slope_[i].kv_bytes;
    const OpTiming timing = TimeOpAtPeak(op, peak_[i], device_, memory.bandwidth);
    acc_->Add(rows_[i], op, timing, peak_[i], memory.bandwidth);
    seconds += timing.time;
  }
  acc_->AddPass(seconds, memory.name);
  return seconds;
}

}  // namespace mixq::forecast
