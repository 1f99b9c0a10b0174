// Unit tests for RecordParser: one test per auparse rule (audit-to-ecs.md §4) and bad input.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

#include "audit/audit.h"

namespace audetect::audit {
namespace {

using Fields = std::map<std::string, std::string>;

Fields fields_of(const AuditRecord& r) {
  Fields out;
  for (const AuditField& f : r.fields) out[std::string(f.name)] = std::string(f.value);
  return out;
}

struct Parsed {
  bool ok = false;
  std::string reason;
  AuditRecord rec;
  Fields fields;
  std::vector<std::string> tags;
};

Parsed parse(RecordParser& p, std::string_view line) {
  Parsed out;
  out.ok = p.parse_line(line, out.rec, &out.reason);
  if (out.ok) {
    out.fields = fields_of(out.rec);
    out.tags.assign(out.rec.tags.begin(), out.rec.tags.end());
  }
  return out;
}

constexpr std::string_view kSyscallLine =
    "type=SYSCALL msg=audit(1700000000.123:4567): arch=c000003e syscall=257 success=no exit=-13 "
    "a0=ffffff9c a1=7ffd1 a2=0 a3=0 items=1 ppid=1 pid=2207 auid=4294967295 uid=0 gid=0 euid=0 "
    "suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=-1 comm=57656220436F6E74656E74 "
    "exe=2F7573722F62696E2F636174 subj=unconfined key=(null)";

TEST(RecordParser, SyscallEnrichment) {
  RecordParser p;
  auto r = parse(p, kSyscallLine);
  ASSERT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.rec.type, kSyscall);
  EXPECT_EQ(r.rec.time_ms, 1700000000123);
  EXPECT_EQ(r.rec.serial, 4567u);
  EXPECT_TRUE(r.rec.node.empty());
  EXPECT_TRUE(r.rec.text.starts_with("audit(1700000000.123:4567): arch="));
  EXPECT_EQ(r.fields["arch"], "x86_64");
  EXPECT_EQ(r.fields["syscall"], "openat");
  EXPECT_EQ(r.fields["exit"], "EACCES");
  EXPECT_EQ(r.fields["result"], "fail");
  EXPECT_EQ(r.fields.count("success"), 0u);
  EXPECT_EQ(r.fields["auid"], "unset");
  EXPECT_EQ(r.fields["ses"], "unset");
  EXPECT_EQ(r.fields["tty"], "(none)");  // only ?, (null) and empty are dropped
  EXPECT_EQ(r.fields["exe"], "/usr/bin/cat");
  EXPECT_EQ(r.fields["comm"], "57656220436F6E74656E74");  // comm is never hex-decoded
  EXPECT_EQ(r.fields["subj_user"], "unconfined");
  EXPECT_EQ(r.fields.count("subj_role"), 0u);
  EXPECT_EQ(r.fields.count("subj"), 0u);
  EXPECT_EQ(r.fields.count("key"), 0u);
  EXPECT_TRUE(r.tags.empty());
  EXPECT_TRUE(r.rec.error.empty());
  EXPECT_EQ(r.rec.get("pid"), "2207");
  EXPECT_EQ(r.rec.find("nope"), nullptr);
}

TEST(RecordParser, ArchTablesPerArch) {
  RecordParser p;
  auto r = parse(p, "type=SYSCALL msg=audit(1.000:1): arch=c00000b7 syscall=221 exe=\"/x\"");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.fields["arch"], "aarch64");
  EXPECT_EQ(r.fields["syscall"], "execve");
  r = parse(p, "type=SYSCALL msg=audit(1.000:1): arch=40000003 syscall=11 exe=\"/x\"");
  EXPECT_EQ(r.fields["arch"], "i386");
  EXPECT_EQ(r.fields["syscall"], "execve");
  r = parse(p, "type=SYSCALL msg=audit(1.000:1): arch=c000003e syscall=99999 exe=\"/x\"");
  EXPECT_EQ(r.fields["syscall"], "99999");  // unknown numbers stay numeric
  r = parse(p, "type=SYSCALL msg=audit(1.000:1): arch=1234 syscall=1 exe=\"/x\"");
  EXPECT_EQ(r.fields["arch"], "unknown[1234]");
  EXPECT_EQ(r.fields["syscall"], "1");
}

