#include "io/source.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace audetect::io {
namespace {

class TempFile {
 public:
  explicit TempFile(const std::string& content, bool gzip = false) {
    path_ = std::filesystem::temp_directory_path() /
            ("audetect-source-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    if (gzip) {
      gzFile f = gzopen(path_.c_str(), "wb");
      gzwrite(f, content.data(), static_cast<unsigned>(content.size()));
      gzclose(f);
    } else {
      std::ofstream(path_, std::ios::binary) << content;
    }
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
  static inline int counter_ = 0;
};

std::vector<std::string> read_all(const std::string& path, std::vector<bool>* truncated = nullptr) {
  auto src = LineSource::open(path);
  EXPECT_TRUE(src.is_ok()) << src.status().message();
  std::vector<std::string> lines;
  LineSource::Line line;
  uint64_t expected_no = 1;
  while ((*src)->next(line)) {
    EXPECT_EQ(line.number, expected_no++);
    lines.emplace_back(line.text);
    if (truncated) truncated->push_back(line.truncated);
  }
  EXPECT_TRUE((*src)->status().is_ok());
  return lines;
}

TEST(LineSource, SplitsLinesAndKeepsALastLineWithoutNewline) {
  TempFile f("a\nbb\n\nccc");
  EXPECT_EQ(read_all(f.path()), (std::vector<std::string>{"a", "bb", "", "ccc"}));
}

TEST(LineSource, ReadsGzipTransparently) {
  std::string content;
  for (int i = 0; i < 50000; ++i) content += "line " + std::to_string(i) + "\n";
  TempFile f(content, true);
  auto lines = read_all(f.path());
  ASSERT_EQ(lines.size(), 50000u);
  EXPECT_EQ(lines[49999], "line 49999");
}

TEST(LineSource, TruncatesOverlongLinesAndGoesOn) {
  std::string big(3 * LineSource::kMaxLine + 17, 'x');
  TempFile f("first\n" + big + "\nlast\n");
  std::vector<bool> truncated;
  auto lines = read_all(f.path(), &truncated);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "first");
  EXPECT_EQ(lines[1].size(), LineSource::kMaxLine);
  EXPECT_TRUE(truncated[1]);
  EXPECT_EQ(lines[2], "last");
  EXPECT_FALSE(truncated[2]);
}

TEST(LineSource, LinesAcrossBlockBoundaries) {
  std::string content;
  std::vector<std::string> expected;
  for (int i = 0; i < 30000; ++i) {
    expected.push_back(std::string(static_cast<size_t>(i % 97), 'a' + static_cast<char>(i % 26)));
    content += expected.back() + "\n";
  }
  TempFile f(content);
  EXPECT_EQ(read_all(f.path()), expected);
}

TEST(LineSource, ReadBlockGivesTheBytesAsTheyAreForPlainAndGzipFiles) {
  std::string content;
  for (int i = 0; i < 50000; ++i) content += "line " + std::to_string(i) + "\n";
  content += "no newline at the end";
  for (bool gzip : {false, true}) {
    TempFile f(content, gzip);
    auto src = LineSource::open(f.path());
    ASSERT_TRUE(src.is_ok());
    std::string got;
    char buf[7919];
    for (long n; (n = (*src)->read_block(buf, sizeof buf)) > 0;) got.append(buf, static_cast<size_t>(n));
    EXPECT_TRUE((*src)->status().is_ok());
    EXPECT_EQ(got, content) << (gzip ? "gzip" : "plain");
    EXPECT_EQ((*src)->bytes_read(), content.size());
    EXPECT_EQ((*src)->read_block(buf, sizeof buf), 0);  // and stays at the end
  }
}

TEST(LineSource, MissingFileIsAnError) {
  auto src = LineSource::open("/nonexistent/audetect/file");
  ASSERT_FALSE(src.is_ok());
  EXPECT_NE(src.status().message().find("/nonexistent/audetect/file"), std::string::npos);
}

}  // namespace
}  // namespace audetect::io
