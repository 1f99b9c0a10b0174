// tail -F style following: rotation by rename while writing, truncation, restart from a checkpoint
// (also across a rotation that happened while stopped), long lines, malformed checkpoints.
#include "io/follow.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "io/checkpoint.h"

namespace audetect::io {
namespace {

namespace fs = std::filesystem;

class FollowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/audetect-follow-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    log_ = dir_ + "/audit.log";
    cp_ = dir_ + "/checkpoint";
  }
  void TearDown() override { fs::remove_all(dir_); }

  void append(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::app | std::ios::binary);
    out << text;
  }
  static std::string lines(int from, int to) {
    std::string s;
    for (int i = from; i < to; ++i) s += "line " + std::to_string(i) + "\n";
    return s;
  }
  // Polls until `want` lines were collected or nothing more comes.
  static std::vector<std::string> collect(FileFollower& f, size_t want, size_t max_lines = 4096) {
    std::vector<std::string> got;
    for (int idle = 0; got.size() < want && idle < 5;) {
      auto n = f.poll([&](std::string_view l) { got.emplace_back(l); }, max_lines);
      EXPECT_TRUE(n) << n.status().message();
      if (!n || *n == 0) ++idle;
    }
    return got;
  }
  static void expect_sequence(const std::vector<std::string>& got, int from, int to) {
    ASSERT_EQ(got.size(), static_cast<size_t>(to - from));
    for (int i = from; i < to; ++i) EXPECT_EQ(got[static_cast<size_t>(i - from)], "line " + std::to_string(i));
  }

  std::string dir_, log_, cp_;
};

TEST_F(FollowTest, CompleteLinesOnlyThenTheRest) {
  append(log_, lines(0, 3) + "partial");
  FileFollower f({log_, cp_});
  ASSERT_TRUE(f.open());
  auto got = collect(f, 3);
  expect_sequence(got, 0, 3);
  EXPECT_EQ(f.checkpoint().offset, lines(0, 3).size());
  append(log_, " line\n");
  got = collect(f, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], "partial line");
}

TEST_F(FollowTest, RotationByRenameWhileWriting) {
  append(log_, lines(0, 10));
  FileFollower f({log_, cp_});
  ASSERT_TRUE(f.open());
  expect_sequence(collect(f, 10), 0, 10);
  // The writer keeps writing to the renamed file before it reopens the path (auditd's rotation).
  append(log_, lines(10, 15));
  fs::rename(log_, log_ + ".1");
  append(log_ + ".1", lines(15, 20) + "last of old without newline");
  append(log_, lines(20, 30));
  auto got = collect(f, 21);
  ASSERT_EQ(got.size(), 21u);
  for (int i = 10; i < 20; ++i) EXPECT_EQ(got[static_cast<size_t>(i - 10)], "line " + std::to_string(i));
  EXPECT_EQ(got[10], "last of old without newline");
  for (int i = 20; i < 30; ++i) EXPECT_EQ(got[static_cast<size_t>(i - 9)], "line " + std::to_string(i));
  EXPECT_EQ(f.counters().rotations, 1u);
}

TEST_F(FollowTest, Truncation) {
  append(log_, lines(0, 50));
  FileFollower f({log_, cp_});
  ASSERT_TRUE(f.open());
  expect_sequence(collect(f, 50), 0, 50);
  fs::resize_file(log_, 0);
  append(log_, lines(100, 103));
  expect_sequence(collect(f, 3), 100, 103);
  EXPECT_EQ(f.counters().truncations, 1u);
}

TEST_F(FollowTest, TruncatedAndRewrittenPastOffsetIsNoticedByTheHead) {
  append(log_, lines(0, 2));
  FileFollower f({log_, cp_});
  ASSERT_TRUE(f.open());
  expect_sequence(collect(f, 2), 0, 2);
  {
    std::ofstream out(log_, std::ios::trunc | std::ios::binary);
    out << lines(500, 520);
  }
  auto got = collect(f, 20);
  expect_sequence(got, 500, 520);
}

