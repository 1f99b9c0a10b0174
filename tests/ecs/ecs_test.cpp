// Unit tests of the ECS normalizer: the worked example of docs/audit-to-ecs.md §13 in both
// profiles (golden files beside this test), path resolution, name resolution from given files,
// hostile bytes.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "audit/audit.h"
#include "audit/tables.h"
#include "ecs/ecs.h"
#include "ecs/normalizations.h"
#include "event/event.h"
#include "event/json.h"
#include "base/utf8.h"

namespace audetect::ecs {
namespace {

const std::string kTestData = std::string(AUDETECT_SOURCE_DIR) + "/tests/ecs/testdata/";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

NormalizerOptions test_options(Profile profile) {
  NormalizerOptions o;
  o.profile = profile;
  o.passwd_file = kTestData + "passwd";
  o.group_file = kTestData + "group";
  o.clock_ms = [] { return int64_t{1700000001456}; };  // event.ingested 2023-11-14T22:13:21Z
  auto host = std::make_shared<HostInfo>();
  host->name = "web-01";
  host->architecture = "x86_64";
  host->os_family = "debian";
  host->os_name = "Debian GNU/Linux";
  host->os_platform = "debian";
  host->os_version = "12 (bookworm)";
  host->os_kernel = "6.1.0-13-amd64";
  o.host = host;
  return o;
}

// Audit text -> one NDJSON line per event.
std::vector<std::string> normalize_text(const std::string& text, NormalizerOptions options) {
  EcsNormalizer normalizer(std::move(options));
  EventBuilder builder;
  std::vector<std::string> out;
  audit::EventAssembler assembler([&](const audit::AuditEvent& ev) {
    normalizer.normalize(ev, builder);
    std::string line;
    write_ndjson(line, builder.finish());
    out.push_back(line);
  });
  audit::RecordParser parser;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    audit::AuditRecord record;
    std::string reason;
    if (parser.parse_line(line, record, &reason)) assembler.add(record);
  }
  assembler.flush();
  return out;
}

// Canonical form of a JSON document: re-serialised with object members sorted, so documents
// compare equal regardless of member order.
void canonical(const Value& v, std::string& out) {
  JsonWriter w(out);
  switch (v.kind()) {
    case ValueKind::kObject: {
      std::vector<const Member*> members;
      for (const Member& m : v.as_object()) members.push_back(&m);
      std::sort(members.begin(), members.end(), [](const Member* a, const Member* b) { return a->name < b->name; });
      out.push_back('{');
      for (size_t i = 0; i < members.size(); ++i) {
        if (i) out.push_back(',');
        JsonWriter::append_quoted(out, members[i]->name);
        out.push_back(':');
        canonical(members[i]->value, out);
      }
      out.push_back('}');
      break;
    }
    case ValueKind::kArray: {
      out.push_back('[');
      bool first = true;
      for (const Value& e : v.as_array()) {
        if (!first) out.push_back(',');
        first = false;
        canonical(e, out);
      }
      out.push_back(']');
      break;
    }
    default: w.value(v); break;
  }
}

std::string canonical_json(const std::string& line) {
  JsonEventReader reader;
  EventBuilder b;
  JsonError error;
  if (reader.parse(line, b, &error) != JsonEventReader::Outcome::kEvent) return "<invalid JSON: " + error.reason + ">";
  std::string out;
  canonical(b.finish().root(), out);
  return out;
}

std::string compact_golden(const std::string& path) {
  std::string text = read_file(path);
  // Golden files are pretty-printed for review; the reader takes one document per line.
  std::string one_line;
  for (char c : text)
    if (c != '\n') one_line.push_back(c);
  return canonical_json(one_line);
}

TEST(EcsNormalizer, WorkedExampleAuditbeatProfile) {
  auto docs = normalize_text(read_file(kTestData + "cat_proc_modules.log"), test_options(Profile::kAuditbeat));
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(canonical_json(docs[0]), compact_golden(kTestData + "cat_proc_modules.auditbeat.json")) << docs[0];
}

TEST(EcsNormalizer, WorkedExampleAuditdManagerProfile) {
  auto docs = normalize_text(read_file(kTestData + "cat_proc_modules.log"), test_options(Profile::kAuditdManager));
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(canonical_json(docs[0]), compact_golden(kTestData + "cat_proc_modules.auditd_manager.json")) << docs[0];
}


// Parses one NDJSON document for field checks.
struct Doc {
  EventBuilder builder;
  Event event;
  explicit Doc(const std::string& line) {
    JsonEventReader reader;
    JsonError error;
    EXPECT_EQ(reader.parse(line, builder, &error), JsonEventReader::Outcome::kEvent) << error.reason << ": " << line;
    event = builder.finish();
  }
  const Value* get(std::string_view path) const { return event.get(FieldPath(path)); }
  std::string str(std::string_view path) const {
    const Value* v = get(path);
    return v && v->is_string() ? std::string(v->as_string()) : std::string("<absent>");
  }
  bool has(std::string_view path) const { return get(path) != nullptr; }
};

const char* kRelativeOpen =
    "type=SYSCALL msg=audit(1700000100.001:500): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c "
    "a1=55d0 a2=0 a3=0 items=1 ppid=2150 pid=2300 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 "
    "egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm=\"cat\" exe=\"/usr/bin/cat\" subj=unconfined key=\"audit_proc\"\n"
    "type=CWD msg=audit(1700000100.001:500): cwd=\"/proc\"\n"
    "type=PATH msg=audit(1700000100.001:500): item=0 name=\"modules\" inode=4026532067 dev=00:15 mode=0100444 "
    "ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n"
    "type=PROCTITLE msg=audit(1700000100.001:500): proctitle=636174006D6F64756C6573\n"
    "type=EOE msg=audit(1700000100.001:500):\n";

TEST(EcsNormalizer, RelativePathStaysRelativeByDefault) {
  auto docs = normalize_text(kRelativeOpen, test_options(Profile::kAuditdManager));
  ASSERT_EQ(docs.size(), 1u);
  Doc d(docs[0]);
  EXPECT_EQ(d.str("file.path"), "modules");  // auditbeat's behaviour (quirk §14.1)
  EXPECT_EQ(d.str("auditd.summary.object.primary"), "modules");
  EXPECT_EQ(d.str("process.working_directory"), "/proc");
}

TEST(EcsNormalizer, ResolvePathsJoinsWithCwd) {
  auto options = test_options(Profile::kAuditdManager);
  options.resolve_paths = true;
  auto docs = normalize_text(kRelativeOpen, options);
  ASSERT_EQ(docs.size(), 1u);
  Doc d(docs[0]);
  EXPECT_EQ(d.str("file.path"), "/proc/modules");
  // The raw record stays visible where auditbeat puts it.
  EXPECT_EQ(d.str("auditd.summary.object.primary"), "modules");

  std::string dotted = kRelativeOpen;
  dotted.replace(dotted.find("name=\"modules\""), 14, "name=\"../proc/./modules\"");
  dotted.replace(dotted.find("cwd=\"/proc\""), 11, "cwd=\"/sys/\"");
  docs = normalize_text(dotted, options);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(Doc(docs[0]).str("file.path"), "/proc/modules");

  // openat(fd, "modules") resolves against the directory of fd, not the cwd: left relative.
  std::string dirfd = kRelativeOpen;
  dirfd.replace(dirfd.find("a0=ffffff9c"), 11, "a0=3");
  docs = normalize_text(dirfd, options);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(Doc(docs[0]).str("file.path"), "modules");
}

TEST(EcsNormalizer, NamesFromGivenFiles) {
  std::string text = kRelativeOpen;
  for (auto [from, to] : {std::pair<std::string, std::string>{"auid=1000", "auid=1001"}, {" uid=1000", " uid=4242"},
                          {"euid=1000", "euid=0"}, {" gid=1000", " gid=50"}, {"ouid=0", "ouid=1001"}}) {
    text.replace(text.find(from), from.size(), to);
  }
  auto docs = normalize_text(text, test_options(Profile::kAuditbeat));
  ASSERT_EQ(docs.size(), 1u);
  Doc d(docs[0]);
  EXPECT_EQ(d.str("user.audit.name"), "bob");
  EXPECT_EQ(d.str("user.id"), "4242");
  EXPECT_FALSE(d.has("user.name"));  // unknown uid: no name
  EXPECT_EQ(d.str("user.effective.name"), "root");
  EXPECT_EQ(d.str("user.group.name"), "staff");
  EXPECT_EQ(d.str("file.owner"), "bob");
  EXPECT_EQ(d.str("file.group"), "root");
  EXPECT_EQ(d.str("auditd.summary.actor.primary"), "bob");
  EXPECT_EQ(d.str("auditd.summary.actor.secondary"), "4242");

  auto no_resolve = test_options(Profile::kAuditbeat);
  no_resolve.resolve_ids = false;
  docs = normalize_text(text, no_resolve);
  ASSERT_EQ(docs.size(), 1u);
  Doc n(docs[0]);
  EXPECT_FALSE(n.has("user.audit.name"));
  EXPECT_FALSE(n.has("file.owner"));
  EXPECT_EQ(n.str("auditd.summary.actor.primary"), "1001");
}

TEST(EcsNormalizer, PasswdFileIsReloadedAfterTtl) {
  std::string dir = ::testing::TempDir();
  std::string passwd = dir + "/ecs_passwd_reload";
  std::string group = dir + "/ecs_group_reload";
  { std::ofstream(passwd) << "carol:x:1000:1000::/home/carol:/bin/sh\n"; }
  { std::ofstream(group) << "carol:x:1000:\n"; }
  auto options = test_options(Profile::kAuditbeat);
  options.passwd_file = passwd;
  options.group_file = group;
  auto now = std::make_shared<int64_t>(1'700'000'000'000);
  options.clock_ms = [now] { return *now; };
  EcsNormalizer normalizer(options);
  EventBuilder builder;
  audit::RecordParser parser;
  std::string user_name;
  audit::EventAssembler assembler([&](const audit::AuditEvent& ev) {
    normalizer.normalize(ev, builder);
    std::string line;
    write_ndjson(line, builder.finish());
    user_name = Doc(line).str("user.name");
  });
  auto feed = [&] {
    std::istringstream in(read_file(kTestData + "cat_proc_modules.log"));
    std::string line;
    audit::AuditRecord record;
    std::string reason;
    while (std::getline(in, line))
      if (parser.parse_line(line, record, &reason)) assembler.add(record);
    assembler.flush();
  };
  feed();
  EXPECT_EQ(user_name, "carol");
  { std::ofstream(passwd) << "dave:x:1000:1000::/home/dave:/bin/sh\n# changed and longer\n"; }
  feed();
  EXPECT_EQ(user_name, "carol");  // cached until the TTL passes
  *now += 61'000;
  feed();
  EXPECT_EQ(user_name, "dave");
}

TEST(EcsNormalizer, HostileBytesBecomeValidUtf8) {
  // proctitle "a\xff\x01b" + NUL + "\xc3(" ; comm stays hex (auditbeat); exe has a raw control byte.
  std::string text =
      "type=SYSCALL msg=audit(1700000200.000:600): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 "
      "items=0 ppid=1 pid=600 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 "
      "fsgid=1000 tty=pts0 ses=3 comm=61FF0162 exe=2F746D702F78FF subj=unconfined key=(null)\n"
      "type=EXECVE msg=audit(1700000200.000:600): argc=2 a0=61FF0162 a1=C328\n"
      "type=PROCTITLE msg=audit(1700000200.000:600): proctitle=61FF016200C328\n"
      "type=EOE msg=audit(1700000200.000:600):\n";
  for (Profile p : {Profile::kAuditdManager, Profile::kAuditbeat}) {
    auto options = test_options(p);
    options.preserve_original = true;
    auto docs = normalize_text(text, options);
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_TRUE(utf8::valid(docs[0])) << docs[0];
    EXPECT_EQ(docs[0].find('\x01'), std::string::npos);  // control characters are escaped
    Doc d(docs[0]);
    EXPECT_EQ(d.str("process.title"), "a\xEF\xBF\xBD\x01" "b \xEF\xBF\xBD(");
    EXPECT_EQ(d.str("process.executable"), "/tmp/x\xEF\xBF\xBD");
    EXPECT_EQ(d.str("process.name"), "61FF0162");  // comm is never decoded (quirk §14.4)
    const Value* args = d.get("process.args");
    ASSERT_TRUE(args && args->is_array());
    ASSERT_EQ(args->as_array().size(), 2u);
    EXPECT_EQ(args->as_array()[1].as_string(), "\xEF\xBF\xBD(");
  }
}

TEST(EcsNormalizer, CompoundEventWithoutSyscallIsAnErrorDocument) {
  std::string text =
      "type=CWD msg=audit(1700000300.000:700): cwd=\"/\"\n"
      "type=PATH msg=audit(1700000300.000:700): item=0 name=\"/etc/shadow\" nametype=NORMAL\n"
      "type=EOE msg=audit(1700000300.000:700):\n";
  for (Profile p : {Profile::kAuditdManager, Profile::kAuditbeat}) {
    auto docs = normalize_text(text, test_options(p));
    ASSERT_EQ(docs.size(), 1u);
    Doc d(docs[0]);
    EXPECT_EQ(d.str("error.message"), "missing syscall message in compound event");
    EXPECT_EQ(d.str("@timestamp"), "2023-11-14T22:18:20.000Z");
    const Value* original = d.get("event.original");
    ASSERT_TRUE(original);
    if (p == Profile::kAuditdManager) {
      EXPECT_EQ(original->as_string(),
                "type=CWD msg=audit(1700000300.000:700): cwd=\"/\"\n"
                "type=PATH msg=audit(1700000300.000:700): item=0 name=\"/etc/shadow\" nametype=NORMAL");
    } else {
      ASSERT_TRUE(original->is_array());
      EXPECT_EQ(original->as_array().size(), 2u);
    }
  }
}

TEST(EcsNormalizer, AuditdManagerPipelineShape) {
  // LOGIN: old-auid / new-auid style keys, a dash in data keys, a failed syscall with errno name.
  std::string text =
      "node=db-7 type=LOGIN msg=audit(1700000400.000:800): pid=900 uid=0 subj=unconfined old-auid=1001 "
      "auid=1000 tty=(none) old-ses=4294967295 ses=5 res=1\n"
      "node=db-7 type=SYSCALL msg=audit(1700000401.000:801): arch=c000003e syscall=9999 success=no exit=-2 a0=0 "
      "a1=0 a2=0 a3=0 items=0 ppid=1 pid=901 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 "
      "egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=5 comm=\"x\" exe=\"/usr/bin/x\" subj=unconfined key=(null)\n"
      "node=db-7 type=EOE msg=audit(1700000401.000:801):\n";
  auto options = test_options(Profile::kAuditdManager);
  options.preserve_original = true;
  auto docs = normalize_text(text, options);
  ASSERT_EQ(docs.size(), 2u);
  Doc login(docs[0]);
  EXPECT_EQ(login.str("host.name"), "db-7");  // node= overrides the host name
  EXPECT_EQ(login.str("host.hostname"), "db-7");
  EXPECT_EQ(login.str("auditd.user.old_auid.id"), "1001");
  EXPECT_EQ(login.str("auditd.user.old_auid.name"), "bob");
  EXPECT_FALSE(login.has("user.old_auid"));
  EXPECT_FALSE(login.has("user.old-auid"));
  EXPECT_EQ(login.str("auditd.data.old_ses"), "4294967295");
  EXPECT_FALSE(login.has("auditd.data.old-ses"));
  const Value* seq = login.get("event.sequence");
  ASSERT_TRUE(seq && seq->is_int());
  EXPECT_EQ(seq->as_int(), 800);
  EXPECT_FALSE(login.has("auditd.sequence"));
  const Value* tags = login.get("tags");
  ASSERT_TRUE(tags && tags->is_array() && tags->as_array().size() == 2);
  EXPECT_EQ(tags->as_array()[0].as_string(), "preserve_original_event");
  EXPECT_EQ(tags->as_array()[1].as_string(), "auditd_manager-auditd");
  EXPECT_EQ(login.str("event.original").rfind("type=LOGIN msg=audit(1700000400.000:800): pid=900", 0), 0u);
  const Value* messages = login.get("auditd.messages");
  ASSERT_TRUE(messages && messages->is_array() && messages->as_array().size() == 1);
  EXPECT_EQ(login.str("data_stream.dataset"), "auditd_manager.auditd");
  EXPECT_EQ(login.str("event.dataset"), "auditd_manager.auditd");
  EXPECT_EQ(login.str("event.ingested"), "2023-11-14T22:13:21Z");

  Doc failed(docs[1]);
  EXPECT_EQ(failed.str("event.outcome"), "failure");
  // exit is the errno name: the pipeline's conversion of exit fails (§12.4), which stops it, so
  // empty values such as the unknown syscall's action stay.
  EXPECT_EQ(failed.str("auditd.data.exit"), "ENOENT");
  EXPECT_EQ(failed.str("error.message"), "unable to convert [ENOENT] to long");
  EXPECT_EQ(failed.str("event.action"), "");
  EXPECT_EQ(failed.str("event.kind"), "event");
  EXPECT_EQ(failed.str("auditd.data.syscall"), "9999");
  const Value* pid = failed.get("process.pid");
  ASSERT_TRUE(pid && pid->is_int());
  EXPECT_EQ(pid->as_int(), 901);

  auto beat = test_options(Profile::kAuditbeat);
  docs = normalize_text(text, beat);
  ASSERT_EQ(docs.size(), 2u);
  Doc login_beat(docs[0]);
  EXPECT_EQ(login_beat.str("user.old-auid.id"), "1001");
  EXPECT_EQ(login_beat.str("auditd.data.old-ses"), "4294967295");
  EXPECT_FALSE(login_beat.has("event.original"));
  Doc failed_beat(docs[1]);
  EXPECT_EQ(failed_beat.str("event.action"), "");  // auditbeat writes the empty action
}

TEST(EcsNormalizer, SocketAddressesInBothProfiles) {
  // connect() to a unix socket: destination.path (auditbeat) / destination.address (manager).
  std::string text =
      "type=SYSCALL msg=audit(1700000500.000:900): arch=c000003e syscall=42 success=yes exit=0 a0=3 a1=7ffd "
      "a2=6e a3=0 items=0 ppid=1 pid=950 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 "
      "tty=(none) ses=1 comm=\"nc\" exe=\"/usr/bin/nc\" subj=unconfined key=\"net\"\n"
      "type=SOCKADDR msg=audit(1700000500.000:900): saddr=01002F72756E2F782E736F636B00\n"
      "type=EOE msg=audit(1700000500.000:900):\n";
  auto docs = normalize_text(text, test_options(Profile::kAuditdManager));
  ASSERT_EQ(docs.size(), 1u);
  Doc m(docs[0]);
  EXPECT_EQ(m.str("destination.address"), "/run/x.sock");
  EXPECT_EQ(m.str("network.direction"), "egress");
  EXPECT_EQ(m.str("auditd.data.socket.family"), "unix");
  docs = normalize_text(text, test_options(Profile::kAuditbeat));
  ASSERT_EQ(docs.size(), 1u);
  Doc b(docs[0]);
  EXPECT_EQ(b.str("destination.path"), "/run/x.sock");
  EXPECT_EQ(b.str("auditd.summary.object.primary"), "/run/x.sock");
}

TEST(EcsNormalizer, NoPerEventStateLeaksBetweenEvents) {
  // A file event followed by a process event must not carry file.* or paths over.
  std::string text = read_file(kTestData + "cat_proc_modules.log") +
                     "type=USER_CMD msg=audit(1700000600.000:1000): pid=1 uid=1000 auid=1000 ses=3 "
                     "msg='cwd=\"/home/alice\" cmd=6C73 terminal=pts/0 res=success'\n";
  auto docs = normalize_text(text, test_options(Profile::kAuditdManager));
  ASSERT_EQ(docs.size(), 2u);
  Doc cmd(docs[1]);
  EXPECT_FALSE(cmd.has("file"));
  EXPECT_FALSE(cmd.has("auditd.paths"));
  EXPECT_EQ(cmd.str("event.action"), "ran-command");
  EXPECT_EQ(cmd.str("auditd.data.cmd"), "ls");
}


// Random records (hostile values, odd field combinations) grouped into events: the normalizer
// must neither crash nor produce invalid JSON, in either profile. Runs under ASan/UBSan in CI.
TEST(EcsNormalizer, RandomEventsNeverBreakTheOutput) {
  std::mt19937 rng(20231114);
  auto pick = [&](std::initializer_list<const char*> items) {
    return std::string(*(items.begin() + std::uniform_int_distribution<size_t>(0, items.size() - 1)(rng)));
  };
  auto hex_bytes = [&](size_t n) {
    static const char* kHex = "0123456789ABCDEF";
    std::string out;
    for (size_t i = 0; i < n; ++i) {
      unsigned b = std::uniform_int_distribution<unsigned>(0, 255)(rng);
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 15]);
    }
    return out;
  };
  auto value = [&]() -> std::string {
    switch (std::uniform_int_distribution<int>(0, 6)(rng)) {
      case 0: return hex_bytes(std::uniform_int_distribution<size_t>(1, 40)(rng));
      case 1: return std::to_string(std::uniform_int_distribution<int64_t>(-5, 5000000000LL)(rng));
      case 2: return "\"" + pick({"/proc/modules", "../x", "", "a b", "PARENT", "0100644", "ipv4"}) + "\"";
      case 3: return pick({"unset", "-1", "4294967295", "(null)", "?", "(none)", "0777777777777777777777"});
      case 4: return pick({"NORMAL", "PARENT", "UNKNOWN", "CREATE", "yes", "no", "success", "failed"});
      case 5: return "'" + pick({"op=login acct=\"x\" res=failed", "cmd=6C73 terminal=pts/0", "a=b=c"}) + "'";
      default: return pick({"c000003e", "257", "59", "42", "43", "9999", "2", "10"});
    }
  };
  std::vector<std::string> names = {"arch", "syscall", "success", "exit", "items", "ppid", "pid", "auid", "uid",
                                    "gid", "euid", "ses", "comm", "exe", "key", "subj", "name", "mode", "nametype",
                                    "inode", "rdev", "ouid", "ogid", "obj", "saddr", "argc", "a0", "a1", "a1_len",
                                    "a1[0]", "cwd", "proctitle", "msg", "acct", "addr", "terminal", "res", "old-auid",
                                    "id", "socket_x", "data", "cmd"};
  size_t produced = 0;
  for (int round = 0; round < 400; ++round) {
    std::string text;
    int records = std::uniform_int_distribution<int>(1, 6)(rng);
    for (int r = 0; r < records; ++r) {
      std::string type = pick({"SYSCALL", "PATH", "SOCKADDR", "EXECVE", "CWD", "PROCTITLE", "USER_LOGIN", "LOGIN",
                               "AVC", "CONFIG_CHANGE", "USER_CMD", "UNKNOWN[1999]", "ANOM_ABEND"});
      text += "type=" + type + " msg=audit(1700000000." + std::to_string(100 + round % 900) + ":" +
              std::to_string(round) + "):";
      int fields = std::uniform_int_distribution<int>(0, 14)(rng);
      for (int f = 0; f < fields; ++f) {
        text += " " + names[std::uniform_int_distribution<size_t>(0, names.size() - 1)(rng)] + "=" + value();
      }
      text += "\n";
    }
    for (Profile p : {Profile::kAuditdManager, Profile::kAuditbeat}) {
      auto options = test_options(p);
      options.preserve_original = round % 2 == 0;
      options.include_warnings = round % 3 == 0;
      options.resolve_paths = round % 5 == 0;
      for (const std::string& doc : normalize_text(text, options)) {
        ++produced;
        ASSERT_TRUE(utf8::valid(doc)) << text;
        JsonEventReader reader;
        EventBuilder b;
        JsonError error;
        ASSERT_EQ(reader.parse(doc, b, &error), JsonEventReader::Outcome::kEvent) << error.reason << "\n" << doc;
      }
    }
  }
  EXPECT_GT(produced, 400u);
}


