// /init of the Linux vsock test (tests/integration/virtio/linux_vsock_test.cc): a static program
// that exercises strato's virtio-vsock from inside a real guest, then powers the VM off.
//   1. listens on vsock port 5000 (before anything else, so host clients can be accepted);
//   2. connects to the host (CID 2) port 6000, sends one line, shuts its send side, and prints
//      what the host sent back until EOF;
//   3. accepts two connections on port 5000 and echoes each until EOF (the host sends a short
//      line, then 1 MiB), printing the byte count.
// Every line starts with "strato-vsock-guest: " for the host test to assert.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/vm_sockets.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
  kListenPort = 5000,
  kHostPort = 6000,
  kEchoConnections = 2,
  kBufferSize = 64 * 1024,
};

static void Say(const char* format, ...) {
  char line[512];
  int prefix = snprintf(line, sizeof line, "strato-vsock-guest: ");
  va_list args;
  va_start(args, format);
  int n = vsnprintf(line + prefix, sizeof line - prefix - 1, format, args);
  va_end(args);
  size_t length = (size_t)prefix + (n < 0 ? 0 : (size_t)n);
  if (length > sizeof line - 2) length = sizeof line - 2;
  line[length++] = '\n';
  (void)!write(STDOUT_FILENO, line, length);
}

static void PowerOff(void) {
  sync();
  reboot(RB_POWER_OFF);
}

static int WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    data += n;
    size -= (size_t)n;
  }
  return 0;
}

static int TalkToHost(void) {
  int s = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_vm host = {
      .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_HOST, .svm_port = kHostPort};
  if (s < 0 || connect(s, (struct sockaddr*)&host, sizeof host) != 0) {
    Say("FAIL: connect to host port %d: %s", kHostPort, strerror(errno));
    return -1;
  }
  static const char kLine[] = "hello host, this is the guest\n";
  if (WriteAll(s, kLine, sizeof kLine - 1) != 0 || shutdown(s, SHUT_WR) != 0) {
    Say("FAIL: write to host: %s", strerror(errno));
    return -1;
  }
  char reply[256];
  size_t got = 0;
  for (;;) {
    ssize_t n = read(s, reply + got, sizeof reply - 1 - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Say("FAIL: read from host: %s", strerror(errno));
      return -1;
    }
    if (n == 0 || got + (size_t)n >= sizeof reply - 1) break;
    got += (size_t)n;
  }
  close(s);
  while (got > 0 && reply[got - 1] == '\n') --got;
  reply[got] = '\0';
  Say("host replied: %s", reply);
  return 0;
}

static int EchoOne(int listener) {
  int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0) {
    Say("FAIL: accept: %s", strerror(errno));
    return -1;
  }
  static char buffer[kBufferSize];
  size_t total = 0;
  for (;;) {
    ssize_t n = read(c, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Say("FAIL: read: %s", strerror(errno));
      return -1;
    }
    if (n == 0) break;
    if (WriteAll(c, buffer, (size_t)n) != 0) {
      Say("FAIL: echo write: %s", strerror(errno));
      return -1;
    }
    total += (size_t)n;
  }
  close(c);
  Say("echoed %zu bytes", total);
  return 0;
}

int main(void) {
  Say("start");
  int listener = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_vm any = {
      .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = kListenPort};
  if (listener < 0 || bind(listener, (struct sockaddr*)&any, sizeof any) != 0 ||
      listen(listener, 4) != 0) {
    Say("FAIL: listen on vsock port %d: %s", kListenPort, strerror(errno));
    PowerOff();
    return 1;
  }
  Say("listening on port %d", kListenPort);
  if (TalkToHost() != 0) {
    PowerOff();
    return 1;
  }
  for (int i = 0; i < kEchoConnections; ++i) {
    if (EchoOne(listener) != 0) {
      PowerOff();
      return 1;
    }
  }
  Say("done");
  PowerOff();
  return 0;
}
