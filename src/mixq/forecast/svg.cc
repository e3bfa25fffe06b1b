#include "mixq/forecast/svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

namespace mixq::forecast {
namespace {

constexpr double kWidth = 960, kHeight = 600;
constexpr double kLeft = 90, kRight = 250, kTop = 60, kBottom = 60;  // plot margins, px

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// "10 G" style labels for powers of ten.
std::string DecadeLabel(int exponent, const char* unit) {
  static const char* kPrefix[] = {"", " k", " M", " G", " T", " P", " E"};
  if (exponent >= 0 && exponent < 21) {
    const int group = exponent / 3;
    return fmt::format("{:g}{}{}", std::pow(10.0, exponent % 3), kPrefix[group], unit);
  }
  return fmt::format("1e{}{}", exponent, unit);
}

struct Point {
  std::string label;
  bool prefill = true;
  double x = 0, y = 0;  // intensity (FLOP/byte), achieved FLOP/s
};

// Log-log mapping from data to pixels.
struct Axes {
  int x_lo = 0, x_hi = 0, y_lo = 0, y_hi = 0;  // decades
  double Px(double x) const {
    return kLeft + (std::log10(x) - x_lo) / (x_hi - x_lo) * (kWidth - kLeft - kRight);
  }
  double Py(double y) const {
    return kHeight - kBottom - (std::log10(y) - y_lo) / (y_hi - y_lo) * (kHeight - kTop - kBottom);
  }
};

void CollectPoints(const PhaseResult& phase, bool prefill, std::vector<Point>* points, std::set<std::string>* types,
                   std::vector<std::string>* skipped) {
  for (const OpRow& row : phase.ops) {
    if (row.flops > 0 && row.bytes() > 0 && row.time > 0) {
      points->push_back({row.group, prefill, row.intensity(), row.flops / row.time});
      types->insert(row.compute_type);
    } else if (prefill) {
      skipped->push_back(row.group);
    }
  }
}

void DrawAxes(const Axes& a, std::string* svg) {
  const double x0 = kLeft, x1 = kWidth - kRight, y0 = kTop, y1 = kHeight - kBottom;
  *svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#444\"/>\n", x0, y0,
                      x1 - x0, y1 - y0);
  for (int e = a.x_lo; e <= a.x_hi; ++e) {
    const double x = a.Px(std::pow(10.0, e));
    *svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#ddd\"/>\n", x, y0, y1);
    *svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", x, y1 + 18,
                        Escape(e < 0 ? fmt::format("{:g}", std::pow(10.0, e)) : DecadeLabel(e, "")));
  }
  for (int e = a.y_lo; e <= a.y_hi; ++e) {
    const double y = a.Py(std::pow(10.0, e));
    *svg += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n", x0, y, x1, y);
    *svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", x0 - 6, y + 4,
                        Escape(DecadeLabel(e, "FLOP/s")));
  }
  *svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">arithmetic intensity (FLOP/byte)</text>\n",
                      (x0 + x1) / 2, kHeight - 15);
}

// One roof: bandwidth slope up to the ridge point, then the flat peak.
void DrawRoof(const Axes& a, double peak, double bandwidth, const char* color, const char* dash, std::string* svg) {
  const double x_lo = std::pow(10.0, a.x_lo), x_hi = std::pow(10.0, a.x_hi);
  const double y_floor = std::pow(10.0, a.y_lo);
  const double ridge = peak / bandwidth;
  const double x_start = std::max(x_lo, y_floor / bandwidth);
  std::string pts = fmt::format("{:.1f},{:.1f} ", a.Px(x_start), a.Py(std::max(x_start * bandwidth, y_floor)));
  if (ridge > x_start && ridge < x_hi) pts += fmt::format("{:.1f},{:.1f} ", a.Px(ridge), a.Py(peak));
  pts += fmt::format("{:.1f},{:.1f}", a.Px(x_hi), a.Py(std::min(peak, x_hi * bandwidth)));
  *svg += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{}/>\n", pts, color,
                      dash);
}

}  // namespace