TEST_F(FollowTest, RestartFromCheckpointNeitherRepeatsNorSkips) {
  append(log_, lines(0, 10));
  {
    FileFollower f({log_, cp_});
    ASSERT_TRUE(f.open());
    std::vector<std::string> got;
    auto n = f.poll([&](std::string_view l) { got.emplace_back(l); }, 4);
    ASSERT_TRUE(n);
    expect_sequence(got, 0, 4);
    ASSERT_TRUE(f.save_checkpoint());
  }
  append(log_, lines(10, 12));
  FileFollower g({log_, cp_});
  std::vector<std::string> notes;
  ASSERT_TRUE(g.open(&notes));
  ASSERT_FALSE(notes.empty());
  EXPECT_NE(notes[0].find("resuming at byte"), std::string::npos) << notes[0];
  expect_sequence(collect(g, 8), 4, 12);
}

TEST_F(FollowTest, RestartAfterRotationWhileStoppedReadsTheRotatedRestFirst) {
  append(log_, lines(0, 6));
  {
    FileFollower f({log_, cp_});
    ASSERT_TRUE(f.open());
    expect_sequence(collect(f, 6), 0, 6);
    ASSERT_TRUE(f.save_checkpoint());
  }
  append(log_, lines(6, 9));
  fs::rename(log_, log_ + ".1");
  append(log_, lines(9, 12));
  FileFollower g({log_, cp_});
  std::vector<std::string> notes;
  ASSERT_TRUE(g.open(&notes));
  ASSERT_FALSE(notes.empty());
  EXPECT_NE(notes[0].find("rotated to"), std::string::npos) << notes[0];
  expect_sequence(collect(g, 6), 6, 12);
}

TEST_F(FollowTest, StartAtEndWithoutCheckpoint) {
  append(log_, lines(0, 5));
  FileFollower f({log_, "", true});
  ASSERT_TRUE(f.open());
  append(log_, lines(5, 7));
  expect_sequence(collect(f, 2), 5, 7);
}

TEST_F(FollowTest, WaitsForAFileThatDoesNotExistYet) {
  FileFollower f({log_, cp_});
  std::vector<std::string> notes;
  ASSERT_TRUE(f.open(&notes));
  auto n = f.poll([](std::string_view) {});
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
  append(log_, lines(0, 2));
  expect_sequence(collect(f, 2), 0, 2);
}

TEST_F(FollowTest, LongLinesAreCutAndCounted) {
  FollowOptions o{log_, cp_};
  o.max_line_bytes = 100;
  append(log_, std::string(1000, 'x') + "\n" + lines(0, 1));
  FileFollower f(o);
  ASSERT_TRUE(f.open());
  auto got = collect(f, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], std::string(100, 'x'));
  EXPECT_EQ(got[1], "line 0");
  EXPECT_EQ(f.counters().long_lines, 1u);
}

TEST_F(FollowTest, MalformedCheckpointNamesFileAndLine) {
  append(cp_, "audetect-checkpoint 1\ninode=12\noffset=abc\n");
  auto r = load_checkpoint(cp_);
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find(cp_ + ":3: 'abc' is not a number"), std::string::npos) << r.status().message();
  // The follower ignores it with a note and starts from the beginning.
  append(log_, lines(0, 2));
  FileFollower f({log_, cp_});
  std::vector<std::string> notes;
  ASSERT_TRUE(f.open(&notes));
  ASSERT_FALSE(notes.empty());
  expect_sequence(collect(f, 2), 0, 2);
}

TEST_F(FollowTest, CheckpointRoundTrip) {
  FileCheckpoint cp{"/var/log/audit/audit.log", 2049, 123456, 789, 256, 0xdeadbeefcafef00dull};
  ASSERT_TRUE(save_checkpoint(cp_, cp));
  auto back = load_checkpoint(cp_);
  ASSERT_TRUE(back);
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ(**back, cp);
  auto missing = load_checkpoint(dir_ + "/none");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
}

}  // namespace
}  // namespace audetect::io
