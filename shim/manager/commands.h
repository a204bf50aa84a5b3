#pragma once
// The three ways containerd runs the shim binary (reference section 3):
//   start   listen on the shim socket, write <bundle>/address, re-exec as the daemon with the
//           listener on fd 3, print the address, exit 0 (or reuse a running shim of the
//           same group: CRI puts a pod's containers in one shim)
//   delete  clean up after a shim that died; print a marshalled DeleteResponse
//   (none)  the daemon: serve the Task API until Shutdown or SIGTERM

#include <ostream>

#include "shim/manager/shim_flags.h"

namespace strato::shim {

// The listener's descriptor in the daemon (as Go's shim: ExtraFiles[0]).
inline constexpr int kListenerFd = 3;
inline constexpr const char* kAddressFile = "address";
inline constexpr const char* kLogFifo = "log";
inline constexpr const char* kTtrpcAddressEnv = "TTRPC_ADDRESS";

int RunStart(const ShimFlags& flags, std::ostream& out);
int RunDelete(const ShimFlags& flags, std::ostream& out);
int RunDaemon(const ShimFlags& flags);

// The bundle directory: -bundle, else the working directory (containerd's cwd for the shim).
std::string BundleDir(const ShimFlags& flags);

// Version line for -v and ConnectResponse.version.
std::string ShimVersion();

}  // namespace strato::shim
