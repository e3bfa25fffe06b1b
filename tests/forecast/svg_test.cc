// The roofline SVG is well-formed and places every operator with FLOPs.
#include <gtest/gtest.h>

#include <regex>
#include <vector>

#include "fixtures.h"
#include "mixq/forecast/forecast.h"
#include "mixq/forecast/svg.h"

namespace mixq::forecast {
namespace {

// Checks tag balance: every <name ...> is closed by </name> in order; <.../> closes itself.
::testing::AssertionResult WellFormed(const std::string& svg) {
  std::vector<std::string> stack;
  std::regex tag("<(/?)([a-zA-Z?][a-zA-Z0-9:-]*)([^>]*)>");
  int roots = 0;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), tag); it != std::sregex_iterator(); ++it) {
    const std::string name = (*it)[2], rest = (*it)[3];
    if (name[0] == '?') continue;  // XML declaration
    if ((*it)[1] == "/") {
      if (stack.empty() || stack.back() != name) return ::testing::AssertionFailure() << "unbalanced </" << name << ">";
      stack.pop_back();
    } else if (!rest.empty() && rest.back() == '/') {
      continue;
    } else {
      if (stack.empty()) ++roots;
      stack.push_back(name);
    }
  }
  if (!stack.empty()) return ::testing::AssertionFailure() << "unclosed <" << stack.back() << ">";
  if (roots != 1) return ::testing::AssertionFailure() << roots << " root elements";
  return ::testing::AssertionSuccess();
}

int Count(const std::string& s, const std::string& what) {
  int n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

TEST(RooflineSvg, WellFormedWithEveryOperator) {
  Device d = testing::RoundDevice();
  d.matmul_compute["quantized"] = "int8";
  Workload w;
  w.prompt = 256;
  w.gen = 32;
  const ModelSpec spec = testing::Spec(testing::SmallConfig(), DType::kQ4_0);
  ForecastResult r = *Forecast(spec, d, w);
  const std::string svg = RooflineSvg(d, r, "small <q4_0> & friends\non a round device");
  EXPECT_TRUE(WellFormed(svg));
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_NE(svg.find(">small &lt;q4_0&gt; &amp; friends<"), std::string::npos);  // escaped title
  EXPECT_NE(svg.find(">on a round device<"), std::string::npos);                 // second line
  int prefill_ops = 0, decode_ops = 0;
  for (const OpRow& row : r.prefill.ops) prefill_ops += row.flops > 0;
  for (const OpRow& row : r.decode.ops) decode_ops += row.flops > 0;
  EXPECT_EQ(Count(svg, "<circle"), prefill_ops + 1);  // + the legend swatch
  EXPECT_GE(Count(svg, "<rect"), decode_ops);
  EXPECT_NE(svg.find(">attn_q<"), std::string::npos);
  EXPECT_NE(svg.find("not shown (no FLOPs):"), std::string::npos);
  EXPECT_NE(svg.find(">  kv_write<"), std::string::npos);
  EXPECT_NE(svg.find("int8 roof"), std::string::npos);
  EXPECT_NE(svg.find("f32 roof"), std::string::npos);  // attention and elementwise ops
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
}

TEST(RooflineSvg, WellFormednessCheckerCatchesErrors) {
  EXPECT_FALSE(WellFormed("<svg><g></svg>"));
  EXPECT_FALSE(WellFormed("<svg></svg><svg></svg>"));
  EXPECT_TRUE(WellFormed("<?xml version=\"1.0\"?><svg><line/></svg>"));
}

}  // namespace
}  // namespace mixq::forecast