TEST(EcsNormalizer, AuthenticationEventMapsEcsEntities) {
  // sudo by bob (1001) authenticating as alice: user = actor (auid), user.effective = acct.
  std::string text =
      "type=USER_AUTH msg=audit(1700000700.000:1100): pid=4000 uid=1001 auid=1001 ses=7 "
      "msg='op=PAM:authentication acct=\"alice\" exe=\"/usr/bin/sudo\" hostname=localhost addr=127.0.0.1 "
      "terminal=/dev/pts/1 res=success'\n";
  for (Profile p : {Profile::kAuditdManager, Profile::kAuditbeat}) {
    auto docs = normalize_text(text, test_options(p));
    ASSERT_EQ(docs.size(), 1u);
    Doc d(docs[0]);
    EXPECT_EQ(d.str("event.action"), "authenticated");
    EXPECT_EQ(d.str("user.id"), "1001");
    EXPECT_EQ(d.str("user.name"), "bob");
    EXPECT_EQ(d.str("user.effective.id"), "1000");  // looked up from the name
    EXPECT_EQ(d.str("user.effective.name"), "alice");
    EXPECT_EQ(d.str("auditd.summary.object.primary"), "/dev/pts/1");
    EXPECT_EQ(d.str("auditd.summary.object.secondary"), "127.0.0.1");
    const Value* related = d.get("related.user");
    ASSERT_TRUE(related && related->is_array() && related->as_array().size() == 2);
    EXPECT_EQ(related->as_array()[0].as_string(), "alice");
    EXPECT_EQ(related->as_array()[1].as_string(), "bob");
    EXPECT_FALSE(d.has("source.ip"));  // USER_AUTH has no source_ip normalization
  }
}


