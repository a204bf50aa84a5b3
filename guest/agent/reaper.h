#pragma once
// The one place that handles SIGCHLD. PID 1 must reap every zombie (orphans are re-parented to
// it); the reaper thread waits for SIGCHLD with sigwaitinfo, reaps everything with
// waitpid(-1, WNOHANG), and hands each status to the process table, which maps the pids it
// started to exit statuses (128 + n for a signal) and ignores the rest.

#include <signal.h>

#include <memory>

namespace strato::agent {

class ProcessTable;

// Blocks SIGCHLD (so it queues for the reaper) and SIGPIPE (so a write to a closed pipe is EPIPE,
// not death) in the calling thread; threads created afterwards inherit the mask. Call before any
// thread exists. Returns the previous mask, which children restore before execve.
sigset_t BlockAgentSignals();

// Starts the reaper thread (detached: it lives as long as the process).
void StartReaper(std::shared_ptr<ProcessTable> table);

}  // namespace strato::agent
