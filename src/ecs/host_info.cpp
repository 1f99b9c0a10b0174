// Host metadata of the local machine, collected once (docs/audit-to-ecs.md §16.5), as Elastic's
// add_host_metadata reports it.
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>

#include "ecs/ecs.h"

namespace audetect::ecs {
namespace {

std::string trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return trim(line);
}

// os-release values may be quoted with " or '; backslash escapes are rare and kept literally.
std::string unquote(std::string v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    return v.substr(1, v.size() - 2);
  }
  return v;
}

std::string os_family(const std::string& id, const std::string& id_like) {
  std::string all = " " + id + " " + id_like + " ";
  auto has = [&](const char* w) { return all.find(std::string(" ") + w + " ") != std::string::npos; };
  if (has("debian") || has("ubuntu")) return "debian";
  if (has("rhel") || has("fedora") || has("centos") || has("amzn")) return "redhat";
  if (has("suse") || has("opensuse") || has("sles")) return "suse";
  if (has("arch")) return "arch";
  return id;
}

}  // namespace

HostInfo collect_host_info(const std::string& root) {
  HostInfo info;
  struct utsname u {};
  if (uname(&u) == 0) {
    info.name = u.nodename;
    info.architecture = u.machine;
    info.os_kernel = u.release;
  }
  info.id = read_first_line(root + "/etc/machine-id");

  std::ifstream os(root + "/etc/os-release");
  if (!os) os.open(root + "/usr/lib/os-release");
  std::string line, id, id_like;
  while (std::getline(os, line)) {
    size_t eq = line.find('=');
    if (eq == std::string::npos || line[0] == '#') continue;
    std::string key = line.substr(0, eq);
    std::string value = unquote(trim(line.substr(eq + 1)));
    if (key == "ID") id = value;
    else if (key == "ID_LIKE") id_like = value;
    else if (key == "NAME") info.os_name = value;
    else if (key == "VERSION") info.os_version = value;
    else if (key == "VERSION_CODENAME") info.os_codename = value;
  }
  info.os_platform = id;
  info.os_family = os_family(id, id_like);

  info.containerized = access((root + "/.dockerenv").c_str(), F_OK) == 0 ||
                       access((root + "/run/.containerenv").c_str(), F_OK) == 0;

  struct ifaddrs* addrs = nullptr;
  if (root.empty() && getifaddrs(&addrs) == 0) {
    for (struct ifaddrs* a = addrs; a; a = a->ifa_next) {
      if (!a->ifa_addr || (a->ifa_flags & IFF_LOOPBACK)) continue;
      char buf[INET6_ADDRSTRLEN] = {};
      if (a->ifa_addr->sa_family == AF_INET) {
        auto* sin = reinterpret_cast<struct sockaddr_in*>(a->ifa_addr);
        if (inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf)) info.ip.emplace_back(buf);
      } else if (a->ifa_addr->sa_family == AF_INET6) {
        auto* sin6 = reinterpret_cast<struct sockaddr_in6*>(a->ifa_addr);
        if (inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof buf)) info.ip.emplace_back(buf);
      } else if (a->ifa_addr->sa_family == AF_PACKET) {
        auto* ll = reinterpret_cast<struct sockaddr_ll*>(a->ifa_addr);
        if (ll->sll_halen != 6) continue;
        bool zero = std::all_of(ll->sll_addr, ll->sll_addr + 6, [](unsigned char c) { return c == 0; });
        if (zero) continue;
        char mac[18];
        std::snprintf(mac, sizeof mac, "%02X-%02X-%02X-%02X-%02X-%02X", ll->sll_addr[0], ll->sll_addr[1],
                      ll->sll_addr[2], ll->sll_addr[3], ll->sll_addr[4], ll->sll_addr[5]);
        if (std::find(info.mac.begin(), info.mac.end(), mac) == info.mac.end()) info.mac.emplace_back(mac);
      }
    }
    freeifaddrs(addrs);
  }
  return info;
}

}  // namespace audetect::ecs