// The normalization table is keyed by go-libaudit's record type names; every one of them must
// round-trip through the audit layer's name table, or events of that type would get no action.
TEST(EcsNormalizer, EveryTableRecordTypeIsKnownToTheParser) {
  std::vector<std::string> unknown;
  for (const auto& spec : detail::normalization_table()) {
    for (std::string_view type : spec.record_types) {
      uint32_t number = audit::record_type_from_name(type);
      if (number == 0 || audit::record_type_name(number) != type) unknown.emplace_back(type);
    }
  }
  // Two upstream typos: the record types are ANOM_LOGIN_ACCT and ANOM_MK_EXEC, so these entries
  // never apply in go-libaudit either (and audetect keeps it that way).
  std::vector<std::string> upstream_typos = {"AUDIT_ANOM_LOGIN_ACCT", "ANOM_MK_EXE"};
  EXPECT_EQ(unknown, upstream_typos);
}


// Likewise for syscall names: each one of the table must be the name of some syscall on some
// architecture the parser knows, or that entry could never apply.
TEST(EcsNormalizer, EveryTableSyscallIsKnownToTheParser) {
  std::set<std::string, std::less<>> known;
  for (std::string_view arch : {"x86_64", "i386", "aarch64", "arm", "ppc64le", "ppc", "s390x", "s390"}) {
    for (int64_t n = 0; n < 1100; ++n) {
      std::string_view name = audit::tables::syscall_name(arch, n);
      if (!name.empty()) known.emplace(name);
    }
  }
  ASSERT_GT(known.size(), 300u);
  std::vector<std::string> unknown;
  for (const auto& spec : detail::normalization_table()) {
    for (std::string_view sc : spec.syscalls) {
      if (sc != "*" && !known.contains(sc)) unknown.emplace_back(sc);
    }
  }
  // The table also lists libc wrappers that are not kernel syscalls (they reach the kernel as
  // newfstatat/fstatat64, utimensat, setresuid, setresgid), so these entries never apply.
  std::vector<std::string> not_syscalls = {"fstatat", "futimens", "seteuid", "setegid"};
  EXPECT_EQ(unknown, not_syscalls);
}


