#pragma once
// The containerd Task service (containerd.task.v2.Task) of one shim: containers and their
// processes, their state machines (process.h), events, and containerd's error classes, over an
// abstract Sandbox (the VM). Every RPC is a method taking and returning the protobuf messages,
// so it can be driven directly in tests; task_rpc.h registers them on a ttrpc server.
//
// Concurrency: RPCs run concurrently (Wait blocks for the life of a process). One mutex guards
// the tables and process states; backend calls that may be slow run outside it. A waiter
// thread per process blocks in Sandbox::Wait and records the exit.

#include <google/protobuf/empty.pb.h>

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "proto/containerd/shim_task.pb.h"
#include "shim/events/publisher.h"
#include "shim/sandbox.h"
#include "shim/task/process.h"

namespace strato::shim {

namespace taskapi = containerd::task::v2;

struct TaskServiceOptions {
  std::string ns = "default";         // containerd namespace (events carry it)
  std::string version;                // ConnectResponse.version
  std::function<void()> on_shutdown;  // called (once) when Shutdown decides the shim should exit
  // How long Delete waits for a process's output to reach the client before closing it.
  std::chrono::milliseconds output_drain_timeout{2000};
};

class TaskService {
 public:
  TaskService(std::unique_ptr<Sandbox> sandbox, std::shared_ptr<EventPublisher> events,
              TaskServiceOptions options);
  ~TaskService();  // Stop()
  TaskService(const TaskService&) = delete;
  TaskService& operator=(const TaskService&) = delete;

  taskapi::CreateTaskResponse Create(const taskapi::CreateTaskRequest& r);
  taskapi::StartResponse Start(const taskapi::StartRequest& r);
  taskapi::DeleteResponse Delete(const taskapi::DeleteRequest& r);
  void Exec(const taskapi::ExecProcessRequest& r);
  taskapi::StateResponse State(const taskapi::StateRequest& r);
  void Kill(const taskapi::KillRequest& r);
  taskapi::WaitResponse Wait(const taskapi::WaitRequest& r);
  void Pause(const taskapi::PauseRequest& r);
  void Resume(const taskapi::ResumeRequest& r);
  void ResizePty(const taskapi::ResizePtyRequest& r);
  void CloseIO(const taskapi::CloseIORequest& r);
  taskapi::PidsResponse Pids(const taskapi::PidsRequest& r);
  taskapi::StatsResponse Stats(const taskapi::StatsRequest& r);
  void Update(const taskapi::UpdateTaskRequest& r);
  void Checkpoint(const taskapi::CheckpointTaskRequest& r);
  taskapi::ConnectResponse Connect(const taskapi::ConnectRequest& r);
  void Shutdown(const taskapi::ShutdownRequest& r);

  // Fails pending Waits with UNAVAILABLE, shuts the sandbox down, waits for the waiter
  // threads and closes all stdio. Idempotent.
  void Stop();

  // No containers left (the daemon exits on Shutdown only then).
  bool idle() const;

 private:
  struct Container {
    std::string bundle;
    std::shared_ptr<Process> init;
    std::map<std::string, std::shared_ptr<Process>> execs;
  };

  Container& FindContainer(const std::string& id);  // NotFound; needs mu_
  void RequireContainer(const std::string& id);     // NotFound; takes mu_
  std::shared_ptr<Process> FindProcess(const std::string& id, const std::string& exec_id);
  void SpawnWaiter(std::shared_ptr<Process> process);                              // needs mu_
  void RecordExit(const std::shared_ptr<Process>& process, const ExitInfo& exit);  // needs mu_
  void PublishExit(const Process& process);                                        // needs mu_

  std::unique_ptr<Sandbox> sandbox_;
  std::shared_ptr<EventPublisher> events_;
  const TaskServiceOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // process exits, waiter count, stopping_
  std::map<std::string, Container> containers_;
  std::set<std::string> reserved_;  // "<id>" or "<id>/<exec>" being created
  size_t waiters_ = 0;
  bool stopping_ = false;
  bool stopped_ = false;
  bool shutdown_requested_ = false;
};

}  // namespace strato::shim