TEST(RecordParser, SyscallWithoutArchOrExeFailsEnrichmentLikeGoLibaudit) {
  RecordParser p;
  auto r = parse(p, "type=SYSCALL msg=audit(1.000:1): syscall=2 pid=3 key=\"k\"");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.rec.error, "arch key not found");
  EXPECT_TRUE(r.fields.empty());
  EXPECT_EQ(r.tags, std::vector<std::string>{"k"});  // tags found before the failure stay
  r = parse(p, "type=SYSCALL msg=audit(1.000:1): arch=c000003e syscall=2");
  EXPECT_EQ(r.rec.error, "exe key not found");
}

TEST(RecordParser, TypeNames) {
  RecordParser p;
  EXPECT_EQ(parse(p, "type=syscall msg=audit(1.000:1): arch=c000003e syscall=0 exe=\"/x\"").rec.type,
            1300u);
  auto r = parse(p, "type=UNKNOWN[1334] msg=audit(1.000:1): prog-id=12 op=LOAD");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.rec.type, 1334u);
  EXPECT_EQ(r.fields["prog-id"], "12");
  EXPECT_EQ(r.fields["op"], "LOAD");
  r = parse(p, "type=NOT_A_TYPE msg=audit(1.000:1): a=b");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("unknown record type 'NOT_A_TYPE'"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("column 6"), std::string::npos) << r.reason;
  EXPECT_EQ(record_type_name(1300), "SYSCALL");
  EXPECT_EQ(record_type_name(1329), "REPLACE");  // go-libaudit name libaudit lacks
  EXPECT_EQ(record_type_name(9999), "UNKNOWN[9999]");
  EXPECT_EQ(record_type_from_name("user_login"), 1112u);
  EXPECT_EQ(record_type_from_name("UNKNOWN[70000]"), 0u);  // 16-bit
}

TEST(RecordParser, NodePrefixAndEnrichedSeparator) {
  RecordParser p;
  std::string line =
      "node=web-1 type=SYSCALL msg=audit(1.000:9): arch=c000003e syscall=59 success=yes exit=0 "
      "exe=\"/usr/bin/id\" key=(null)\x1d" "ARCH=x86_64 SYSCALL=execve AUID=\"unset\"\n";
  auto r = parse(p, line);
  ASSERT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.rec.node, "web-1");
  EXPECT_EQ(r.fields["syscall"], "execve");
  EXPECT_TRUE(r.tags.empty());  // key=(null) glued to 0x1D is still (null)
  EXPECT_EQ(r.rec.text.find('\x1d'), std::string_view::npos);
  EXPECT_EQ(r.fields.count("ARCH"), 0u);
  // A key value glued to the separator keeps just the key.
  r = parse(p, "type=SYSCALL msg=audit(1.000:9): arch=c000003e syscall=59 exe=\"/x\" "
               "key=\"mykey\"\x1dUID=\"root\"");
  EXPECT_EQ(r.tags, std::vector<std::string>{"mykey"});
}

TEST(RecordParser, NetlinkForm) {
  RecordParser p;
  AuditRecord rec;
  std::string reason;
  std::string payload = std::string("audit(1700000000.005:77): cwd=\"/root\"") + '\0' + '\0';
  ASSERT_TRUE(p.parse_netlink(kCwd, payload, rec, &reason)) << reason;
  EXPECT_EQ(rec.type, kCwd);
  EXPECT_EQ(rec.time_ms, 1700000000005);
  EXPECT_EQ(rec.serial, 77u);
  EXPECT_EQ(rec.get("cwd"), "/root");
  EXPECT_EQ(rec.text, "audit(1700000000.005:77): cwd=\"/root\"");
  EXPECT_FALSE(p.parse_netlink(kCwd, "garbage", rec, &reason));
}

TEST(RecordParser, PlaceholdersAreDropped) {
  RecordParser p;
  auto r = parse(p, "type=USER_ACCT msg=audit(1.000:1): pid=1 a=? b=(null) c=\"\" d=?, e='' "
                    "f=(none) g=\"?\"");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.fields, (Fields{{"pid", "1"}, {"f", "(none)"}}));
}