// A 1 MB record of tiny fields (the parser's line cap) must not make normalization quadratic.
TEST(EcsNormalizer, HugeRecordsStayLinear) {
  for (bool repeated : {false, true}) {
    std::string syscall =
        "type=SYSCALL msg=audit(1700000800.000:1200): arch=c000003e syscall=257 success=yes exit=3 exe=\"/x\"";
    std::string path = "type=PATH msg=audit(1700000800.000:1200): item=0 name=\"/x\"";
    for (int i = 0; syscall.size() < 900'000; ++i) {
      std::string field = repeated ? " zz=" + std::to_string(i) : " f" + std::to_string(i) + "=1";
      syscall += field;
      path += field;
    }
    std::string text = syscall + "\n" + path + "\ntype=EOE msg=audit(1700000800.000:1200):\n";
    auto start = std::chrono::steady_clock::now();
    auto docs = normalize_text(text, test_options(Profile::kAuditdManager));
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_TRUE(utf8::valid(docs[0]));
    EXPECT_LT(seconds, 60.0) << "quadratic behaviour on a record with ~100k fields";
    Doc d(docs[0]);
    EXPECT_EQ(d.str("file.path"), "/x");
    if (repeated) {
      EXPECT_NE(d.str("auditd.data.zz"), "0");  // the last of the repeated values wins
    }
  }
}


