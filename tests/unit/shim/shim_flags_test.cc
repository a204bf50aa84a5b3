// Go-style flag parsing of the shim binary and the socket address scheme.

#include "shim/manager/shim_flags.h"

#include <stdlib.h>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "shim/manager/socket_address.h"

using namespace strato::shim;

TEST_CASE("containerd's start command line parses, the action ends the flags") {
  auto f =
      ParseShimFlags({"-namespace", "k8s.io", "-address", "/run/containerd/containerd.sock",
                      "-publish-binary", "/usr/bin/containerd", "-id", "abc", "-debug", "start"});
  CHECK(f.ns == "k8s.io");
  CHECK(f.address == "/run/containerd/containerd.sock");
  CHECK(f.publish_binary == "/usr/bin/containerd");
  CHECK(f.id == "abc");
  CHECK(f.debug);
  CHECK_FALSE(f.version);
  CHECK(f.action == "start");
  CHECK(f.extra.empty());
}

TEST_CASE("Go flag spellings: -f=v, --f v, --f=v, bool=value, -- and arguments after the action") {
  auto f = ParseShimFlags({"--namespace=ns1", "--id", "x", "-bundle=/b", "-debug=false", "-v",
                           "delete", "-id", "ignored"});
  CHECK(f.ns == "ns1");
  CHECK(f.id == "x");
  CHECK(f.bundle == "/b");
  CHECK_FALSE(f.debug);
  CHECK(f.version);
  CHECK(f.action == "delete");
  CHECK(f.extra == std::vector<std::string>{"-id", "ignored"});
  auto g = ParseShimFlags({"-id", "y", "--", "-start"});
  CHECK(g.action == "-start");
  auto daemon = ParseShimFlags({"-id", "y", "-socket", "unix:///s"});
  CHECK(daemon.action.empty());
  CHECK(daemon.socket == "unix:///s");
  // An empty value is a value.
  CHECK(ParseShimFlags({"-namespace", "", "start"}).ns.empty());
}

TEST_CASE("flag errors use Go's wording") {
  CHECK_THROWS_AS(ParseShimFlags({"-bogus", "start"}), strato::UsageError);
  CHECK_THROWS_WITH(ParseShimFlags({"-bogus", "start"}), "flag provided but not defined: -bogus");
  CHECK_THROWS_WITH(ParseShimFlags({"-id"}), "flag needs an argument: -id");
  CHECK_THROWS_WITH(ParseShimFlags({"-debug=maybe"}), "invalid boolean value \"maybe\" for -debug");
  CHECK_THROWS_WITH(ParseShimFlags({"---id", "x"}), "bad flag syntax: ---id");
}

TEST_CASE("daemon arguments reproduce the flags without the action") {
  auto f = ParseShimFlags({"-namespace", "default", "-address", "/a", "-publish-binary", "/c",
                           "-id", "c1", "-debug", "start"});
  CHECK(DaemonArgs(f) == std::vector<std::string>{"-namespace", "default", "-id", "c1", "-address",
                                                  "/a", "-publish-binary", "/c", "-debug"});
  auto back = ParseShimFlags(DaemonArgs(f));
  CHECK(back.action.empty());
  CHECK(back.id == "c1");
  CHECK(back.debug);
}

TEST_CASE("shim socket address is sha256 of address/namespace/group under /run/containerd/s") {
  ::unsetenv(kSocketDirEnv);
  CHECK(ShimSocketAddress("/run/containerd/containerd.sock", "default", "c1") ==
        "unix:///run/containerd/s/"
        "d25aa4ef11a84e954e74a5bcff06557d0b6ea8d0c00243896f29826694bbd888");
  // Joined like filepath.Join: a trailing slash does not change it.
  CHECK(ShimSocketAddress("/run/containerd/containerd.sock/", "k8s.io", "pod-1") ==
        "unix:///run/containerd/s/"
        "a23234c4f856d7ccc0475011c69adc83a839986fe6144b033293650fb6ed5eaa");
  ::setenv(kSocketDirEnv, "/tmp/x", 1);
  CHECK(ShimSocketAddress("/run/containerd/containerd.sock", "default", "c1") ==
        "unix:///tmp/x/d25aa4ef11a84e954e74a5bcff06557d0b6ea8d0c00243896f29826694bbd888");
  ::unsetenv(kSocketDirEnv);
  CHECK(SocketPathOf("unix:///a/b") == "/a/b");
  CHECK(SocketPathOf("/a/b") == "/a/b");
}
