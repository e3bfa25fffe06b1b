#include "support/test_support.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace mixq::testing {

std::string SharedPath(const std::string& relative) { return std::string(MIXQ_SHARED_DIR) + "/" + relative; }

bool SharedExists(const std::string& relative) {
  struct stat st {};
  return ::stat(SharedPath(relative).c_str(), &st) == 0;
}

std::string TempPath(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string prefix = info ? std::string(info->test_suite_name()) + "." + info->name() : "notest";
  for (char& c : prefix)
    if (c == '/') c = '_';
  return std::string(MIXQ_TEST_TMP) + "/" + prefix + "." + name;
}

std::string ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteStringToFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

CommandResult RunMixq(const std::string& args) {
  CommandResult result;
  std::string cmd = std::string(MIXQ_BINARY) + " " + args + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace mixq::testing