// A record whose enrichment fails (auparse's Data() error) contributes a warning and nothing
// else, as in aucoalesce: here an EXECVE with a split argument loses process.args.
TEST(EcsNormalizer, SplitExecveArgumentDropsArgsWithWarning) {
  std::string text =
      "type=SYSCALL msg=audit(1700000900.000:1300): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 "
      "a3=4 items=1 ppid=1 pid=1300 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 "
      "sgid=1000 fsgid=1000 tty=pts0 ses=3 comm=\"echo\" exe=\"/usr/bin/echo\" subj=unconfined key=\"exec\"\n"
      "type=EXECVE msg=audit(1700000900.000:1300): argc=2 a0=\"echo\" a1_len=8 a1[0]=\"abcd\" a1[1]=\"efgh\"\n"
      "type=PROCTITLE msg=audit(1700000900.000:1300): proctitle=6563686F00616263646566676800\n"
      "type=EOE msg=audit(1700000900.000:1300):\n";
  auto options = test_options(Profile::kAuditbeat);
  options.include_warnings = true;
  auto docs = normalize_text(text, options);
  ASSERT_EQ(docs.size(), 1u);
  Doc d(docs[0]);
  EXPECT_FALSE(d.has("process.args"));
  EXPECT_EQ(d.str("event.action"), "executed");
  const Value* message = d.get("error.message");
  ASSERT_TRUE(message && message->is_array() && message->as_array().size() == 1) << docs[0];
  EXPECT_EQ(message->as_array()[0].as_string(), "failed to parse EXECVE message: failed to find arg a1");
}


