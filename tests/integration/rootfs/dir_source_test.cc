// Directory source: an unpacked layer directory as containerd's overlayfs snapshotter leaves it
// (whiteouts already in overlay form) becomes an image that keeps them as they are.

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>

#include "rootfs/convert.h"
#include "tests/integration/rootfs/host_tools.h"

using namespace strato::rootfs;
using namespace strato::rootfs::testing;

TEST_CASE("directory source: sockets, overlay whiteouts and opaque xattrs are kept") {
  if (std::string why = LoopMountUnavailableReason(); !why.empty()) {
    WARN("SKIP: " + why);
    return;
  }
  TempDir tmp;
  std::string src = tmp.path + "/snapshot";
  std::filesystem::create_directories(src + "/opaque/inner");
  std::ofstream(src + "/file", std::ios::binary) << std::string(6000, 'f');
  REQUIRE(::link((src + "/file").c_str(), (src + "/opaque/inner/file-link").c_str()) == 0);
  REQUIRE(::mknod((src + "/gone").c_str(), S_IFCHR | 0, makedev(0, 0)) == 0);
  REQUIRE(::setxattr((src + "/opaque").c_str(), "trusted.overlay.opaque", "y", 1, 0) == 0);
  REQUIRE(::setxattr((src + "/file").c_str(), "user.k", "v", 1, 0) == 0);
  int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(sock >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string sock_path = src + "/sock";
  REQUIRE(sock_path.size() < sizeof(addr.sun_path));
  std::memcpy(addr.sun_path, sock_path.c_str(), sock_path.size() + 1);
  REQUIRE(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  ::close(sock);

  ConvertResult r = ConvertLayer(LayerSource::Directory(src), tmp.path + "/d.erofs", {});
  CHECK(r.hardlinks == 1);
  CHECK(r.special_files == 2);  // the whiteout device and the socket
  LoopMount mount(tmp.path + "/d.erofs", tmp.path + "/mnt");
  auto tree = SnapshotTree(tmp.path + "/mnt", true);
  REQUIRE(tree.count("sock") == 1);
  CHECK(tree["sock"].type == 's');
  REQUIRE(tree.count("gone") == 1);
  CHECK(tree["gone"].type == 'c');
  CHECK(tree["gone"].rdev_major == 0);
  CHECK(tree["gone"].rdev_minor == 0);
  CHECK(tree["opaque"].xattrs ==
        std::map<std::string, std::string>{{"trusted.overlay.opaque", "y"}});
  CHECK(tree["file"].xattrs == std::map<std::string, std::string>{{"user.k", "v"}});
  CHECK(tree["file"].nlink == 2);
  CHECK(tree["opaque/inner/file-link"].content == std::string(6000, 'f'));
  CHECK(tree.size() == 7);  // root, file, gone, sock, opaque, opaque/inner, opaque/inner/file-link
}