TEST(RecordParser, QuotedValuesAndScanRules) {
  RecordParser p;
  auto r = parse(p, "type=USER_ACCT msg=audit(1.000:1): a=\"x y\" b='p q' c=\"esc\\\"aped\" "
                    "Upper=1 d=tok\"en e= f=1");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.fields["a"], "x y");
  EXPECT_EQ(r.fields["b"], "p q");
  EXPECT_EQ(r.fields["c"], "esc\\\"aped");
  EXPECT_EQ(r.fields.count("Upper"), 0u);  // keys with upper case never match...
  EXPECT_EQ(r.fields["pper"], "1");        // ...but their lower-case tail does, as in go-libaudit
  EXPECT_EQ(r.fields["d"], "tok");         // a bare token stops at a quote
  EXPECT_EQ(r.fields.count("e"), 0u);
  EXPECT_EQ(r.fields["f"], "1");
  // Unterminated quote with no escapes: no value; the scan resumes after the '='.
  r = parse(p, "type=USER_ACCT msg=audit(1.000:1): a=\"open b=2");
  EXPECT_EQ(r.fields, (Fields{{"b", "2"}}));
  // Unterminated quote with an escaped quote: the value ends at that quote.
  r = parse(p, "type=USER_ACCT msg=audit(1.000:1): a=\"x\\\"y");
  EXPECT_EQ(r.fields["a"], "x\\");
}

TEST(RecordParser, LaterDuplicateWins) {
  RecordParser p;
  auto r = parse(p, "type=USER_ACCT msg=audit(1.000:1): pid=1 uid=5 msg='pid=2 op=x' pid=3");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.fields["pid"], "3");
  EXPECT_EQ(r.fields["op"], "x");
  EXPECT_EQ(r.rec.fields.size(), 3u);
}

TEST(RecordParser, UserMsgIsParsedRecursively) {
  RecordParser p;
  auto r = parse(p,
                 "type=USER_LOGIN msg=audit(1.000:1): pid=812 uid=0 auid=4294967295 "
                 "ses=4294967295 msg='op=login acct=28696E76616C6964207573657229 "
                 "exe=\"/usr/sbin/sshd\" hostname=? addr=203.0.113.9 terminal=ssh res=failed'");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.fields["op"], "login");
  EXPECT_EQ(r.fields["acct"], "(invalid user)");  // USER_LOGIN acct is hex-decoded
  EXPECT_EQ(r.fields["exe"], "/usr/sbin/sshd");
  EXPECT_EQ(r.fields["addr"], "203.0.113.9");
  EXPECT_EQ(r.fields["result"], "fail");
  EXPECT_EQ(r.fields.count("res"), 0u);
  EXPECT_EQ(r.fields.count("hostname"), 0u);
  EXPECT_EQ(r.fields.count("msg"), 0u);
}

TEST(RecordParser, ResultRule) {
  RecordParser p;
  auto result = [&](std::string_view fields) {
    auto r = parse(p, "type=USER_ACCT msg=audit(1.000:1): " + std::string(fields));
    return r.fields.count("result") ? r.fields["result"] : "<none>";
  };
  EXPECT_EQ(result("res=1"), "success");
  EXPECT_EQ(result("res=SUCCESS"), "success");
  EXPECT_EQ(result("res=successful"), "success");
  EXPECT_EQ(result("res=0"), "fail");
  EXPECT_EQ(result("res=yes"), "success");
  EXPECT_EQ(result("res=su"), "fail");
  EXPECT_EQ(result("success=no res=1"), "fail");  // success wins over res
  EXPECT_EQ(result("pid=1"), "<none>");
}

TEST(RecordParser, AvcLoginAndPamTextFixes) {
  RecordParser p;
  auto r = parse(p, "type=AVC msg=audit(1.000:1): avc:  denied  { read write } for  pid=5 "
                    "comm=\"x\" tclass=file");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.fields["seresult"], "denied");
  EXPECT_EQ(r.fields["seperms"], "read,write");
  EXPECT_EQ(r.fields["tclass"], "file");
  // Bytes that are not UTF-8 inside the braces still match, as in Go.
  r = parse(p, "type=AVC msg=audit(1.000:1): avc:  denied  { re\xff" "ad } for  pid=6");
  EXPECT_EQ(r.fields["seperms"], "re\xff" "ad");
  EXPECT_EQ(r.fields["pid"], "6");
  r = parse(p, "type=AVC msg=audit(1.000:1): apparmor=\"DENIED\" operation=\"open\"");
  EXPECT_EQ(r.fields["apparmor"], "DENIED");
  r = parse(p, "type=LOGIN msg=audit(1.000:1): login pid=1 uid=0 old auid=4294967295 new auid=0 "
               "old ses=4294967295 new ses=3");
  EXPECT_EQ(r.fields["old_auid"], "4294967295");  // unset applies to auid/old-auid/ses only
  EXPECT_EQ(r.fields["new_auid"], "0");
  EXPECT_EQ(r.fields["old_ses"], "4294967295");
  EXPECT_EQ(r.fields["new_ses"], "3");
  r = parse(p, "type=USER_START msg=audit(1.000:1): user pid=1 uid=0 msg='PAM: session open "
               "acct=root : exe=\"/usr/sbin/crond\" (hostname=?, addr=?, terminal=cron res=success)'");
  EXPECT_EQ(r.fields["terminal"], "cron");
  EXPECT_EQ(r.fields["result"], "success");
  EXPECT_EQ(r.fields["acct"], "root");
}

