#include "shim/task/task_rpc.h"

#include <google/protobuf/empty.pb.h>

#include "ttrpc/status.h"

namespace strato::shim {

namespace {

template <class Req>
Req Decode(const std::string& method, const std::string& payload) {
  Req request;
  if (!request.ParseFromString(payload)) {
    throw ttrpc::InvalidArgument("cannot decode the " + method + " request");
  }
  return request;
}

template <class Req, class Resp>
void Add(ttrpc::Server& server, TaskService& service, const std::string& method,
         Resp (TaskService::*fn)(const Req&)) {
  server.Register(kTaskServiceName, method,
                  [&service, fn, method](const ttrpc::CallContext&, const std::string& payload) {
                    return (service.*fn)(Decode<Req>(method, payload)).SerializeAsString();
                  });
}

template <class Req>
void Add(ttrpc::Server& server, TaskService& service, const std::string& method,
         void (TaskService::*fn)(const Req&)) {
  server.Register(kTaskServiceName, method,
                  [&service, fn, method](const ttrpc::CallContext&, const std::string& payload) {
                    (service.*fn)(Decode<Req>(method, payload));
                    return google::protobuf::Empty().SerializeAsString();
                  });
}

}  // namespace

void RegisterTaskService(ttrpc::Server& server, TaskService& s) {
  Add(server, s, "State", &TaskService::State);
  Add(server, s, "Create", &TaskService::Create);
  Add(server, s, "Start", &TaskService::Start);
  Add(server, s, "Delete", &TaskService::Delete);
  Add(server, s, "Pids", &TaskService::Pids);
  Add(server, s, "Pause", &TaskService::Pause);
  Add(server, s, "Resume", &TaskService::Resume);
  Add(server, s, "Checkpoint", &TaskService::Checkpoint);
  Add(server, s, "Kill", &TaskService::Kill);
  Add(server, s, "Exec", &TaskService::Exec);
  Add(server, s, "ResizePty", &TaskService::ResizePty);
  Add(server, s, "CloseIO", &TaskService::CloseIO);
  Add(server, s, "Update", &TaskService::Update);
  Add(server, s, "Wait", &TaskService::Wait);
  Add(server, s, "Stats", &TaskService::Stats);
  Add(server, s, "Connect", &TaskService::Connect);
  Add(server, s, "Shutdown", &TaskService::Shutdown);
}

}  // namespace strato::shim
