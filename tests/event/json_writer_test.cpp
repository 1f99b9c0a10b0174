// The NDJSON writer's fast paths (16-byte scans, raw-pointer output, over-reading tails) against a
// plain byte-at-a-time reference, on random and adversarial strings and whole documents.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "base/utf8.h"
#include "event/event.h"
#include "event/json.h"

namespace audetect {
namespace {

// The writer's specification, one byte at a time: quote, backslash and control characters
// escaped (short forms where JSON has them), runs of non-ASCII bytes repaired as UTF-8.
std::string reference_quoted(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t j = i;
      while (j < s.size() && static_cast<unsigned char>(s[j]) >= 0x80) ++j;
      utf8::append_repaired(out, s.substr(i, j - i));
      i = j - 1;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

std::string random_bytes(std::mt19937& rng, size_t n, int flavour) {
  std::string s(n, '\0');
  for (char& c : s) {
    unsigned r = rng();
    switch (flavour) {
      case 0: c = static_cast<char>(0x20 + r % 95); break;                        // printable ASCII
      case 1: c = static_cast<char>(r & 0xFF); break;                              // anything
      case 2: c = (r % 16 == 0) ? "\"\\\n\x01\xc3\xff"[r / 16 % 6] : 'a'; break;  // rare specials
      default: c = static_cast<char>(0x80 + r % 64); break;                        // continuations
    }
  }
  return s;
}

TEST(JsonWriterFastPath, QuotedMatchesReferenceOnRandomStrings) {
  std::mt19937 rng(12345);
  // A large buffer holds every string at every offset from a page boundary, so the tail loads
  // run both within a page and at its end.
  std::string page(3 * 4096, 'x');
  for (int iter = 0; iter < 20000; ++iter) {
    size_t n = rng() % 70;
    std::string s = random_bytes(rng, n, iter % 4);
    std::string expected = reference_quoted(s);
    std::string out = "prefix";
    JsonWriter::append_quoted(out, s);
    ASSERT_EQ(out, "prefix" + expected) << "iteration " << iter;

    // The same bytes placed so that they end exactly at a page boundary, or just before one.
    auto base = reinterpret_cast<uintptr_t>(page.data());
    size_t boundary = ((base + 4096) & ~uintptr_t{4095}) - base + 4096;
    size_t at = boundary - n - (iter % 3);
    page.replace(at, n, s);
    out.clear();
    JsonWriter::append_quoted(out, std::string_view(page.data() + at, n));
    ASSERT_EQ(out, expected) << "iteration " << iter << " at page end";
  }
}

TEST(JsonWriterFastPath, EveryEscapeAtEveryPosition) {
  for (int c = 0; c < 256; ++c) {
    for (size_t len = 1; len <= 40; ++len) {
      for (size_t pos = 0; pos < len; ++pos) {
        std::string s(len, 'a');
        s[pos] = static_cast<char>(c);
        std::string out;
        JsonWriter::append_quoted(out, s);
        ASSERT_EQ(out, reference_quoted(s)) << "byte " << c << " len " << len << " pos " << pos;
      }
    }
  }
}

TEST(JsonWriterFastPath, DocumentMatchesReferenceAndAppends) {
  EventBuilder b;
  KeyId k_msg = KeyTable::intern("msg");
  KeyId k_n = KeyTable::intern("n");
  std::string long_value(10000, 'y');
  long_value[5000] = '\n';
  b.set_string(EventBuilder::kRoot, k_msg, long_value);
  b.set_int(EventBuilder::kRoot, k_n, -42);
  EventBuilder::Node arr = b.append_array(EventBuilder::kRoot, "list");
  b.push_string(arr, "a\"b");
  b.push_double(arr, 2.0);
  b.push_bool(arr, false);
  b.push_null(arr);
  b.push_object(arr);
  b.push_array(arr);
  b.append_object(EventBuilder::kRoot, "we\x01ird\xff");
  Event e = b.finish();

  std::string expected = "{\"msg\":" + reference_quoted(long_value) +
                         ",\"n\":-42,\"list\":[\"a\\\"b\",2.0,false,null,{},[]],\"we\\u0001ird\xef\xbf\xbd\":{}}\n";
  std::string out = "previous line\n";
  write_ndjson(out, e);
  EXPECT_EQ(out, "previous line\n" + expected);
  // A writer mid-document produces the same bytes for the same value.
  std::string via_writer;
  JsonWriter w(via_writer);
  w.begin_array();
  w.value(e.root());
  w.value(e.root());
  w.end_array();
  std::string doc = expected.substr(0, expected.size() - 1);
  EXPECT_EQ(via_writer, "[" + doc + "," + doc + "]");
}

TEST(EventBuilderKeys, ReplaceAndObjectReuseWithManyKeys) {
  // Keys whose ids collide modulo 64 exercise the members walk behind the key bits.
  EventBuilder b;
  std::vector<KeyId> keys;
  for (int i = 0; i < 200; ++i) keys.push_back(KeyTable::intern("bk" + std::to_string(i)));
  for (KeyId k : keys) b.set_int(EventBuilder::kRoot, k, 1);
  for (KeyId k : keys) b.set_int(EventBuilder::kRoot, k, 2);  // replaces, never duplicates
  EventBuilder::Node o1 = b.object(EventBuilder::kRoot, KeyTable::intern("obj"));
  EventBuilder::Node o2 = b.object(EventBuilder::kRoot, KeyTable::intern("obj"));
  EXPECT_EQ(o1, o2);
  EXPECT_EQ(b.member_count(EventBuilder::kRoot), keys.size() + 1);
  EXPECT_TRUE(b.has(EventBuilder::kRoot, keys[17]));
  EXPECT_FALSE(b.has(EventBuilder::kRoot, KeyTable::intern("bk-absent")));
  Event e = b.finish();
  for (KeyId k : keys) {
    const Value* v = e.root().member(k);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->as_int(), 2);
  }
}

TEST(EventBuilderKeys, AppendByNameUsesTheInternedKey) {
  EventBuilder b;
  // Many names through the intern cache (more than its slots), each twice, some empty.
  for (int round = 0; round < 2; ++round) {
    b.reset();
    for (int i = 0; i < 1500; ++i) b.append_int(EventBuilder::kRoot, "an" + std::to_string(i), i);
    b.append_string(EventBuilder::kRoot, "", "empty name");
    Event e = b.finish();
    for (int i = 0; i < 1500; i += 97) {
      const Value* v = e.root().member(KeyTable::find("an" + std::to_string(i)));
      ASSERT_NE(v, nullptr);
      EXPECT_EQ(v->as_int(), i);
    }
    const Value* empty = e.root().member(KeyTable::find(""));
    ASSERT_NE(empty, nullptr);
    EXPECT_EQ(empty->as_string(), "empty name");
  }
}

}  // namespace
}  // namespace audetect