TEST(RecordParser, KeyBecomesTags) {
  RecordParser p;
  auto r = parse(p, "type=CONFIG_CHANGE msg=audit(1.000:1): auid=0 op=add_rule key=65786563013634626974 res=1");
  EXPECT_EQ(r.tags, (std::vector<std::string>{"exec", "64bit"}));
  EXPECT_EQ(r.fields.count("key"), 0u);
  r = parse(p, "type=CONFIG_CHANGE msg=audit(1.000:1): op=x key=\"key=net\"");
  EXPECT_EQ(r.tags, std::vector<std::string>{"net"});
  r = parse(p, "type=CONFIG_CHANGE msg=audit(1.000:1): op=x key=\"audit_proc\"");
  EXPECT_EQ(r.tags, std::vector<std::string>{"audit_proc"});
}

TEST(RecordParser, SelinuxContextSplit) {
  RecordParser p;
  auto r = parse(p, "type=PATH msg=audit(1.000:1): item=0 name=2F746D702F6120620063 "
                    "obj=system_u:object_r:tmp_t:s0:c1:c2 subj=u:r:t");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.fields["name"], "/tmp/a b c");  // hex, NUL -> space
  EXPECT_EQ(r.fields["obj_user"], "system_u");
  EXPECT_EQ(r.fields["obj_role"], "object_r");
  EXPECT_EQ(r.fields["obj_domain"], "tmp_t");
  EXPECT_EQ(r.fields["obj_level"], "s0");
  EXPECT_EQ(r.fields["obj_category"], "c1:c2");  // at most five parts
  EXPECT_EQ(r.fields["subj_domain"], "t");
  EXPECT_EQ(r.fields.count("subj_level"), 0u);
}

TEST(RecordParser, Sockaddr) {
  RecordParser p;
  auto sock = [&](std::string_view hex) {
    return parse(p, "type=SOCKADDR msg=audit(1.000:1): saddr=" + std::string(hex));
  };
  auto r = sock("02000050A9FEA9FE0000000000000000");
  EXPECT_EQ(r.fields, (Fields{{"family", "ipv4"}, {"addr", "169.254.169.254"}, {"port", "80"}}));
  r = sock("0A000016000000000000000000000000000000000000000100000000");
  EXPECT_EQ(r.fields, (Fields{{"family", "ipv6"}, {"addr", "::1"}, {"port", "22"}}));
  r = sock("0A0001BB00000005" "20010DB8000000000000000000000001" "00000000");
  EXPECT_EQ(r.fields["addr"], "2001:db8::1");
  EXPECT_EQ(r.fields["port"], "443");
  EXPECT_EQ(r.fields["flow"], "5");
  r = sock("0A000050" "00000000" "00000000000000000000FFFFC0000201");
  EXPECT_EQ(r.fields["addr"], "192.0.2.1");  // Go prints IPv4-mapped addresses dotted
  r = sock("01002F7661722F72756E2F6E7363642F736F636B6574000041");
  EXPECT_EQ(r.fields, (Fields{{"family", "unix"}, {"path", "/var/run/nscd/socket"}}));
  r = sock("100000000000000000000000");
  EXPECT_EQ(r.fields, (Fields{{"family", "netlink"}, {"saddr", "100000000000000000000000"}}));
  r = sock("2A00");
  EXPECT_EQ(r.fields, (Fields{{"family", "42"}, {"saddr", "2A00"}}));
  r = sock("0200");  // truncated sockaddr: go-libaudit would panic; here a record error
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.rec.error, "failed to parse saddr: saddr too short");
  EXPECT_TRUE(r.fields.empty());
}

