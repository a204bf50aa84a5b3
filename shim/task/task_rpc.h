#pragma once
// Serves a TaskService as containerd.task.v2.Task on a ttrpc server: decodes each request,
// calls the service, encodes the response (google.protobuf.Empty for the RPCs without one).

#include "shim/task/task_service.h"
#include "ttrpc/server.h"

namespace strato::shim {

inline constexpr const char* kTaskServiceName = "containerd.task.v2.Task";

// `service` must outlive the server's serving.
void RegisterTaskService(ttrpc::Server& server, TaskService& service);

}  // namespace strato::shim