std::string RooflineSvg(const Device& device, const ForecastResult& result, const std::string& title) {
  std::vector<Point> points;
  std::set<std::string> types;
  std::vector<std::string> skipped;
  CollectPoints(result.prefill, true, &points, &types, &skipped);
  CollectPoints(result.decode, false, &points, &types, &skipped);
  const Efficiency& mm = device.efficiency[static_cast<int>(OpClass::kMatmul)];

  // Axis ranges: every point and every ridge point, with a decade of room.
  double x_min = 1, x_max = 10, y_min = 1e9, y_max = 1e9;
  for (const Point& p : points) {
    x_min = std::min(x_min, p.x), x_max = std::max(x_max, p.x);
    y_min = std::min(y_min, p.y), y_max = std::max(y_max, p.y);
  }
  for (const std::string& t : types) {
    x_max = std::max(x_max, device.peak.at(t) / device.memory_bandwidth);
    y_max = std::max(y_max, device.peak.at(t));
  }
  Axes a{static_cast<int>(std::floor(std::log10(x_min))) - 1, static_cast<int>(std::ceil(std::log10(x_max))) + 1,
         static_cast<int>(std::floor(std::log10(y_min))) - 1, static_cast<int>(std::ceil(std::log10(y_max))) + 1};

  std::string svg = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      kWidth, kHeight);
  // The title, one <text> per line ('\n' separates lines).
  double title_y = 20;
  for (size_t start = 0; start <= title.size();) {
    const size_t nl = std::min(title.find('\n', start), title.size());
    svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"14\">{}</text>\n", kLeft, title_y,
                       Escape(title.substr(start, nl - start)));
    title_y += 17;
    start = nl + 1;
  }
  DrawAxes(a, &svg);
  static const char* kColors[] = {"#2ca02c", "#9467bd", "#8c564b", "#d62728", "#17becf"};
  double legend_y = kTop + 10;
  const double legend_x = kWidth - kRight + 20;
  auto legend = [&](const std::string& text, const std::string& swatch) {
    svg += swatch;
    svg += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", legend_x + 24, legend_y + 4, Escape(text));
    legend_y += 20;
  };
  int color = 0;
  for (const std::string& t : types) {
    const char* c = kColors[color++ % 5];
    const double peak = device.peak.at(t);
    DrawRoof(a, peak, device.memory_bandwidth, c, "", &svg);
    DrawRoof(a, peak * mm.compute, device.memory_bandwidth * mm.memory, c, " stroke-dasharray=\"6,4\"", &svg);
    legend(fmt::format("{} roof ({:.3g} TOPS)", t, peak / 1e12),
           fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"2\"/>\n", legend_x,
                       legend_y, legend_x + 18, legend_y, c));
  }
  legend("dashed: x matmul efficiency", "");
  for (const Point& p : points) {
    const double x = a.Px(p.x), y = a.Py(p.y);
    if (p.prefill)
      svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"5\" fill=\"#1f77b4\" fill-opacity=\"0.8\"/>\n", x, y);
    else
      svg += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"9\" height=\"9\" fill=\"#ff7f0e\" "
                         "fill-opacity=\"0.8\"/>\n", x - 4.5, y - 4.5);
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"10\">{}</text>\n", x + 7, y - 6, Escape(p.label));
  }
  legend("prefill operator", fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"5\" fill=\"#1f77b4\"/>\n", legend_x + 9,
                                         legend_y));
  legend("decode operator (per step)", fmt::format("<rect x=\"{}\" y=\"{}\" width=\"9\" height=\"9\" "
                                                   "fill=\"#ff7f0e\"/>\n", legend_x + 4.5, legend_y - 4.5));
  legend(fmt::format("memory: {:.4g} GB/s", device.memory_bandwidth / 1e9), "");
  if (!skipped.empty()) {
    legend("not shown (no FLOPs):", "");
    for (const std::string& s : skipped) legend("  " + s, "");
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace mixq::forecast