TEST(RecordParser, ExecveArguments) {
  RecordParser p;
  auto r = parse(p, "type=EXECVE msg=audit(1.000:1): argc=3 a0=\"ls\" a1=2D6C6100783D79 a2=\"4142\"");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.fields["a0"], "ls");
  EXPECT_EQ(r.fields["a1"], "-la");     // hex; decoding stops at the first NUL
  EXPECT_EQ(r.fields["a2"], "4142");    // quoted: never decoded
  r = parse(p, "type=EXECVE msg=audit(1.000:1): argc=2 a0=\"x\" a1_len=8 a1[0]=41424344 a1[1]=45464748");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.rec.error, "failed to find arg a1");
  EXPECT_TRUE(r.fields.empty());
  r = parse(p, "type=EXECVE msg=audit(1.000:1): argc=many a0=\"x\"");
  EXPECT_NE(r.rec.error.find("failed to convert argc"), std::string_view::npos);
}

TEST(RecordParser, ManyFieldsAndRepeatedRecords) {
  RecordParser p;
  std::string line = "type=EXECVE msg=audit(1.000:1): argc=3000";
  for (int i = 0; i < 3000; ++i) line += " a" + std::to_string(i) + "=" + (i % 2 ? "\"q\"" : "4142");
  for (int round = 0; round < 3; ++round) {  // the name index is reused across records
    auto r = parse(p, line);
    ASSERT_TRUE(r.ok);
    ASSERT_TRUE(r.rec.error.empty()) << r.rec.error;
    EXPECT_EQ(r.rec.fields.size(), 3001u);
    EXPECT_EQ(r.fields["a0"], "AB");
    EXPECT_EQ(r.fields["a2998"], "AB");
    EXPECT_EQ(r.fields["a2999"], "q");
    auto small = parse(p, "type=USER_ACCT msg=audit(1.000:1): res=1 result=other pid=4");
    EXPECT_EQ(small.fields, (Fields{{"pid", "4"}, {"result", "success"}}));
  }
}

TEST(RecordParser, HexDecodingRules) {
  RecordParser p;
  auto r = parse(p, "type=PROCTITLE msg=audit(1.000:1): proctitle=636174002F70726F632F6D6F64756C6573");
  EXPECT_EQ(r.fields["proctitle"], "cat /proc/modules");
  r = parse(p, "type=PROCTITLE msg=audit(1.000:1): proctitle=61000062");
  EXPECT_EQ(r.fields["proctitle"], "a  b");  // empty argument -> two spaces
  r = parse(p, "type=PROCTITLE msg=audit(1.000:1): proctitle=\"-bash\"");
  EXPECT_EQ(r.fields["proctitle"], "-bash");
  r = parse(p, "type=PROCTITLE msg=audit(1.000:1): proctitle=6A6");  // odd length: kept
  EXPECT_EQ(r.fields["proctitle"], "6A6");
  r = parse(p, "type=PROCTITLE msg=audit(1.000:1): proctitle=6a62");  // lower case: kept
  EXPECT_EQ(r.fields["proctitle"], "6a62");
  r = parse(p, "type=CWD msg=audit(1.000:1): cwd=2F746D702F612062");
  EXPECT_EQ(r.fields["cwd"], "/tmp/a b");
  r = parse(p, "type=USER_CMD msg=audit(1.000:1): pid=1 msg='cwd=\"/\" cmd=6C73202D6C terminal=pts/0 res=success'");
  EXPECT_EQ(r.fields["cmd"], "ls -l");
  r = parse(p, "type=TTY msg=audit(1.000:1): tty=pts0 data=6C730D");
  EXPECT_EQ(r.fields["data"], "ls\r");
  r = parse(p, "type=PROCTITLE msg=audit(1.000:1): other=1");
  EXPECT_EQ(r.rec.error, "proctitle key not found");
}

TEST(RecordParser, SeccompSignal) {
  RecordParser p;
  auto r = parse(p, "type=SECCOMP msg=audit(1.000:1): auid=0 uid=0 pid=1 comm=\"x\" "
                    "exe=\"/x\" sig=31 arch=c000003e syscall=101 compat=0 ip=0x1 code=0x0");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.fields["sig"], "SIGSYS");
  EXPECT_EQ(r.fields["syscall"], "ptrace");
  r = parse(p, "type=SECCOMP msg=audit(1.000:1): sig=29 arch=c000003e syscall=1 exe=\"/x\"");
  EXPECT_EQ(r.fields["sig"], "SIGIO");
}

