#include "event/event.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "event/json.h"

namespace audetect {
namespace {

std::string to_json(const Event& e) {
  std::string out;
  write_ndjson(out, e);
  return out;
}

TEST(KeyTable, InternIsStable) {
  KeyId a = KeyTable::intern("process");
  EXPECT_EQ(a, KeyTable::intern("process"));
  EXPECT_EQ(KeyTable::name(a), "process");
  EXPECT_EQ(KeyTable::find("never-interned-key-xyz"), kNoKey);
}

TEST(FieldPath, SplitsOnDots) {
  FieldPath p("process.parent.pid");
  ASSERT_EQ(p.keys().size(), 3u);
  EXPECT_EQ(p.text(), "process.parent.pid");
  FieldPath q(std::vector<std::string>{"labels", "a.b"});
  EXPECT_EQ(q.keys().size(), 2u);
  EXPECT_EQ(q.text(), "labels.a.b");
}

TEST(EventBuilder, BuildsNestedObjectsInAnyOrder) {
  EventBuilder b;
  b.set_string(FieldPath("process.name"), "cat");
  b.set_int(FieldPath("process.pid"), 42);
  b.set_string(FieldPath("event.action"), "opened-file");
  b.set_int(FieldPath("process.parent.pid"), 1);
  b.set_string(FieldPath("process.name"), "dog");  // replaces
  Event e = b.finish();
  EXPECT_EQ(to_json(e),
            R"({"process":{"name":"dog","pid":42,"parent":{"pid":1}},"event":{"action":"opened-file"}})"
            "\n");
  const Value* pid = e.get(FieldPath("process.parent.pid"));
  ASSERT_NE(pid, nullptr);
  EXPECT_EQ(pid->as_int(), 1);
  EXPECT_EQ(e.get(FieldPath("process.missing")), nullptr);
  EXPECT_EQ(e.get(FieldPath("process.name.deeper")), nullptr);
}

TEST(EventBuilder, ArraysRemoveAndReset) {
  EventBuilder b;
  auto tags = b.array(EventBuilder::kRoot, KeyTable::intern("tags"));
  b.push_string(tags, "a");
  b.push_string(tags, "b");
  b.set_bool(EventBuilder::kRoot, KeyTable::intern("flag"), true);
  EXPECT_TRUE(b.remove(EventBuilder::kRoot, KeyTable::intern("flag")));
  EXPECT_FALSE(b.has(EventBuilder::kRoot, KeyTable::intern("flag")));
  EXPECT_EQ(to_json(b.finish()), "{\"tags\":[\"a\",\"b\"]}\n");
  b.reset();
  b.set_double(EventBuilder::kRoot, KeyTable::intern("x"), 1.5);
  EXPECT_EQ(to_json(b.finish()), "{\"x\":1.5}\n");
}

TEST(Event, ForEachValueFlattensArraysLikeElasticsearch) {
  EventBuilder b;
  auto paths = b.array(EventBuilder::kRoot, KeyTable::intern("paths"));
  auto p0 = b.push_object(paths);
  b.set_string(p0, KeyTable::intern("name"), "/a");
  auto p1 = b.push_object(paths);
  auto names = b.array(p1, KeyTable::intern("name"));
  b.push_string(names, "/b");
  b.push_null(names);
  b.push_string(names, "/c");
  Event e = b.finish();
  std::vector<std::string> seen;
  size_t n = e.for_each_value(FieldPath("paths.name"), [&](const Value& v) {
    seen.emplace_back(v.as_string());
  });
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(seen, (std::vector<std::string>{"/a", "/b", "/c"}));
}

TEST(Event, CloneOutlivesTheBuilder) {
  Event copy;
  {
    EventBuilder b;
    b.set_string(FieldPath("a.b"), std::string(100, 'x'));
    b.set_int(FieldPath("a.c"), 7);
    copy = b.finish().clone();
    b.reset();
    b.set_string(FieldPath("a.b"), "overwritten");
    b.finish();
  }
  EXPECT_EQ(copy.get(FieldPath("a.b"))->as_string(), std::string(100, 'x'));
  EXPECT_EQ(copy.get(FieldPath("a.c"))->as_int(), 7);
}

TEST(JsonWriter, EscapesControlCharactersAndRepairsUtf8) {
  std::string out;
  JsonWriter::append_quoted(out, std::string_view("a\"b\\c\n\x01\x7f", 8));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001\x7f\"");
  out.clear();
  JsonWriter::append_quoted(out, "caf\xc3\xa9 \xff\xfe end \xe2\x82");
  EXPECT_EQ(out, "\"caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd end \xef\xbf\xbd\"");
}

TEST(JsonWriter, NumbersStayJson) {
  std::string out;
  JsonWriter w(out);
  w.begin_array();
  w.number(2.0);
  w.number(0.1);
  w.number(std::numeric_limits<double>::infinity());
  w.integer(-5);
  w.end_array();
  EXPECT_EQ(out, "[2.0,0.1,null,-5]");
}

}  // namespace
}  // namespace audetect

namespace audetect {
namespace {

// A shared object reads and writes exactly like the same object built in place.
TEST(SharedValue, SameLookupsAndJsonAsABuiltObject) {
  auto build = [](EventBuilder& b, EventBuilder::Node at) {
    b.set_string(at, KeyTable::intern("name"), "vm \"one\"");
    EventBuilder::Node ips = b.array(at, KeyTable::intern("ip"));
    b.push_string(ips, "192.0.2.2");
    b.push_string(ips, "fe80::1");
    EventBuilder::Node os = b.object(at, KeyTable::intern("os"));
    b.set_string(os, KeyTable::intern("type"), "linux");
    b.set_bool(at, KeyTable::intern("containerized"), true);
    b.append_string(at, "odd\nkey", "v");  // a key that needs escaping
  };
  EventBuilder host_builder;
  build(host_builder, host_builder.object(EventBuilder::kRoot, KeyTable::intern("host")));
  Event host_event = host_builder.finish();
  SharedValue shared(*host_event.root().member("host"));
  ASSERT_TRUE(shared.valid());
  host_builder.reset();  // the shared copy must not depend on the builder it came from

  std::string expected, got;
  for (int round = 0; round < 2; ++round) {
    EventBuilder plain;
    plain.set_int(EventBuilder::kRoot, KeyTable::intern("n"), round);
    build(plain, plain.object(EventBuilder::kRoot, KeyTable::intern("host")));
    expected.clear();
    write_ndjson(expected, plain.finish());

    EventBuilder with_shared;
    with_shared.set_int(EventBuilder::kRoot, KeyTable::intern("n"), round);
    with_shared.set_shared(EventBuilder::kRoot, KeyTable::intern("host"), shared);
    Event e = with_shared.finish();
    got.clear();
    write_ndjson(got, e);
    EXPECT_EQ(got, expected);
    EXPECT_NE(e.root().member("host")->shared_json(), "");

    const Value* os_type = e.get(FieldPath("host.os.type"));
    ASSERT_NE(os_type, nullptr);
    EXPECT_EQ(os_type->as_string(), "linux");
    size_t ips = e.for_each_value(FieldPath("host.ip"), [](const Value&) {});
    EXPECT_EQ(ips, 2u);

    // A clone is an ordinary copy: same JSON, written member by member.
    Event copy = e.clone();
    EXPECT_EQ(copy.root().member("host")->shared_json(), "");
    got.clear();
    write_ndjson(got, copy);
    EXPECT_EQ(got, expected);
  }
}

}  // namespace
}  // namespace audetect