// A value the pipeline cannot convert stops it there (on_failure): earlier conversions stay,
// later ones and the empty-value removal do not happen, and the document is marked.
TEST(EcsNormalizer, AuditdManagerConversionFailureStopsThePipeline) {
  std::string text =
      "type=SYSCALL msg=audit(1700001000.000:1400): arch=c000003e syscall=9999 success=yes exit=0 a0=1 a1=2 a2=3 "
      "a3=4 removed=3 items=x nargs=5 ppid=1 pid=1400 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 "
      "egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm=\"x\" exe=\"/usr/bin/x\" subj=unconfined key=(null)\n";
  auto docs = normalize_text(text, test_options(Profile::kAuditdManager));
  ASSERT_EQ(docs.size(), 1u);
  Doc d(docs[0]);
  EXPECT_EQ(d.str("event.kind"), "event");
  EXPECT_EQ(d.str("error.message"), "unable to convert [x] to long");
  const Value* removed = d.get("auditd.data.removed");
  ASSERT_TRUE(removed && removed->is_int());
  EXPECT_EQ(removed->as_int(), 3);
  EXPECT_EQ(d.str("auditd.data.items"), "x");
  EXPECT_EQ(d.str("auditd.data.nargs"), "5");  // after the failure point: not converted
  EXPECT_EQ(d.str("event.action"), "");         // empty values are no longer removed

  std::string fine = text;
  fine.replace(fine.find("items=x"), 7, "items=2");
  docs = normalize_text(fine, test_options(Profile::kAuditdManager));
  ASSERT_EQ(docs.size(), 1u);
  Doc ok(docs[0]);
  EXPECT_EQ(ok.str("event.kind"), "event");
  const Value* nargs = ok.get("auditd.data.nargs");
  ASSERT_TRUE(nargs && nargs->is_int());
  EXPECT_EQ(nargs->as_int(), 5);
  EXPECT_FALSE(ok.has("event.action"));
  EXPECT_FALSE(ok.has("error"));
  const Value* exit = ok.get("auditd.data.exit");
  ASSERT_TRUE(exit && exit->is_int());
  EXPECT_EQ(exit->as_int(), 0);
}

}  // namespace
}  // namespace audetect::ecs