TEST(RecordParser, EoeHasNoFields) {
  RecordParser p;
  auto r = parse(p, "type=EOE msg=audit(1.002:3): ");
  ASSERT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.rec.type, kEoe);
  EXPECT_TRUE(r.fields.empty());
  EXPECT_TRUE(r.rec.error.empty());
  auto n = parse(p, "type=EOE msg=audit(1.002:3)");
  ASSERT_TRUE(n.ok);
  EXPECT_EQ(n.rec.error, "message has no data content");
}

TEST(RecordParserBadInput, NotARecordAndTruncatedHeaders) {
  RecordParser p;
  for (std::string_view bad :
       {"", "hello world", "type=SYSCALL", "type=SYSCALL msg=?", "type=SYSCALL msg=audit(",
        "type=SYSCALL msg=audit(1700000000", "type=SYSCALL msg=audit(1700000000.1",
        "type=SYSCALL msg=audit(1700000000.123:", "type=SYSCALL msg=audit(1700000000.123:99",
        "type=SYSCALL msg=audit(x.123:99): a=b", "type=SYSCALL msg=audit(1.123:-1): a=b",
        "type=SYSCALL msg=audit(1.123:4294967296): a=b",
        "type=SYSCALL msg=audit(99999999999999999.123:1): a=b", "node=x", "node=x ",
        "type=msg=audit(1.1:1):", "type=UNKNOWN[] msg=audit(1.1:1):"}) {
    auto r = parse(p, bad);
    EXPECT_FALSE(r.ok) << bad;
    EXPECT_FALSE(r.reason.empty()) << bad;
    EXPECT_NE(r.reason.find("column "), std::string::npos) << r.reason;
  }
}

TEST(RecordParserBadInput, TruncatedBodyKeepsWhatParsed) {
  RecordParser p;
  auto r = parse(p, "type=CWD msg=audit(1.000:1): cwd=\"/ho");
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.fields.empty());  // the unterminated quote has no value
  r = parse(p, "type=USER_ACCT msg=audit(1.000:1): pid=5 uid=");
  EXPECT_EQ(r.fields, (Fields{{"pid", "5"}}));
}

TEST(RecordParserBadInput, HugeFieldAndLine) {
  RecordParser p;
  std::string big(RecordParser::kMaxLineBytes - 100, 'A');
  auto r = parse(p, "type=PROCTITLE msg=audit(1.000:1): proctitle=" + big);
  ASSERT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.fields["proctitle"].size(), big.size() / 2);  // uppercase hex of even length
  std::string huge = "type=CWD msg=audit(1.000:1): cwd=\"" + std::string(RecordParser::kMaxLineBytes, 'x') + "\"";
  r = parse(p, huge);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("longer than 1 MiB"), std::string::npos) << r.reason;
  // The parser is reusable after the huge line.
  EXPECT_TRUE(parse(p, kSyscallLine).ok);
}

TEST(RecordParserBadInput, DeeplyNestedMsg) {
  RecordParser p;
  std::string line = "type=USER_ACCT msg=audit(1.000:1): ";
  for (int i = 0; i < 100000; ++i) line += "msg=";
  line += "x";
  auto r = parse(p, line);
  EXPECT_TRUE(r.ok);  // bounded recursion, no stack overflow
}

TEST(RecordParserBadInput, BinaryGarbageNeverCrashes) {
  RecordParser p;
  std::mt19937 rng(42);
  const std::string prefixes[] = {"", "type=SYSCALL msg=audit(1.000:1): ",
                                  "type=SOCKADDR msg=audit(1.000:1): saddr=",
                                  "type=EXECVE msg=audit(1.000:1): argc=3 ",
                                  "type=AVC msg=audit(1.000:1): avc: denied { "};
  int parsed = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string line = prefixes[i % 5];
    int len = static_cast<int>(rng() % 300);
    for (int k = 0; k < len; ++k) line += static_cast<char>(rng() % 256);
    AuditRecord rec;
    std::string reason;
    if (p.parse_line(line, rec, &reason)) {
      ++parsed;
      for (const AuditField& f : rec.fields) EXPECT_FALSE(f.name.empty());
    } else {
      EXPECT_FALSE(reason.empty());
    }
  }
  EXPECT_GT(parsed, 0);
}

}  // namespace
}  // namespace audetect::audit
