// Helpers shared by every test tier: where ../shared lives, temporary files, running the CLI.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace mixq::testing {

// Absolute path of a file under ../shared ("models/stories260K/stories260K.bin").
std::string SharedPath(const std::string& relative);

// True when the file exists; tests call MIXQ_REQUIRE_SHARED first so a clone without ../shared
// still passes (the test is reported as skipped, naming the missing file).
bool SharedExists(const std::string& relative);

#define MIXQ_REQUIRE_SHARED(rel)                                                   \
  do {                                                                             \
    if (!::mixq::testing::SharedExists(rel)) GTEST_SKIP() << "missing ../shared/" << (rel); \
  } while (0)

// A fresh path under the build's test tmp dir, unique per test and name.
std::string TempPath(const std::string& name);

std::string ReadFileToString(const std::string& path);
void WriteStringToFile(const std::string& path, const std::string& bytes);

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
// Runs the mixq CLI with the given argument string (shell-quoted by the caller).
CommandResult RunMixq(const std::string& args);

}  // namespace mixq::testing
